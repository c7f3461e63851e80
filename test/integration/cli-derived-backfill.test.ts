/**
 * `seamless backfill` of a derived interval: the real CLI as child processes (`node
 * bin/seamless.js`) over one data directory with the demo datasets (BTC-USD derives 1h from 1m).
 * The backfill fetches the 1m bars a 1h read resamples, so a fail_fast 1h read is then complete.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { CLI_TEST_TIMEOUT_MS } from '../helpers/cli-timeout.js';
import { SEAMLESS_CLI as BIN } from '../harness/seamless-cli.js';

const BTC = 'ohlcv:demo:BTC-USD';
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

type Run = (args: readonly string[]) => Promise<{ code: number | null; stdout: string; stderr: string }>;

async function workspace(): Promise<Run> {
  const cwd = await mkdtemp(join(tmpdir(), 'seamless-cli-derived-'));
  dirs.push(cwd);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SEAMLESS_')) env[k] = v;
  return (args) => new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env: { ...env, SEAMLESS_DATA_DIR: join(cwd, 'data') }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

describe('seamless backfill of a derived interval', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('backfills the 1m bars of whole hours for --interval 1h, says so, and a fail_fast 1h read is then complete', async ({ expect }) => {
    const seamless = await workspace();
    const run = await seamless(['backfill', '--node', BTC, '--interval', '1h', '--start', '2024-06-01T00:10:00Z', '--end', '2024-06-01T05:50:00Z']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`${BTC} 1h is derived from 1m bars: backfilling the 1m bars of [2024-06-01T00:00:00.000Z, 2024-06-01T06:00:00.000Z)`);
    const read = await seamless(['fetch', '--node', BTC, '--interval', '1h', '--start', '2024-06-01T00:00:00Z', '--end', '2024-06-01T06:00:00Z', '--strategy', 'fail_fast', '--partial-ok', '--format', 'json']);
    expect(read.code, read.stderr).toBe(0);
    const body = JSON.parse(read.stdout) as { data: { ts: number[] }; metadata: { partial: boolean; missingRanges: unknown[] } };
    expect(body.metadata.partial).toBe(false);
    expect(body.data.ts).toHaveLength(6);
    const coverage = await seamless(['coverage', '--node', BTC, '--interval', '1h', '--json']);
    // Backfill fetches whole shards of 1m bars (maybe more than the hours asked): 1h coverage is in hours.
    const { interval, derivedFrom, ranges } = JSON.parse(coverage.stdout) as { interval: string; derivedFrom: unknown; ranges: { start: number; end: number; state: string }[] };
    expect(interval).toBe('1h');
    expect(derivedFrom).toEqual({ interval: '1m', intervalMs: 60_000 });
    expect(ranges.map((r) => r.state)).toEqual(['stored']);
    expect(ranges[0].start).toBeLessThanOrEqual(Date.parse('2024-06-01T00:00:00Z'));
    expect(ranges[0].end).toBeGreaterThanOrEqual(Date.parse('2024-06-01T06:00:00Z'));
    expect(ranges[0].end % 3_600_000).toBe(0);
    const text = await seamless(['coverage', '--node', BTC, '--interval', '1h']);
    expect(text.stdout).toMatch(/^1h is derived from 1m bars: each 1h bar is stored when all its 1m bars are/m);
    expect(text.stdout).toMatch(/^ohlcv:demo:BTC-USD 1h: 1 range\(s\); \d+ bars stored$/m);
  });

  it('estimates a derived read with --estimate: 1h bars in range, the 1m bars stored and to backfill named as such', async ({ expect }) => {
    const seamless = await workspace();
    const run = await seamless(['fetch', '--estimate', '--node', BTC, '--interval', '1h', '--start', '2024-06-01T00:00:00Z', '--end', '2024-06-02T00:00:00Z']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^bars {6}24 1h bars in range, derived from 1440 1m bars \(calendar 24\/7\): 0 stored, 0 known empty, 1440 missing$/m);
    expect(run.stdout).toMatch(/^backfill {2}\d+ 1m bars in /m);
    expect(run.stdout).toMatch(/^rows {6}24$/m);
  });
});
