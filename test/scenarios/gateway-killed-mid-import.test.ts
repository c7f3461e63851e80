/**
 * `seamless import` of a large CSV (200,000 one-minute bars) straight into a data directory,
 * killed with SIGKILL while it writes the rows (the database file has started to grow past what
 * the schema migrations left). What the operator must see afterwards:
 *
 * - the store opens cleanly: a gateway starts on the data directory and `/readyz` answers 200;
 * - coverage and rows agree exactly over HTTP: every bar of every `stored` range is there and no
 *   bar lies outside them (the import is one transaction: none or all, never coverage without
 *   rows or rows without coverage);
 * - a re-run of the import completes, and every bar is then stored exactly once.
 */
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { eventually, killSeamlessProcesses, processReport, startSeamless, waitForLine } from '../harness/seamless-processes.js';
import type { SeamlessProcess } from '../harness/seamless-processes.js';
import { createFaults } from './fault-injection.js';
import type { Faults } from './fault-injection.js';

const MIN = 60_000;
const BARS = 200_000;
const T0 = Date.UTC(2023, 0, 1);
const NODE = 'ohlcv:file:BIG';
/** The database file is past its empty-schema size once the appender has spilled row groups to it. */
const WRITING_BYTES = 1 << 20;

interface Range { start: number; end: number; state: string }
interface LogLine { level: number; msg: string }

let dir: Awaited<ReturnType<typeof tempDir>>;
let configFile = '';
let csvFile = '';
let faults: Faults;

beforeAll(async () => {
  dir = await tempDir('seamless-import-kill-');
  configFile = join(dir.path, 'seamless.yml');
  await writeFile(configFile, [
    `dataDir: ${JSON.stringify(join(dir.path, 'data'))}`,
    'logging: { level: info }',
    'datasets:',
    `  - { nodeId: "${NODE}", intervals: [1m], description: imported only }`,
    '',
  ].join('\n'));
  // 200,000 contiguous bars; prices vary so the rows are not all alike.
  const lines = ['ts,open,high,low,close,volume'];
  for (let i = 0; i < BARS; i++) {
    const p = 100 + Math.sin(i / 500) * 5;
    lines.push(`${T0 + i * MIN},${p.toFixed(4)},${(p + 0.5).toFixed(4)},${(p - 0.5).toFixed(4)},${(p + 0.1).toFixed(4)},${(i % 97) + 1}`);
  }
  csvFile = join(dir.path, 'bars.csv');
  await writeFile(csvFile, `${lines.join('\n')}\n`);
});

afterEach(async () => {
  await faults?.teardown();
  await killSeamlessProcesses();
});

afterAll(async () => {
  await killSeamlessProcesses();
  await dir?.remove();
});

function importer(name: string): SeamlessProcess {
  return startSeamless(['import', csvFile, '--node', NODE, '--interval', '1m', '--config', configFile], dir.path, name);
}

async function serve(name: string): Promise<{ process: SeamlessProcess; url: string }> {
  const child = startSeamless(['serve', '--port', '0', '--config', configFile], dir.path, name);
  const url = (await waitForLine(child, /listening on (http:\/\/\S+)/, 90_000))[1];
  return { process: child, url };
}

async function fileSize(path: string): Promise<number> {
  return stat(path).then((s) => s.size, () => 0);
}

/** Coverage and every bar of the file's span, over HTTP (fail_fast + partial_ok: only what is stored). */
async function storedState(url: string): Promise<{ ranges: Range[]; ts: number[] }> {
  const cov = await fetch(`${url}/v1/coverage?node=${encodeURIComponent(NODE)}&interval=1m`);
  expect(cov.status).toBe(200);
  const ranges = ((await cov.json()) as { ranges: Range[] }).ranges.map(({ start, end, state }) => ({ start, end, state }));
  const res = await fetch(`${url}/v1/bars?node=${encodeURIComponent(NODE)}&interval=1m&start=${T0}&end=${T0 + BARS * MIN}&strategy=fail_fast&partial_ok=true`);
  const text = await res.text();
  expect(res.status, text.slice(0, 500)).toBe(200);
  return { ranges, ts: ((JSON.parse(text) as { data: { ts: number[] } }).data.ts) };
}

/** The bars `ranges` vouch for, in order. */
function barsOf(ranges: readonly Range[]): number[] {
  const out: number[] = [];
  for (const r of ranges) for (let t = r.start; t < r.end; t += MIN) out.push(t);
  return out;
}

function errorLogs(p: SeamlessProcess): LogLine[] {
  return p.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine).filter((l) => l.level >= 50);
}

describe('seamless import killed with SIGKILL while writing 200,000 bars', () => {
  it('leaves a store that opens cleanly with coverage matching the rows, and a re-run stores every bar exactly once', async () => {
    faults = createFaults();
    const database = join(dir.path, 'data', 'seamless.duckdb');

    // 1. Import, killed once the rows are being written.
    const first = importer('import-1');
    await eventually('the importer to start writing rows', async () => {
      if (!first.running()) throw new Error(`the import ended before it could be killed: ${processReport(first)}`);
      return (await fileSize(database)) >= WRITING_BYTES ? true : undefined;
    }, 150_000, 10).catch((error: unknown) => { throw new Error(`${String(error)}\n${processReport(first)}`); });
    await faults.kill(first);
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(first.stdout).not.toContain('imported');

    // 2. The store opens cleanly; coverage and rows agree exactly.
    const gateway = await serve('gateway-after-kill');
    const ready = await fetch(`${gateway.url}/readyz`);
    expect(ready.status).toBe(200);
    const after = await storedState(gateway.url);
    expect(after.ranges.every((r) => r.state === 'stored'), JSON.stringify(after.ranges)).toBe(true);
    expect(after.ts).toEqual(barsOf(after.ranges));
    // One transaction: nothing, or the whole file.
    expect([0, BARS]).toContain(after.ts.length);
    expect(errorLogs(gateway.process), processReport(gateway.process, 20)).toEqual([]);
    gateway.process.process.kill('SIGTERM');
    expect(await gateway.process.exited).toEqual({ code: 0, signal: null });

    // 3. The re-run completes; every bar once.
    const second = importer('import-2');
    const exit = await second.exited;
    expect(exit, processReport(second)).toEqual({ code: 0, signal: null });
    expect(second.stdout).toContain(`imported ${BARS} rows from ${csvFile}`);
    expect(second.stdout).toContain(`coverage stored [2023-01-01T00:00:00.000Z, ${new Date(T0 + BARS * MIN).toISOString()})`);

    const check = await serve('gateway-after-reimport');
    const final = await storedState(check.url);
    expect(final.ranges).toEqual([{ start: T0, end: T0 + BARS * MIN, state: 'stored' }]);
    expect(final.ts.length).toBe(BARS);
    expect(new Set(final.ts).size).toBe(BARS);
    expect(final.ts).toEqual(barsOf(final.ranges));
    expect(errorLogs(check.process), processReport(check.process, 20)).toEqual([]);
    check.process.process.kill('SIGTERM');
    expect(await check.process.exited).toEqual({ code: 0, signal: null });
  }, 240_000);
});
