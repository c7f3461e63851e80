/**
 * `createPostgresStorage`: bars, coverage, fences and ingest findings in one PostgreSQL database
 * (`storage.url: postgres://…`), behind the same BarStore interface as the embedded engine and
 * passing the same suite (test/storage-suite/bar-store-suite.ts), plus the state gateways share
 * (migration 9): the schema registry store, the report archive and the lease store. Many
 * Seamless processes may share the database: writes lock their rows, nothing is mirrored in
 * memory (the registry's cache is bounded by its change counter, cached-registry-store.ts).
 */
import { InvalidRequestError, systemClock } from '../../core/index.js';
import type { Clock } from '../../core/index.js';
import type { IngestFindingStore, ReportArchive } from '../../conformance/index.js';
import type { LeaseStore } from '../../backfill/index.js';
import type { RegistryStore } from '../../schema/index.js';
import type { BarStore, SnapshotStore } from '../../storage/index.js';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { createPgBarStore } from './postgres-bar-store.js';
import { createChangeNotifier } from './postgres-change-notify.js';
import { openPgDatabase } from './postgres-database.js';
import { createPgIngestFindingStore } from './postgres-ingest-findings.js';
import { createPgLeaseStore } from './postgres-lease-store.js';
import { createPgRegistryStore } from './postgres-registry-store.js';
import { createPgReportArchive } from './postgres-report-archive.js';
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
  /** This process's id in the change notifications its writes send (default: host, pid and a random suffix). */
  readonly origin?: string;
  /** A hot standby for reads of bars, coverage and the catalog (`storage.readUrl`; postgres-replica.ts). */
  readonly replica?: Omit<ReplicaOptions, 'poolMax' | 'connectTimeoutMs'>;
}

export interface PostgresStorage {
  readonly bars: BarStore;
  /** Findings written with a batch's rows (`WriteBatch.findings`) land here, in the same transaction. */
  readonly findings: IngestFindingStore;
  /** Named, immutable snapshots (migration 8). */
  readonly snapshots: SnapshotStore;
  /** The origin id every write and purge of `bars` announces itself with (postgres-change-notify.ts). */
  readonly origin: string;
  /** The schema registry's store, shared by every process on the database (migration 9). */
  readonly registry: RegistryStore;
  /** The conformance report archive, shared likewise (migration 9). */
  readonly reports: ReportArchive;
  /** The backfill lease store (shards, jobs, fencing tokens) for deployments without etcd (migration 9). */
  readonly leases: LeaseStore;
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
  const origin = options.origin ?? defaultOrigin();
  let leases: LeaseStore;
  try {
    leases = await createPgLeaseStore(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  const primaryBars = createPgBarStore(db, createChangeNotifier(origin, clock));
  let replica: Replica | undefined;
  try {
    replica = options.replica === undefined ? undefined : await openReplica(db, primaryBars, { ...options.replica, poolMax, connectTimeoutMs }, clock);
  } catch (error) {
    await leases.close();
    await db.close();
    throw error;
  }
  const bars = replica?.bars ?? primaryBars;
  return Object.freeze({
    origin,
    bars,
    replica,
    findings: createPgIngestFindingStore(db),
    snapshots: createPgSnapshotStore(db),
    registry: createPgRegistryStore(db),
    reports: createPgReportArchive(db),
    leases,
    // The lease store's watch poll stops first, then the pools close (with a standby, the routed store closes both).
    close: async () => {
      await leases.close();
      await bars.close();
    },
  });
}

/** Unique per process and readable in logs: `host:pid:random`. */
function defaultOrigin(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}
