/**
 * `seamless snapshot create|list|show|export|import|delete` and `seamless fetch --snapshot`, run as
 * the real CLI (child processes) on embedded data directories: a snapshot reads the same after
 * its range is purged, a duplicate name is refused naming `name`, and an export imported into a
 * second data directory answers the same fingerprint.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliWorkspaces, runSeamless as seamless } from '../helpers/cli-run.js';
import { CLI_TEST_TIMEOUT_MS } from '../helpers/cli-timeout.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 1, 1);
const BTC = 'ohlcv:demo:BTC-USD';
const iso = (ms: number) => new Date(ms).toISOString();

const workspace = cliWorkspaces('seamless-cli-snapshot-');

async function ok(cwd: string, args: readonly string[]): Promise<string> {
  const run = await seamless(cwd, args);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout;
}

describe('seamless snapshot', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('creates, reads by name after a purge, refuses a duplicate, exports, imports elsewhere and deletes', async () => {
    const cwd = await workspace();
    const other = await workspace();
    const range = ['--interval', '1m', '--start', iso(T0), '--end', iso(T0 + 60 * MINUTE)];
    const manifest = JSON.parse(await ok(cwd, ['snapshot', 'create', 's1', '--node', BTC, ...range, '--strategy', 'seamless', '--json'])) as { fingerprint: string; datasets: { rows: number; fingerprint: string }[] };
    expect(manifest.datasets[0].rows).toBe(60);

    const read = ['fetch', '--node', BTC, ...range, '--snapshot', 's1', '--format', 'json'];
    const first = await ok(cwd, read);
    expect((JSON.parse(first) as { metadata: { fingerprint: string } }).metadata.fingerprint).toBe(manifest.datasets[0].fingerprint);
    await ok(cwd, ['purge', '--node', BTC, ...range, '--yes']);
    expect(await ok(cwd, read)).toBe(first);

    const dup = await seamless(cwd, ['snapshot', 'create', 's1', '--node', BTC, ...range]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('conflict');
    expect(dup.stderr).toContain('name:');

    expect(await ok(cwd, ['snapshot', 'list'])).toContain(`s1: 1 datasets, 60 rows, 1m`);
    expect(await ok(cwd, ['snapshot', 'show', 's1'])).toContain(`${BTC} 1m: 60 rows`);

    const out = join(cwd, 'export');
    await ok(cwd, ['snapshot', 'export', 's1', out]);
    const files = await readdir(out);
    expect(files).toContain('manifest.json');
    expect(files.filter((f) => f.endsWith('.parquet'))).toHaveLength(1);

    expect(await ok(other, ['snapshot', 'import', out])).toContain(`imported s1: 1 datasets, 60 rows`);
    expect(await ok(other, read)).toBe(first);

    const refused = await seamless(cwd, ['snapshot', 'delete', 's1']);
    expect(refused.code).toBe(1);
    await ok(cwd, ['snapshot', 'delete', 's1', '--yes']);
    const gone = await seamless(cwd, read);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('not_found');
    expect(existsSync(join(out, 'manifest.json'))).toBe(true);
  });
});
