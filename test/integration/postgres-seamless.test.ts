/**
 * A whole Seamless instance on PostgreSQL storage (`storage: { engine: 'postgres', url }`)
 * against a real server (test/harness/postgres-server.ts): a read that backfills from the
 * synthetic source writes its bars and coverage into PostgreSQL, the next read is served from
 * there, and the registry, reports and (no etcd configured) leases live in PostgreSQL too (migration 9).
 * Skipped when the PostgreSQL server binaries are not installed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSeamless } from '../../src/app/index.js';
import type { Seamless } from '../../src/app/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { freePort } from '../harness/leftovers.js';
import { postgresAvailable, startPostgresServer } from '../harness/postgres-server.js';
import type { PostgresServer } from '../harness/postgres-server.js';
import { tempDir } from '../helpers/temp-dir.js';

const MIN = 60_000;
const NODE = 'ohlcv:pg:BTC/USD';
const DAY = Date.UTC(2024, 0, 2);

describe.skipIf(!postgresAvailable())('seamless on PostgreSQL storage', () => {
  let server: PostgresServer;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let seamless: Seamless;
  let database: string;

  beforeAll(async () => {
    server = await startPostgresServer();
    dir = await tempDir();
    const url = await server.createDatabase('seamless_e2e');
    database = decodeURIComponent(new URL(url).pathname.slice(1));
    seamless = await createSeamless({
      config: {
        dataDir: dir.path,
        storage: { engine: 'postgres', url },
        // Without the response cache the second read must come from storage.
        cache: { enabled: false },
        sources: { synthetic: { kind: 'synthetic', seed: 5 } },
        datasets: [{ nodeId: NODE, intervals: ['1m'], source: 'synthetic' }],
        // One-day shards: shards are aligned to the UTC grid, so the day is exactly one shard.
        seamless: { backfill: { barsPerShard: 1_440 } },
      },
      env: {},
      logger: silentLogger(),
    });
  });

  afterAll(async () => {
    await seamless?.close();
    await dir?.remove();
    await server?.stop();
  });

  it('backfills a missing day into PostgreSQL, then serves the same day from it', async () => {
    const request = { nodeId: NODE, interval: '1m', start: DAY, end: DAY + 1_440 * MIN };
    const first = await seamless.fetch(request);
    expect(first.metadata.rows).toBe(1_440);
    expect(first.metadata.sources.backfill).toBeGreaterThan(0);
    expect(first.metadata.coverageRatio).toBe(1);

    const [{ n }] = await server.query<{ n: number }>('SELECT count(*)::int AS n FROM bars_ohlcv', [], database);
    expect(n).toBe(1_440);
    const coverage = await server.query<{ start_ms: string; end_ms: string; state: string }>('SELECT start_ms, end_ms, state FROM coverage ORDER BY start_ms', [], database);
    expect(coverage).toEqual([{ start_ms: String(DAY), end_ms: String(DAY + 1_440 * MIN), state: 'stored' }]);

    const second = await seamless.fetch(request);
    expect(second.metadata.sources).toMatchObject({ storage: 1_440, backfill: 0, cache: 0 });
    expect(second.metadata.backfill).toBeNull();
    expect(second.metadata.fingerprint).toBe(first.metadata.fingerprint);
    expect(Array.from(second.frame.ts)).toEqual(Array.from(first.frame.ts));
    expect(await seamless.coverage(NODE, '1m')).toEqual([{ start: DAY, end: DAY + 1_440 * MIN, state: 'stored' }]);
  });

  it('reports PostgreSQL as its storage in health, and keeps the registry, reports and leases in PostgreSQL', async () => {
    expect((await seamless.health()).storage).toEqual({ ok: true, detail: 'postgres' });
    expect(existsSync(join(dir.path, 'seamless.duckdb'))).toBe(true);
    const subjects = await seamless.registry.subjects();
    expect(subjects.length).toBeGreaterThan(0);
    const stored = await server.query<{ subject: string }>('SELECT DISTINCT subject FROM registry_subject_versions ORDER BY subject', [], database);
    expect(stored.map((r) => r.subject)).toEqual(subjects);
    // The read's backfill ran on PostgreSQL leases: its one-day shard is recorded there, completed.
    const shards = await server.query<{ state: string; token: string }>('SELECT state, token FROM backfill_shards', [], database);
    expect(shards).toEqual([{ state: 'completed', token: '1' }]);
    // Tables, not their month partitions (migration 10: bars_*_pYYYY_MM and bars_*_default).
    const tables = await server.query<{ table_name: string }>(
      `SELECT c.relname AS table_name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname`, [], database,
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      'backfill_jobs', 'backfill_shards', 'bar_versions', 'bars_ohlcv', 'bars_ohlcv_history', 'bars_quote', 'bars_quote_history', 'bars_tick',
      'bars_tick_history', 'conformance_reports', 'coverage', 'datasets', 'fences', 'ingest_findings', 'lease_lock', 'registry_audit_log',
      'registry_changes', 'registry_config', 'registry_promotions', 'registry_schemas', 'registry_subject_modes', 'registry_subject_versions',
      'registry_validation_failures', 'repair_audit', 'schema_migrations', 'snapshot_datasets', 'snapshots', 'version_horizon',
    ]);
  });

  it('answers reads with a clear internal error and fails /healthz storage while the database is down', async () => {
    await server.stop();
    const health = await seamless.health();
    expect(health.storage.ok).toBe(false);
    expect(health.storage.detail).toMatch(/^postgres ping: cannot reach the database postgres:\/\/postgres@127\.0\.0\.1:\d+\/seamless_e2e_1 \(4 attempts\): .*ECONNREFUSED/);
    await expect(seamless.fetch({ nodeId: NODE, interval: '1m', start: DAY, end: DAY + 60 * MIN })).rejects.toMatchObject({
      code: 'internal', retryable: true, message: expect.stringContaining('cannot reach the database'),
    });
  });

  it('refuses to start when the database is unreachable, naming storage.url without its password', async () => {
    const other = await tempDir();
    try {
      const port = await freePort();
      const start = createSeamless({
        config: { dataDir: other.path, storage: { url: `postgres://seamless:hunter2@127.0.0.1:${port}/seamless`, connectTimeoutMs: 1_000 } },
        env: {},
        logger: silentLogger(),
      });
      await expect(start).rejects.toMatchObject({
        code: 'internal',
        message: expect.stringContaining(`postgres://seamless@127.0.0.1:${port}/seamless`),
      });
      await expect(start).rejects.not.toMatchObject({ message: expect.stringContaining('hunter2') });
      // Nothing was opened: the embedded file is not even created.
      expect(existsSync(join(other.path, 'seamless.duckdb'))).toBe(false);
    } finally {
      await other.remove();
    }
  });
});
