/**
 * `seamless fetch --align --fill`: the real CLI as a child process (`node bin/seamless.js`) over
 * its own data directory with the demo datasets (BTC-USD derives 1h and 1d from 1m).
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

async function seamless(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cwd = await mkdtemp(join(tmpdir(), 'seamless-cli-resample-'));
  dirs.push(cwd);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SEAMLESS_')) env[k] = v;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env: { ...env, SEAMLESS_DATA_DIR: join(cwd, 'data') }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

describe('seamless fetch --align --fill', { timeout: CLI_TEST_TIMEOUT_MS, concurrent: true }, () => {
  it('prints 1d bars opening at New York midnight, derived from 1m, with the resample metadata', async ({ expect }) => {
    const run = await seamless(['fetch', '--node', BTC, '--interval', '1d', '--align', 'America/New_York', '--start', '2024-03-10T05:00:00Z', '--end', '2024-03-11T04:00:00Z', '--fill', 'prev', '--format', 'json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const body = JSON.parse(run.stdout) as { data: { ts: number[] }; metadata: { resample: Record<string, unknown>; filled: Record<string, unknown> } };
    expect(body.data.ts).toEqual([Date.parse('2024-03-10T05:00:00Z')]);
    expect(body.metadata.resample).toMatchObject({ baseInterval: '1m', align: 'America/New_York', buckets: 1, baseRows: 23 * 60 });
    expect(body.metadata.filled).toEqual({ mode: 'prev', bars: 0, ranges: [] });
  });

  it('refuses an unknown --fill with one line naming the field', async ({ expect }) => {
    const run = await seamless(['fetch', '--node', BTC, '--interval', '1h', '--start', '2024-01-01', '--end', '2024-01-02', '--fill', 'linear']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^seamless: invalid_request: fill: unknown fill mode "linear"/);
  });

  it('refuses an unknown --align time zone naming align', async ({ expect }) => {
    const run = await seamless(['fetch', '--node', BTC, '--interval', '1d', '--align', 'Mars/Olympus', '--start', '2024-01-01', '--end', '2024-01-02']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^seamless: invalid_request: align: unknown time zone "Mars\/Olympus"/);
  });
});
