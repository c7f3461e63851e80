/**
 * `seamless purge` and `seamless backfill --force`, run as the real CLI (child processes) on an
 * embedded data directory: the purge asks for --yes without a terminal, removes exactly the range
 * and says so; the forced backfill purges then fetches the range again.
 */
import { describe, expect, it } from 'vitest';
import { cliWorkspaces, runSeamless as seamless } from '../helpers/cli-run.js';
import { CLI_TEST_TIMEOUT_MS } from '../helpers/cli-timeout.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 1, 1);
const BTC = 'ohlcv:demo:BTC-USD';
const iso = (ms: number) => new Date(ms).toISOString();

interface Coverage { readonly ranges: { start: number; end: number; state: string }[] }

// Each run's stdin is a pipe (runSeamless), never a terminal: the CLI must not wait for an answer.
const workspace = cliWorkspaces('seamless-cli-repair-');

async function storedRanges(cwd: string): Promise<[number, number][]> {
  const run = await seamless(cwd, ['coverage', '--node', BTC, '--interval', '1m', '--json', '--start', iso(T0), '--end', iso(T0 + 60 * MINUTE)]);
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as Coverage).ranges.filter((r) => r.state === 'stored').map((r) => [r.start, r.end]);
}

describe('seamless purge and backfill --force', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('purges a range after --yes, refuses without it, and a forced backfill fetches it again', async () => {
    const cwd = await workspace();
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
