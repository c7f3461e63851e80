/**
 * Caches that agree across gateways (docs/operations/cache-coherence.md): two Seamless instances
 * (gateways A and B, each its own data directory and response cache) on ONE real PostgreSQL
 * database (test/harness/postgres-server.ts). A caches a day; B rewrites part of it (a file
 * import), purges it (repair), or the listener's connection is killed (pg_terminate_backend):
 * A's next reads must show the change within a bound (polled with a deadline that only guards
 * against hangs), and before each change A is shown to answer from its cache, so the test fails
 * when invalidation does not cross processes. Skipped when PostgreSQL is not installed.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSeamless } from '../../src/app/index.js';
import type { Seamless } from '../../src/app/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { postgresAvailable, startPostgresServer } from '../harness/postgres-server.js';
import type { PostgresServer } from '../harness/postgres-server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';

const MIN = 60_000;
const NODE = 'ohlcv:pg:BTC/USD';
const DAY = Date.UTC(2024, 0, 2);
const REQUEST = { nodeId: NODE, interval: '1m', start: DAY, end: DAY + 1_440 * MIN } as const;
/** Only guards against a hang: the measured bound is milliseconds (bench/storage/cache-invalidation.bench.ts). */
const DEADLINE_MS = 15_000;

async function metricValue(seamless: Seamless, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = seamless.metrics.registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  let sum = 0;
  for (const v of values) {
    if (Object.entries(labels).every(([k, want]) => v.labels[k] === want)) sum += v.value;
  }
  return sum;
}

describe.skipIf(!postgresAvailable())('response caches of gateways sharing one PostgreSQL', () => {
  let server: PostgresServer;
  let database: string;
  const dirs: Awaited<ReturnType<typeof tempDir>>[] = [];
  let a: Seamless;
  let b: Seamless;

  async function gateway(url: string): Promise<Seamless> {
    const dir = await tempDir();
    dirs.push(dir);
    return await createSeamless({
      config: {
        dataDir: dir.path,
        storage: { engine: 'postgres', url },
        sources: { synthetic: { kind: 'synthetic', seed: 5 } },
        datasets: [{ nodeId: NODE, intervals: ['1m'], source: 'synthetic' }],
        seamless: { backfill: { barsPerShard: 1_440 } },
      },
      env: {},
      logger: silentLogger(),
    });
  }

  /** B rewrites the first three bars of the day with closes 0.1 % above what A was served. */
  async function rewriteOnB(served: Float64Array, name: string): Promise<number[]> {
    const closes = [0, 1, 2].map((i) => Math.round(served[i] * 1.001 * 100) / 100);
    const rows = closes.map((c, i) => `${new Date(DAY + i * MIN).toISOString()},${c},${c},${c},${c},1`);
    const csv = join(dirs[1].path, `${name}.csv`);
    await writeFile(csv, `ts,open,high,low,close,volume\n${rows.join('\n')}\n`);
    await b.import({ path: csv, nodeId: NODE, interval: '1m' });
    return closes;
  }

  beforeAll(async () => {
    server = await startPostgresServer();
    const url = await server.createDatabase('seamless_coherence');
    database = decodeURIComponent(new URL(url).pathname.slice(1));
    a = await gateway(url);
    b = await gateway(url);
  }, 60_000);

  afterAll(async () => {
    await a?.close();
    await b?.close();
    for (const dir of dirs) await dir.remove();
    await server?.stop();
  });

  it('shows bars another gateway imported over a range it had cached', async () => {
    await a.fetch(REQUEST);
    const cached = await a.fetch(REQUEST);
    expect(cached.metadata.cacheHit).toBe(true);
    expect(cached.metadata.sources.cache).toBe(1_440);

    const closes = await rewriteOnB(cached.frame.column('close'), 'import');
    let seen: number[] = [];
    await until(async () => {
      const after = await a.fetch(REQUEST);
      seen = Array.from(after.frame.column('close').subarray(0, 3));
      return seen.every((c, i) => c === closes[i]);
    }, `gateway A to serve the closes gateway B imported (${closes.join(', ')}; last seen ${seen.join(', ')})`, DEADLINE_MS);
    expect(await metricValue(a, 'seamless_cache_invalidations_received_total', { kind: 'write' })).toBeGreaterThan(0);
    expect(await a.metrics.registry.getSingleMetricAsString('seamless_cache_invalidation_lag_seconds')).toMatch(/^seamless_cache_invalidation_lag_seconds_count [1-9]/m);
  });

  it('stops serving bars another gateway purged from the range it had cached', async () => {
    // Each gateway here has its own embedded lease store, so A would not backfill the purged hour
    // again (its shard is complete there): read what storage has, partial answers allowed.
    const request = { ...REQUEST, strategy: 'fail_fast', partialOk: true } as const;
    await a.fetch(request);
    expect((await a.fetch(request)).metadata.cacheHit).toBe(true);
    await b.purge({ nodeId: NODE, interval: '1m', start: DAY, end: DAY + 60 * MIN, actor: 'test' });
    let after = await a.fetch(request);
    await until(async () => {
      after = await a.fetch(request);
      return after.metadata.rows === 1_380;
    }, 'gateway A to stop serving the purged hour', DEADLINE_MS);
    expect(after.frame.ts[0]).toBe(DAY + 60 * MIN);
    expect(await metricValue(a, 'seamless_cache_invalidations_received_total', { kind: 'purge' })).toBeGreaterThan(0);
    // B (whose purge reset its own shard) backfills the hour again, for the tests after this one.
    expect((await b.fetch(REQUEST)).metadata.rows).toBe(1_440);
  });

  it('clears its cache when the listener connection is killed, reconnects, and then hears changes again', async () => {
    await a.fetch(REQUEST);
    expect((await a.fetch(REQUEST)).metadata.cacheHit).toBe(true);
    const resyncs = await metricValue(a, 'seamless_cache_invalidations_received_total', { kind: 'resync' });

    const killed = await server.query<{ ok: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'seamless-listener' AND datname = $1`, [database],
    );
    expect(killed.length).toBe(2);
    // One resync when the connection is lost, one when it listens again.
    await until(async () => await metricValue(a, 'seamless_cache_invalidations_received_total', { kind: 'resync' }) >= resyncs + 2, 'gateway A to resync twice', DEADLINE_MS);
    await until(async () => (await a.health()).changeListener?.ok === true, 'gateway A to listen again', DEADLINE_MS);
    expect((await a.fetch(REQUEST)).metadata.cacheHit).toBe(false);

    // Listening again: the next change by B reaches A.
    const cached = await a.fetch(REQUEST);
    expect(cached.metadata.cacheHit).toBe(true);
    const closes = await rewriteOnB(cached.frame.column('close'), 'after-reconnect');
    await until(async () => {
      const after = await a.fetch(REQUEST);
      return Array.from(after.frame.column('close').subarray(0, 3)).every((c, i) => c === closes[i]);
    }, 'gateway A to serve what B imported after the reconnect', DEADLINE_MS);
  });

  it('reports the change listener in health', async () => {
    expect((await a.health()).changeListener).toMatchObject({ ok: true, detail: expect.stringContaining('listening') as string });
  });
});
