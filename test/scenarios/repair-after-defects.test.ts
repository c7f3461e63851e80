/**
 * Repair after defects: a gateway (`seamless serve`, blocking conformance) backfills the defective
 * synthetic node — a gap, a duplicate, a NaN and an OHLC inconsistency per 4 h window — and
 * refuses it; the operator re-imports the window clean with `seamless import` (gateway stopped:
 * the embedded data directory has one owner at a time) and imports a CSV with gaps into a
 * file-only dataset. Checked: what the user sees (blocked, then served), what is stored (coverage
 * over HTTP shows the gaps missing, never stored), and what is reported (the blocked report stays
 * as history; a sub-range re-read of unchanged data does not regress, on the report and on
 * /metrics).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killSeamlessProcesses, processReport, startSeamless, waitForLine } from '../harness/seamless-processes.js';
import type { SeamlessProcess } from '../harness/seamless-processes.js';
import { tempDir } from '../helpers/temp-dir.js';

const MIN = 60_000;
const DEFECTS = 'ohlcv:demo:DEFECTS';
const GAPPY = 'ohlcv:file:GAPPY';
/** The window repaired: 240 bars holding one defect of each kind. */
const A = Date.parse('2024-03-01T00:00:00Z');
/** A window left as the upstream sent it. */
const B = Date.parse('2024-03-02T00:00:00Z');
const WINDOW = 240 * MIN;
const GAPPY_T0 = Date.parse('2024-01-01T00:00:00Z');
/** Bars of the gappy file (of 0..9): 3, 4, 7 and 8 are absent. */
const GAPPY_BARS = [0, 1, 2, 5, 6, 9];

interface Coverage { ranges: { start: number; end: number; state: string }[] }
interface Read {
  metadata?: { rows: number; coverageRatio: number; missingRanges: { start: number; end: number }[]; conformance: { flags: Record<string, number>; reportUri: string | null } | null };
  error?: { code: string; message: string; details: { report?: { flags: Record<string, number>; uri: string } } };
}

describe('repair after defects (blocking conformance, seamless import)', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let configFile = '';
  let gateway: SeamlessProcess | undefined;
  let url = '';

  async function startGateway(): Promise<void> {
    gateway = startSeamless(['serve', '--port', '0', '--config', configFile], dir.path, 'gateway');
    url = (await waitForLine(gateway, /listening on (http:\/\/\S+)/))[1];
  }
  async function stopGateway(): Promise<void> {
    const exit = await gateway?.kill('SIGTERM');
    expect(exit?.signal === 'SIGTERM' || exit?.code === 0, `${JSON.stringify(exit)} ${gateway ? processReport(gateway) : ''}`).toBe(true);
    gateway = undefined;
  }
  async function cli(args: string[]): Promise<SeamlessProcess> {
    const p = startSeamless([...args, '--config', configFile], dir.path, args[0]);
    const exit = await p.exited;
    expect(exit.code, processReport(p)).toBe(0);
    return p;
  }
  async function get<T>(path: string): Promise<{ status: number; body: T }> {
    const res = await fetch(`${url}${path}`);
    return { status: res.status, body: await res.json() as T };
  }
  const bars = (node: string, start: number, end: number, extra = ''): string =>
    `/v1/bars?node=${encodeURIComponent(node)}&interval=1m&start=${new Date(start).toISOString()}&end=${new Date(end).toISOString()}${extra}`;
  const coverage = (node: string): string => `/v1/coverage?node=${encodeURIComponent(node)}&interval=1m`;
  async function regressions(): Promise<number> {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`seamless_conformance_regressions_total{node_id="${DEFECTS}",interval="1m"}`));
    return line === undefined ? 0 : Number(line.split(' ').at(-1));
  }

  beforeAll(async () => {
    dir = await tempDir('seamless-repair-');
    configFile = join(dir.path, 'seamless.yml');
    // JSON is YAML.
    await writeFile(configFile, JSON.stringify({
      dataDir: join(dir.path, 'data'),
      logging: { level: 'warn' },
      sources: { defective: { kind: 'synthetic', seed: 13, defects: true } },
      datasets: [{ nodeId: DEFECTS, intervals: ['1m'], source: 'defective' }],
      seamless: { conformance: { mode: 'blocking' }, backfill: { barsPerShard: 240 } },
    }));
    const row = (ts: number, p: number): string => `${ts},${p},${p + 1},${p - 1},${p + 0.5},1`;
    const clean: string[] = [];
    for (let i = 0; i < 240; i++) clean.push(row(A + i * MIN, 100 + (i % 7)));
    await writeFile(join(dir.path, 'clean.csv'), `ts,open,high,low,close,volume\n${clean.join('\n')}\n`);
    await writeFile(join(dir.path, 'gappy.csv'), `ts,open,high,low,close,volume\n${GAPPY_BARS.map((i) => row(GAPPY_T0 + i * MIN, 50)).join('\n')}\n`);
    await startGateway();
  });

  afterAll(async () => {
    await killSeamlessProcesses();
    await dir?.remove();
  });

  it('blocks the defective window, and shows the bar the upstream lacks as missing, not stored', async () => {
    const blocked = await get<Read>(bars(DEFECTS, A, A + WINDOW));
    expect(blocked.status).toBe(422);
    expect(blocked.body.error?.code).toBe('conformance_blocked');
    expect(blocked.body.error?.message).toContain('duplicate_ts (1)');

    const partial = await get<Read>(bars(DEFECTS, A, A + WINDOW, '&partial_ok=true'));
    expect(partial.status).toBe(200);
    expect(partial.body.metadata?.rows).toBe(239);
    const missing = partial.body.metadata?.missingRanges ?? [];
    expect(missing).toHaveLength(1);
    expect(missing[0].end - missing[0].start).toBe(MIN);
    expect(partial.body.metadata?.coverageRatio).toBeCloseTo(239 / 240, 9);

    const stored = (await get<Coverage>(coverage(DEFECTS))).body.ranges.filter((r) => r.state === 'stored');
    expect(stored.some((r) => r.start <= missing[0].start && missing[0].end <= r.end)).toBe(false);
    let storedBars = 0;
    for (const r of stored) storedBars += (Math.min(r.end, A + WINDOW) - Math.max(r.start, A)) / MIN;
    expect(storedBars).toBe(239);
  });

  it('serves the window once re-imported clean, keeping the earlier report as history', async () => {
    await stopGateway();
    const imported = await cli(['import', join(dir.path, 'clean.csv'), '--node', DEFECTS, '--interval', '1m']);
    expect(imported.stdout).toContain('imported 240 rows');
    const gappy = await cli(['import', join(dir.path, 'gappy.csv'), '--node', GAPPY, '--interval', '1m']);
    // The file's gaps are missing: three runs recorded as stored, nothing over 3–4 and 7–8.
    expect(gappy.stdout.match(/^coverage stored/gm)).toHaveLength(3);
    await startGateway();

    const served = await get<Read>(bars(DEFECTS, A, A + WINDOW));
    expect(served.status, JSON.stringify(served.body.error)).toBe(200);
    expect(served.body.metadata).toMatchObject({ rows: 240, coverageRatio: 1, missingRanges: [] });
    expect(served.body.metadata?.conformance?.flags).toEqual({});
    const ranges = (await get<Coverage>(coverage(DEFECTS))).body.ranges;
    expect(ranges.some((r) => r.state === 'stored' && r.start <= A && A + WINDOW <= r.end)).toBe(true);

    const history = await get<{ reports: { range: { start: number }; flags: Record<string, number> }[] }>(`/v1/reports?node=${encodeURIComponent(DEFECTS)}`);
    expect(history.body.reports.some((r) => r.range.start === A && r.flags.duplicate_ts === 1)).toBe(true);
  });

  it('reports the gaps of an imported file as missing over HTTP', async () => {
    const ranges = (await get<Coverage>(coverage(GAPPY))).body.ranges;
    expect(ranges).toEqual([
      { start: GAPPY_T0, end: GAPPY_T0 + 3 * MIN, state: 'stored' },
      { start: GAPPY_T0 + 5 * MIN, end: GAPPY_T0 + 7 * MIN, state: 'stored' },
      { start: GAPPY_T0 + 9 * MIN, end: GAPPY_T0 + 10 * MIN, state: 'stored' },
    ]);
    const read = await get<Read>(bars(GAPPY, GAPPY_T0, GAPPY_T0 + 10 * MIN, '&partial_ok=true'));
    expect(read.status).toBe(200);
    expect(read.body.metadata?.missingRanges).toEqual([
      { start: GAPPY_T0 + 3 * MIN, end: GAPPY_T0 + 5 * MIN },
      { start: GAPPY_T0 + 7 * MIN, end: GAPPY_T0 + 9 * MIN },
    ]);
    expect(read.body.metadata?.coverageRatio).toBeCloseTo(0.6, 9);
  });

  it('does not count a sub-range re-read of unchanged data as a regression', async () => {
    const whole = await get<Read>(bars(DEFECTS, B, B + WINDOW, '&partial_ok=true'));
    expect(whole.status).toBe(200);
    expect(whole.body.metadata?.conformance?.flags.non_finite).toBe(1);
    const before = await regressions();

    const half = await get<Read>(bars(DEFECTS, B + WINDOW / 2, B + WINDOW, '&partial_ok=true'));
    expect(half.status).toBe(200);
    expect(half.body.metadata?.conformance?.flags).toMatchObject({ non_finite: 1, ohlc_inconsistent: 1 });
    const id = (half.body.metadata?.conformance?.reportUri ?? '').split('/').pop() ?? '';
    const report = await get<{ report: { regression: { regressed: boolean; previousReportId: string | null } } }>(`/v1/reports/${id}`);
    expect(report.status).toBe(200);
    expect(report.body.report.regression.regressed).toBe(false);
    expect(report.body.report.regression.previousReportId).not.toBeNull();
    expect(await regressions()).toBe(before);
  });
});
