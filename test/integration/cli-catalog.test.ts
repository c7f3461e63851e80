/**
 * `seamless datasets` (with its coverage summary) and `seamless datasets condition`, as real
 * `seamless` child processes (bin/seamless.js): on their own data directory after an embedded
 * `seamless backfill`, and with `--url` against a gateway served in-process. Bad input exits 1
 * naming the field. Each test has the CLI tests' deadline (cli-timeout.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { demoConfig } from '../../src/config/internal.js';
import { serveGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';
import type { Seamless } from '../../src/app/index.js';
import { CLI_TEST_TIMEOUT_MS } from '../helpers/cli-timeout.js';
import { SEAMLESS_CLI as BIN } from '../harness/seamless-cli.js';

const ETH = 'ohlcv:demo:ETH-USD';
const DEFECTS = 'ohlcv:demo:DEFECTS';
const TWO_DAYS = ['--interval', '1m', '--start', '2024-01-01', '--end', '2024-01-03'];
/** Backfills write whole shards: the two days lie in one default 1m shard of 4,320 bars (2023-12-31 to 2024-01-03). */
const SHARD_ROWS = 4_320;

interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string }

const dirs: string[] = [];
afterAll(async () => { await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))); });

async function workspace(): Promise<string> {
  const cwd = await mkdtemp(join(tmpdir(), 'seamless-cli-catalog-'));
  dirs.push(cwd);
  return cwd;
}

function seamless(cwd: string, args: readonly string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SEAMLESS_')) env[k] = v;
  env.SEAMLESS_DATA_DIR = join(cwd, 'data');
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

describe('seamless datasets and datasets condition (embedded)', { timeout: CLI_TEST_TIMEOUT_MS, concurrent: true }, () => {
  it('after a backfill, prints the coverage summary per interval and the condition per day', async ({ expect }) => {
    const cwd = await workspace();
    const backfill = await seamless(cwd, ['backfill', '--node', ETH, ...TWO_DAYS]);
    expect(backfill.code).toBe(0);

    const list = await seamless(cwd, ['datasets']);
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^node\s+interval\s+first bar\s+last bar\s+stored\s+known empty\s+failed\s+last write\s+base\s+calendar$/));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(
      `^ohlcv:demo:ETH-USD\\s+1m\\s+2023-12-31T00:00:00\\.000Z\\s+2024-01-02T23:59:00\\.000Z\\s+${SHARD_ROWS}\\s+0\\s+0\\s+\\d{4}-\\d\\d-\\d\\dT\\S+\\s+1m\\s+24/7$`,
    )));
    // 1h is derived from 1m: its line summarises the 1m bars, first and last bar in hours.
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(
      `^ohlcv:demo:ETH-USD\\s+1h\\s+2023-12-31T00:00:00\\.000Z\\s+2024-01-02T23:00:00\\.000Z\\s+${SHARD_ROWS}\\s+0\\s+0\\s+\\d{4}-\\d\\d-\\d\\dT\\S+\\s+1m\\s+24/7$`,
    )));
    expect(lines.at(-1)).toMatch(/^\d+ dataset\(s\)$/);

    const condition = await seamless(cwd, ['datasets', 'condition', '--node', ETH, '--interval', '1m', '--start', '2024-01-02', '--end', '2024-01-04']);
    expect(condition.stderr).toBe('');
    expect(condition.code).toBe(0);
    const rows = condition.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^day\s+condition\s+last change\s+reason$/);
    expect(rows[1]).toMatch(/^2024-01-02\s+available\s+\d{4}-\S+\s+all 1440 bars stored \(1440\) or known empty \(0\)$/);
    expect(rows[2]).toMatch(/^2024-01-03\s+missing\s+-\s+not stored$/);
    expect(rows.at(-1)).toBe('ohlcv:demo:ETH-USD 1m: 2 day(s); 1 available, 0 degraded, 0 pending, 1 missing');
  });

  it('refuses bad input naming the field, and an unknown dataset', async ({ expect }) => {
    const cwd = await workspace();
    const inverted = await seamless(cwd, ['datasets', 'condition', '--node', ETH, '--interval', '1m', '--start', '2024-01-03', '--end', '2024-01-01']);
    expect(inverted.code).toBe(1);
    expect(inverted.stderr).toContain('end: must be after start');
    const badInterval = await seamless(cwd, ['datasets', 'condition', '--node', ETH, '--interval', '7q', '--start', '2024-01-01', '--end', '2024-01-02']);
    expect(badInterval.code).toBe(1);
    expect(badInterval.stderr).toContain('interval');
    const unknown = await seamless(cwd, ['datasets', 'condition', '--node', 'ohlcv:demo:NOPE', '--interval', '1m', '--start', '2024-01-01', '--end', '2024-01-02']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no dataset "ohlcv:demo:NOPE"');
  });
});

describe('seamless datasets and datasets condition through a gateway (--url)', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  let s: Seamless;
  let gateway: RunningGateway;
  let cwd: string;
  beforeAll(async () => {
    cwd = await workspace();
    s = await createSeamless({ config: { ...demoConfig(), dataDir: join(cwd, 'gw') }, env: {}, logger: silentLogger() });
    const job = await s.backfill({ nodeId: DEFECTS, interval: '1m', start: '2024-01-01', end: '2024-01-03' });
    await s.waitBackfill(job.id);
    gateway = await serveGateway({ seamless: s, host: '127.0.0.1', port: 0 });
  }, CLI_TEST_TIMEOUT_MS);
  afterAll(async () => { await gateway?.close(); await s?.close(); });

  it('prints the gateway\'s listing with its coverage and the condition of the defective days', async ({ expect }) => {
    const list = await seamless(cwd, ['datasets', '--url', gateway.url, '--json']);
    expect(list.code).toBe(0);
    const body = JSON.parse(list.stdout) as { datasets: { nodeId: string; coverage: { interval: string; barsStored: number }[] }[] };
    expect(body).toEqual({ datasets: await s.datasets() });
    expect(body.datasets.find((d) => d.nodeId === DEFECTS)?.coverage[0].barsStored).toBeGreaterThan(0);

    const json = await seamless(cwd, ['datasets', 'condition', '--url', gateway.url, '--node', DEFECTS, ...TWO_DAYS, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(await s.condition(DEFECTS, '1m', '2024-01-01', '2024-01-03'));

    const table = await seamless(cwd, ['datasets', 'condition', '--url', gateway.url, '--node', DEFECTS, ...TWO_DAYS]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^2024-01-01\s+degraded\s+\S+\s+partly stored: \d+ of 1440 bars not stored; ingest findings: duplicate_ts ×\d+$/m);
    expect(table.stdout).toMatch(/: 2 day\(s\); 0 available, 2 degraded, 0 pending, 0 missing$/m);

    const tooLong = await seamless(cwd, ['datasets', 'condition', '--url', gateway.url, '--node', DEFECTS, '--interval', '1m', '--start', '2000-01-01', '--end', '2024-01-01']);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain('end: start..end spans');
  });
});
