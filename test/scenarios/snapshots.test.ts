/**
 * Snapshots as an operator uses them, on a real `seamless serve` child (embedded DuckDB, synthetic
 * sources, API keys), driven with the CLI over HTTP:
 *
 * - a snapshot created with `seamless snapshot create --url …` reads by name over HTTP;
 * - the gateway is killed with SIGKILL while a large snapshot is being made (its datasets are
 *   still being read and backfilled from a slow upstream);
 * - after a restart on the same data directory no half-made snapshot is listed or readable (its
 *   creation is one transaction), and the completed one answers the identical bytes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { adminGatewayForFile } from '../harness/admin-gateway.js';
import { eventually, processReport, startSeamless } from '../harness/seamless-processes.js';
import { createFaults } from './fault-injection.js';
import type { Faults } from './fault-injection.js';

const MIN = 60_000;
const DAY = 1440 * MIN;
const T0 = Date.UTC(2024, 0, 1);
const FAST = 'ohlcv:demo:BTC-USD';
const SLOW = 'ohlcv:slow:SLOW';
const iso = (t: number) => new Date(t).toISOString();

const deployment = adminGatewayForFile('seamless-snapshots-', 'research-admin', [
  'sources:',
  '  fast: { kind: synthetic, seed: 42 }',
  // Every upstream request takes a second: a month of 1m bars takes several seconds to backfill.
  '  slow: { kind: synthetic, seed: 7, latencyMs: 1000 }',
  'datasets:',
  `  - { nodeId: "${FAST}", intervals: [1m], source: fast }`,
  `  - { nodeId: "${SLOW}", intervals: [1m], source: slow }`,
]);
const { auth, serve, cli } = deployment;
let faults: Faults;

afterEach(async () => {
  await faults?.teardown();
});

async function snapshotRead(url: string, name: string): Promise<{ status: number; fingerprint: string | null; body: string }> {
  const res = await fetch(`${url}/v1/bars?node=${FAST}&interval=1m&start=${iso(T0)}&end=${iso(T0 + DAY)}&snapshot=${name}`, { headers: auth });
  return { status: res.status, fingerprint: res.headers.get('x-seamless-fingerprint'), body: await res.text() };
}

async function rowsWritten(url: string, node: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`seamless_backfill_rows_written_total{node_id="${node}"`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('snapshots on a running gateway, and SIGKILL while one is made', () => {
  it('lists no half-made snapshot after a restart, and the completed one reads identically', async () => {
    faults = createFaults();
    const remote = ['--url', '', '--key', deployment.secret];
    const gateway = await serve('gateway-1');
    remote[1] = gateway.url;

    // 1. A day of the fast dataset, through the CLI.
    const made = await cli(['snapshot', 'create', 'day1', ...remote, '--node', FAST, '--interval', '1m', '--start', iso(T0), '--end', iso(T0 + DAY), '--strategy', 'seamless'], 'create-day1');
    expect(made.stdout).toContain('day1: 1 datasets, 1440 rows, 1m');
    const before = await snapshotRead(gateway.url, 'day1');
    expect(before.status, before.body.slice(0, 300)).toBe(200);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toContain('seamless_requests_total{route="/v1/snapshots",status="201"} 1');

    // 2. A month of both datasets; the gateway dies while the slow one is still being backfilled.
    const big = startSeamless(['snapshot', 'create', 'month', ...remote, '--node', FAST, '--node', SLOW, '--interval', '1m',
      '--start', iso(T0), '--end', iso(T0 + 30 * DAY), '--strategy', 'seamless'], deployment.dir, 'create-month');
    await eventually('the large snapshot to be reading its slow dataset', async () => {
      if (!big.running()) throw new Error(`the create ended before the gateway was killed: ${processReport(big)}`);
      return (await rowsWritten(gateway.url, SLOW)) > 0 ? true : undefined;
    }, 60_000, 50);
    expect(big.running(), processReport(big)).toBe(true);
    await faults.kill(gateway.process);
    expect(await gateway.process.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const failed = await big.exited;
    expect(failed.code, processReport(big)).toBe(1);
    expect(big.stdout).not.toContain('month:');

    // 3. Restarted on the same data directory: only the completed snapshot exists, byte for byte.
    const again = await serve('gateway-2');
    remote[1] = again.url;
    const listed = await cli(['snapshot', 'list', ...remote], 'list');
    expect(listed.stdout).toContain('day1: 1 datasets, 1440 rows');
    expect(listed.stdout).not.toContain('month');
    expect((await fetch(`${again.url}/v1/snapshots/month`, { headers: auth })).status).toBe(404);
    const res = await fetch(`${again.url}/v1/bars?node=${SLOW}&interval=1m&start=${iso(T0)}&end=${iso(T0 + DAY)}&snapshot=month`, { headers: auth });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { details: { field: string } } }).error.details.field).toBe('snapshot');
    const after = await snapshotRead(again.url, 'day1');
    expect(after.status).toBe(200);
    expect(after.fingerprint).toBe(before.fingerprint);
    expect(after.body).toBe(before.body);

    // The name of the lost one is free: the operator can make it again (a shorter range here).
    const redo = await cli(['snapshot', 'create', 'month', ...remote, '--node', FAST, '--interval', '1m', '--start', iso(T0), '--end', iso(T0 + 2 * DAY)], 'create-month-again');
    expect(redo.stdout).toContain('month: 1 datasets');
  });
});
