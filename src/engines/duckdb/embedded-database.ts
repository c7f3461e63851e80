/**
 * The embedded database: one DuckDB file holding bars, the schema registry, the conformance
 * report archive, ingest findings and backfill leases. DuckDB lets one process open a file once,
 * so the file is opened here once and every store shares its writer/reader connections and its
 * one write queue.
 */
import { systemClock } from '../../core/index.js';
import type { Clock } from '../../core/index.js';
import type { LeaseStore } from '../../backfill/index.js';
import type { IngestFindingStore, ReportArchive } from '../../conformance/index.js';
import type { RegistryStore } from '../../schema/index.js';
import type { BarStore, SnapshotStore } from '../../storage/index.js';
import type { StorageFailure, WalFinding } from '../../storage/index.js';
import { openDatabaseHandle } from './duckdb-database.js';
import { barStoreOn } from './duckdb-bar-store.js';
import { ingestFindingStoreOn } from './duckdb-ingest-findings.js';
import { leaseStoreOn } from './duckdb-lease-store.js';
import { registryStoreOn } from './duckdb-registry-store.js';
import { reportArchiveOn } from './duckdb-report-archive.js';
import { snapshotStoreOn } from './duckdb-snapshot-store.js';

export interface EmbeddedDatabaseOptions {
  /** Database file path, or `:memory:`. */
  readonly path: string;
  /** Stamps `coverage.updated_at_ms`; the system clock by default. */
  readonly clock?: Clock;
}

export interface EmbeddedDatabase {
  readonly bars: BarStore;
  readonly registry: RegistryStore;
  readonly reports: ReportArchive;
  readonly findings: IngestFindingStore;
  /** Named, immutable snapshots (migration 14). */
  readonly snapshots: SnapshotStore;
  /**
   * Backfill shards, leases and jobs (kind `embedded`), durable across restarts. `leases.close()`
   * only detaches its watchers (the store lives as long as the database); `close()` ends both.
   */
  readonly leases: LeaseStore;
  /** The failure that put the database out of service (reason, message, since), if any. */
  failure(): StorageFailure | undefined;
  /** Called once per new failure (the moment health goes red); returns the unsubscribe function. */
  onFailure(listener: (failure: StorageFailure) => void): () => void;
  /** What the open found in a write-ahead log left by an unclean stop (undefined: none). */
  readonly wal: WalFinding | undefined;
  /**
   * Closes the database once (idempotent; `bars.close()` does the same): queued writes settle
   * first, then every store's calls throw StorageEngineError (`internal`).
   */
  close(): Promise<void>;
}

/**
 * Opens (creating when absent) the database file and applies every pending migration, so a
 * file written by an older Seamless is upgraded in place.
 *
 * @example
 * const db = await createEmbeddedDatabase({ path: 'data/seamless.duckdb' });
 * try {
 *   const v = await db.registry.appendVersion('ohlcv-value', schemaText, fingerprint, Date.now());
 * } finally {
 *   await db.close();
 * }
 */
export async function createEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const handle = await openDatabaseHandle(options.path, options.clock ?? systemClock);
  return Object.freeze({
    bars: barStoreOn(handle),
    registry: registryStoreOn(handle),
    reports: reportArchiveOn(handle),
    findings: ingestFindingStoreOn(handle),
    snapshots: snapshotStoreOn(handle),
    leases: leaseStoreOn(handle),
    failure: () => handle.failure(),
    onFailure: (listener: (failure: StorageFailure) => void) => handle.onFailure(listener),
    wal: handle.wal,
    close: () => handle.close(),
  });
}
