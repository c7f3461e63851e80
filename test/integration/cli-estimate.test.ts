/**
 * `seamless fetch --estimate`, the real CLI as child processes: embedded over a data directory of
 * its own, and through a gateway (`--url`) started in the test process.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import type { BarsEstimate } from '../../src/provider/index.js';
import { CLI_TEST_TIMEOUT_MS } from '../helpers/cli-timeout.js';
import { startInProcessGateway } from '../helpers/in-process-gateway.js';
import { SEAMLESS_CLI as BIN } from '../harness/seamless-cli.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const BTC = 'ohlcv:demo:BTC-USD';
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string }

async function workspace(): Promise<{ cwd: string; dataDir: string }> {
  const cwd = await mkdtemp(join(tmpdir(), 'seamless-cli-estimate-'));
  dirs.push(cwd);
  return { cwd, dataDir: join(cwd, 'data') };
}

function seamless(ws: { cwd: string; dataDir: string }, args: readonly string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SEAMLESS_')) env[k] = v;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ws.cwd, env: { ...env, SEAMLESS_DATA_DIR: ws.dataDir } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

const range = (minutes: number): string[] => ['--start', new Date(T0).toISOString(), '--end', new Date(T0 + minutes * MINUTE).toISOString()];

describe('seamless fetch --estimate', { timeout: CLI_TEST_TIMEOUT_MS, concurrent: true }, () => {
  it('prints the estimate as JSON and stores nothing', async ({ expect }) => {
    const ws = await workspace();
    const run = await seamless(ws, ['fetch', '--estimate', '--node', BTC, '--interval', '1m', ...range(60), '--format', 'json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const e = JSON.parse(run.stdout) as BarsEstimate;
    expect(e.bars).toMatchObject({ inRange: 60, stored: 0, missing: 60 });
    expect(e.backfill).toMatchObject({ source: 'synthetic', shards: 1, requests: 1 });
    expect(e.bytes.arrow.basis).toBe('exact');
    const cov = await seamless(ws, ['coverage', '--node', BTC, '--interval', '1m', '--json']);
    expect((JSON.parse(cov.stdout) as { ranges: unknown[] }).ranges).toEqual([]);
  });

  it('prints lines a person reads, each figure with its basis', async ({ expect }) => {
    const ws = await workspace();
    const run = await seamless(ws, ['fetch', '--estimate', '--node', BTC, '--interval', '1m', ...range(60)]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('no data moved');
    expect(run.stdout).toMatch(/bars\s+60 in range \(calendar 24\/7\), 0 stored, 0 known empty, 60 missing/);
    expect(run.stdout).toMatch(/arrow\s+\d+ bytes \(exact: /);
    expect(run.stdout).toMatch(/json\s+\d+ bytes \(default: /);
  });

  it('asks a gateway with --url and prints what GET /v1/bars/estimate answers', async ({ expect }) => {
    const ws = await workspace();
    const gw = await startInProcessGateway((dataDir) => ({ overrides: { dataDir } }));
    try {
      const run = await seamless(ws, ['fetch', '--estimate', '--url', gw.url, '--node', BTC, '--interval', '1m', ...range(30), '--format', 'json']);
      expect(run.stderr).toBe('');
      const viaCli = JSON.parse(run.stdout) as BarsEstimate;
      const direct = await (await fetch(`${gw.url}/v1/bars/estimate?node=${BTC}&interval=1m&start=${T0}&end=${T0 + 30 * MINUTE}`)).json() as BarsEstimate;
      expect(viaCli.bars).toEqual(direct.bars);
      expect(viaCli.bars.missing).toBe(30);
    } finally {
      await gw.close();
    }
  });

  it('refuses bad input naming the option or field', async ({ expect }) => {
    const ws = await workspace();
    const csv = await seamless(ws, ['fetch', '--estimate', '--node', BTC, '--interval', '1m', ...range(60), '--format', 'csv']);
    expect(csv.code).toBe(1);
    expect(csv.stderr).toMatch(/^seamless: invalid_request: --format: /);
    const interval = await seamless(ws, ['fetch', '--estimate', '--node', BTC, '--interval', '7q', ...range(60)]);
    expect(interval.code).toBe(1);
    expect(interval.stderr).toMatch(/^seamless: invalid_request: interval: /);
  });
});
