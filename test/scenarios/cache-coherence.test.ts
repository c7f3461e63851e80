/**
 * Scenario: two gateways on one PostgreSQL database, deployed as an operator would (two
 * `seamless serve` children from YAML files, each its own data directory and response cache), and
 * a third process writing: an operator's `seamless import` run by hand with the same `storage.url`.
 * A client reads a range through gateway A (cached: the second read is a cache hit); the import
 * rewrites three bars; A's next reads show the imported bars within a bound (polled with a
 * deadline that only guards against hangs). Then the fault: every listener connection is
 * terminated (pg_terminate_backend); A's /healthz reports its change listener again, its /metrics
 * count the resyncs, and its cache was cleared (the next read is not a cache hit).
 * Skipped when PostgreSQL is not installed. docs/operations/cache-coherence.md.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, startPostgresServer } from '../harness/postgres-server.js';
import type { PostgresServer } from '../harness/postgres-server.js';
import { eventually, killSeamlessProcesses, startSeamless, waitForLine } from '../harness/seamless-processes.js';
import { runSeamless } from '../helpers/cli-run.js';
import { tempDir } from '../helpers/temp-dir.js';

const MIN = 60_000;
const NODE = 'ohlcv:scenario:COHERENT';
const T0 = Date.UTC(2024, 2, 4);
const END = T0 + 240 * MIN;
/** Only guards against a hang: the bound is milliseconds (docs/operations/cache-coherence.md). */
const DEADLINE_MS = 15_000;

interface ReadBody {
  data: { ts: number[]; close: number[] };
  metadata: { rows: number; cacheHit: boolean };
  error?: { code: string; message: string };
}

describe.skipIf(!postgresAvailable())('two gateways on one PostgreSQL keep their caches in agreement', () => {
  let pg: PostgresServer;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let storageUrl: string;
  let database: string;
  let gatewayA: string;

  async function configFile(name: string): Promise<string> {
    const file = join(dir.path, `${name}.yml`);
    await writeFile(file, [
      `dataDir: ${JSON.stringify(join(dir.path, name))}`,
      'logging: { level: warn }',
      `storage: { url: ${JSON.stringify(storageUrl)} }`,
      'sources: { quick: { kind: synthetic, seed: 31 } }',
      `datasets: [{ nodeId: "${NODE}", intervals: [1m], source: quick }]`,
      'seamless: { backfill: { barsPerShard: 60 } }',
      '',
    ].join('\n'));
    return file;
  }

  async function serve(name: string): Promise<string> {
    const gateway = startSeamless(['serve', '--port', '0', '--config', await configFile(name)], dir.path, name);
    return (await waitForLine(gateway, /listening on (http:\/\/\S+)/))[1];
  }

  async function read(url: string): Promise<ReadBody> {
    const res = await fetch(`${url}/v1/bars?node=${encodeURIComponent(NODE)}&interval=1m&start=${T0}&end=${END}&format=json`);
    const body = (await res.json()) as ReadBody;
    expect(res.status, JSON.stringify(body.error)).toBe(200);
    return body;
  }

  async function metric(url: string, pattern: RegExp): Promise<number> {
    const text = await (await fetch(`${url}/metrics`)).text();
    const m = pattern.exec(text);
    return m === null ? 0 : Number(m[1]);
  }

  beforeAll(async () => {
    dir = await tempDir('seamless-scenario-coherence-');
    pg = await startPostgresServer();
    storageUrl = await pg.createDatabase('seamless_coherence');
    database = decodeURIComponent(new URL(storageUrl).pathname.slice(1));
    // One at a time: both gateways migrate the database at start.
    gatewayA = await serve('gateway-a');
    await serve('gateway-b');
  }, 90_000);

  afterAll(async () => {
    await killSeamlessProcesses();
    await pg?.stop();
    await dir?.remove();
  });

  it('shows bars an operator imported by hand through a gateway that had cached them', async () => {
    await read(gatewayA);
    const cached = await read(gatewayA);
    expect(cached.metadata).toMatchObject({ rows: 240, cacheHit: true });

    const closes = [0, 1, 2].map((i) => Math.round(cached.data.close[i] * 1.001 * 100) / 100);
    const csv = join(dir.path, 'fix.csv');
    await writeFile(csv, `ts,open,high,low,close,volume\n${closes.map((c, i) => `${new Date(T0 + i * MIN).toISOString()},${c},${c},${c},${c},1`).join('\n')}\n`);
    const cliDir = join(dir.path, 'cli');
    const imported = await runSeamless(dir.path, ['import', csv, '--node', NODE, '--interval', '1m', '--config', await configFile('cli'), '--data-dir', cliDir]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('imported 3 rows');

    await eventually('gateway A to serve the imported closes', async () => {
      const body = await read(gatewayA);
      return closes.every((c, i) => body.data.close[i] === c) ? body : undefined;
    }, DEADLINE_MS);
    expect(await metric(gatewayA, /^seamless_cache_invalidations_received_total\{kind="write"\} (\d+)/m)).toBeGreaterThanOrEqual(1);
    expect(await metric(gatewayA, /^seamless_cache_invalidation_lag_seconds_count (\d+)/m)).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('clears its cache and listens again after its listener connection is terminated, saying so in health and metrics', async () => {
    await read(gatewayA);
    expect((await read(gatewayA)).metadata.cacheHit).toBe(true);
    const resyncs = /^seamless_cache_invalidations_received_total\{kind="resync"\} (\d+)/m;
    const before = await metric(gatewayA, resyncs);

    const killed = await pg.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'seamless-listener' AND datname = $1`, [database]);
    expect(killed).toHaveLength(2);
    await eventually('a resync on loss and one on reconnect', async () => ((await metric(gatewayA, resyncs)) >= before + 2 ? true : undefined), DEADLINE_MS);
    const health = await eventually('gateway A\'s change listener to be listening', async () => {
      const res = await fetch(`${gatewayA}/healthz`);
      const body = (await res.json()) as { checks: Record<string, { ok: boolean; detail: string }> };
      return res.status === 200 && body.checks.changeListener?.ok === true ? body : undefined;
    }, DEADLINE_MS);
    expect(health.checks.changeListener.detail).toMatch(/listening on seamless_bar_changes \(1 reconnects\)/);
    expect((await read(gatewayA)).metadata.cacheHit).toBe(false);
  }, 60_000);
});
