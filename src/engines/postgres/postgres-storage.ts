/**
 * `createPostgresStorage`: bars, coverage, fences and ingest findings in one PostgreSQL database
 * (`storage.url: postgres://…`), behind the same BarStore interface as the embedded engine and
 * passing the same suite (test/storage-suite/bar-store-suite.ts). Many Seamless processes may
 * share the database: writes lock their fence and dataset rows, nothing is mirrored in memory.
 */
import { InvalidRequestError, systemClock } from '../../core/index.js';
import type { Clock } from '../../core/index.js';
import type { IngestFindingStore } from '../../conformance/index.js';
import type { BarStore, SnapshotStore } from '../../storage/index.js';
import { createPgBarStore } from './postgres-bar-store.js';
import { openPgDatabase } from './postgres-database.js';
import { createPgIngestFindingStore } from './postgres-ingest-findings.js';
import { openReplica } from './postgres-replica.js';
import type { Replica, ReplicaOptions } from './postgres-replica.js';
import { createPgSnapshotStore } from './postgres-snapshot-store.js';

export const DEFAULT_PG_POOL_MAX = 10;
export const DEFAULT_PG_CONNECT_TIMEOUT_MS = 5_000;

export interface PostgresStorageOptions {
  /** `postgres://user:password@host:port/database` (or `postgresql://`); the database must exist. */
  readonly url: string;
  readonly pool?: { readonly max?: number };
  /** How long opening a connection may take before it fails (default 5,000 ms). */
  readonly connectTimeoutMs?: number;
  /** Stamps `coverage.updated_at_ms`; the system clock by default. */
  readonly clock?: Clock;
  /** A hot standby for reads of bars, coverage and the catalog (`storage.readUrl`; postgres-replica.ts). */
  readonly replica?: Omit<ReplicaOptions, 'poolMax' | 'connectTimeoutMs'>;
}

export interface PostgresStorage {
  readonly bars: BarStore;
  /** Findings written with a batch's rows (`WriteBatch.findings`) land here, in the same transaction. */
  readonly findings: IngestFindingStore;
  /** Named, immutable snapshots (migration 8). */
  readonly snapshots: SnapshotStore;
  /** With a standby (`replica`): its health, and marks for writes other processes made for this one; undefined without one. */
  readonly replica: Pick<Replica, 'health' | 'wrote'> | undefined;
  /** Idempotent (`bars.close()` does the same): operations in flight settle, then the pool closes. */
  close(): Promise<void>;
}

/**
 * Connects, applies pending migrations and returns the stores. Fails with StorageEngineError
 * (`internal`) naming the URL without its password when the server is unreachable, the database
 * is missing, the credentials are refused, or the schema is newer than this Seamless.
 *
 * @example
 * const pg = await createPostgresStorage({ url: 'postgres://seamless@db:5432/seamless' });
 * try {
 *   const frame = await pg.bars.read({ nodeId: 'ohlcv:binance:BTC/USDT', intervalMs: 60_000 }, OHLCV_SCHEMA, { start, end });
 * } finally {
 *   await pg.close();
 * }
 */
export async function createPostgresStorage(options: PostgresStorageOptions): Promise<PostgresStorage> {
  if (typeof options.url !== 'string' || !/^postgres(ql)?:\/\//.test(options.url)) {
    throw new InvalidRequestError('url', 'must be a postgres:// (or postgresql://) URL');
  }
  if (options.replica !== undefined && (typeof options.replica.url !== 'string' || !/^postgres(ql)?:\/\//.test(options.replica.url))) {
    throw new InvalidRequestError('replica.url', 'must be a postgres:// (or postgresql://) URL of a hot standby');
  }
  const poolMax = options.pool?.max ?? DEFAULT_PG_POOL_MAX;
  if (!Number.isSafeInteger(poolMax) || poolMax < 1) throw new InvalidRequestError('pool.max', `must be a positive integer, got ${String(poolMax)}`);
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_PG_CONNECT_TIMEOUT_MS;
  if (!Number.isSafeInteger(connectTimeoutMs) || connectTimeoutMs < 1) {
    throw new InvalidRequestError('connectTimeoutMs', `must be a positive integer of ms, got ${String(connectTimeoutMs)}`);
  }
  const clock = options.clock ?? systemClock;
  const db = await openPgDatabase({ url: options.url, poolMax, connectTimeoutMs, clock });
  const primaryBars = createPgBarStore(db);
  const replica = options.replica === undefined ? undefined : await openReplica(db, primaryBars, { ...options.replica, poolMax, connectTimeoutMs }, clock);
  return Object.freeze({
    bars: replica?.bars ?? primaryBars,
    replica,
    findings: createPgIngestFindingStore(db),
    snapshots: createPgSnapshotStore(db),
    // With a standby, the routed store closes both pools.
    close: () => (replica?.bars ?? primaryBars).close(),
  });
}
