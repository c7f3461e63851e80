/**
 * `seamless purge` and `seamless backfill --force`, run as the real CLI (child processes) on an
 * embedded data directory: the purge asks for --yes without a terminal, removes exactly the range
 * and says so; the forced backfill purges then fetches the range again.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_TEST_TIMEOUT_MS } from '../helpers/cli-timeout.js';
import { SEAMLESS_CLI as BIN } from '../harness/seamless-cli.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 1, 1);
const BTC = 'ohlcv:demo:BTC-USD';
const iso = (ms: number) => new Date(ms).toISOString();

interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string }
interface Coverage { readonly ranges: { start: number; end: number; state: string }[] }

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function seamless(cwd: string, args: readonly string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SEAMLESS_')) env[k] = v;
  return new Promise((resolve) => {
    // stdin is a pipe here, never a terminal: the CLI must not wait for an answer.
    execFile(process.execPath, [BIN, ...args], { cwd, env: { ...env, SEAMLESS_DATA_DIR: join(cwd, 'data') }, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

async function storedRanges(cwd: string): Promise<[number, number][]> {
  const run = await seamless(cwd, ['coverage', '--node', BTC, '--interval', '1m', '--json', '--start', iso(T0), '--end', iso(T0 + 60 * MINUTE)]);
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as Coverage).ranges.filter((r) => r.state === 'stored').map((r) => [r.start, r.end]);
}

describe('seamless purge and backfill --force', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('purges a range after --yes, refuses without it, and a forced backfill fetches it again', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'seamless-cli-repair-'));
    dirs.push(cwd);
    const range = ['--node', BTC, '--interval', '1m', '--start', iso(T0 + 20 * MINUTE), '--end', iso(T0 + 40 * MINUTE)];
    const fill = await seamless(cwd, ['backfill', '--node', BTC, '--interval', '1m', '--start', iso(T0), '--end', iso(T0 + 60 * MINUTE)]);
    expect(fill.code, fill.stderr).toBe(0);

    const refused = await seamless(cwd, ['purge', ...range]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--yes: is required without a terminal');
    expect((await storedRanges(cwd)).some(([s, e]) => s <= T0 + 20 * MINUTE && e >= T0 + 40 * MINUTE)).toBe(true);

    const purged = await seamless(cwd, ['purge', ...range, '--yes']);
    expect(purged.code, purged.stderr).toBe(0);
    expect(purged.stdout).toContain(`purged ${BTC} 1m [2024-02-01T00:20:00.000Z, 2024-02-01T00:40:00.000Z): 20 rows removed`);
    expect(purged.stdout).toMatch(/coverage removed: 20 stored, 0 known empty, 0 failed bars \(audit #\d+ by cli\)/);
    const hole = await storedRanges(cwd);
    expect(hole.some(([s, e]) => s < T0 + 40 * MINUTE && e > T0 + 20 * MINUTE)).toBe(false);

    const offGrid = await seamless(cwd, ['purge', '--node', BTC, '--interval', '1m', '--start', String(T0 + 30_000), '--end', iso(T0 + MINUTE), '--yes']);
    expect(offGrid.code).toBe(1);
    expect(offGrid.stderr).toContain('start: must lie on the 1m grid');

    const forced = await seamless(cwd, ['backfill', '--force', '--yes', '--node', BTC, '--interval', '1m', '--start', iso(T0), '--end', iso(T0 + 60 * MINUTE)]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain(`purged ${BTC} 1m [2024-02-01T00:00:00.000Z, 2024-02-01T01:00:00.000Z): 40 rows removed`);
    expect(forced.stdout).toMatch(/backfill job_\S+ completed: .*[1-9]\d* rows written/);
    expect((await storedRanges(cwd)).some(([s, e]) => s <= T0 && e >= T0 + 60 * MINUTE)).toBe(true);
  });
});
