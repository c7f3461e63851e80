/**
 * Opens the storage this instance reads and writes, by `storage.engine`, in one exhaustive switch
 * over the engine descriptors (src/engines/*): a new engine kind fails to compile here until it
 * has its case. With `duckdb` the embedded file (under the data directory, or `:memory:`) holds
 * everything: bars, coverage, findings, snapshots, the schema registry, the report archive and
 * the embedded lease store. With `postgres` the database at `storage.url` holds all of that
 * (the state many gateways share: registry, reports and — `seamless.backfill.store: embedded`,
 * i.e. no etcd — leases, since PostgreSQL migration 9); the embedded file is still opened, for
 * its health and write-ahead-log check only, and holds nothing a read needs. Every engine opened is
 * registered on one ResourceStack, so a failure half-way closes what was opened, in reverse,
 * and `close()` is the same unwinding. The PostgreSQL engine (pg, ~15 MB resident) is imported
 * only when `storage.engine` is `postgres`.
 */
import { InternalError, ResourceStack } from '../core/index.js';
import type { Clock } from '../core/index.js';
import type { LeaseStore } from '../backfill/index.js';
import type { IngestFindingStore, ReportArchive } from '../conformance/index.js';
import type { SeamlessConfig } from '../config/index.js';
import { duckdbEngine } from '../engines/duckdb/index.js';
import type { EmbeddedDatabase } from '../engines/duckdb/index.js';
import type { RegistryStore } from '../schema/index.js';
import type { HealthCheck } from '../gateway/index.js';
import type { BarStore, DatasetKey, EngineContext, ReadRoutingObserver, SnapshotStore, StorageChangeFeed, StorageFailure, WalFinding } from '../storage/index.js';

export interface StorageParts {
  readonly bars: BarStore;
  readonly findings: IngestFindingStore;
  /** Named, immutable snapshots, in the configured engine. */
  readonly snapshots: SnapshotStore;
  readonly registry: RegistryStore;
  readonly reports: ReportArchive;
  readonly leases: LeaseStore;
  /** The embedded database's failure, if any (it holds everything with `duckdb`; with `postgres`, nothing a read needs). */
  failure(): StorageFailure | undefined;
  onFailure(listener: (failure: StorageFailure) => void): () => void;
  /** What the start found in the embedded database's write-ahead log. */
  readonly wal: WalFinding | undefined;
  /** Writes other processes commit to shared storage (PostgreSQL); undefined with the embedded engine (one process). */
  readonly changes: StorageChangeFeed | undefined;
  /**
   * With `storage.readUrl`: the standby's health, probed now (the `storage:standby` check; always
   * ok), and `wrote`: a dataset another process wrote for this one reads from the primary until
   * the standby has replayed it.
   */
  readonly replica: { health(): Promise<HealthCheck>; wrote(dataset: DatasetKey): void } | undefined;
  close(): Promise<void>;
}

export async function composeStorage(config: SeamlessConfig['storage'], dataDir: string, clock: Clock, readRouting?: ReadRoutingObserver): Promise<StorageParts> {
  const resources = new ResourceStack();
  const context: EngineContext = { clock, dataDir, ...(readRouting === undefined ? {} : { readRouting }) };
  try {
    switch (config.engine) {
      case 'duckdb': {
        const db = await duckdbEngine.open(config, resources, context);
        return parts({ bars: db.bars, findings: db.findings, snapshots: db.snapshots, registry: db.registry, reports: db.reports, leases: db.leases, replica: undefined }, db, resources, undefined);
      }
      case 'postgres': {
        // PostgreSQL first: an unreachable database fails the start before anything else is opened.
        const { postgresEngine } = await import('../engines/postgres/index.js');
        const pg = await postgresEngine.open(config, resources, context);
        const db = await duckdbEngine.open(config, resources, context);
        return parts({ bars: pg.bars, findings: pg.findings, snapshots: pg.snapshots, registry: pg.registry, reports: pg.reports, leases: pg.leases, replica: pg.replica }, db, resources, pg.changes);
      }
      default:
        return unknownEngine(config);
    }
  } catch (error) {
    await resources.disposeAsync();
    throw error;
  }
}

/** The compile-time check that every member of the storage config union has its case above. */
function unknownEngine(config: never): never {
  throw new InternalError(`storage.engine ${JSON.stringify((config as { engine?: unknown }).engine)} has no case in composeStorage`);
}

type Stores = Pick<StorageParts, 'bars' | 'findings' | 'snapshots' | 'registry' | 'reports' | 'leases' | 'replica'>;

function parts(primary: Stores, db: EmbeddedDatabase, resources: ResourceStack, changes: StorageChangeFeed | undefined): StorageParts {
  return {
    changes,
    bars: primary.bars, findings: primary.findings, snapshots: primary.snapshots, registry: primary.registry, reports: primary.reports, leases: primary.leases,
    replica: primary.replica,
    failure: () => db.failure(), onFailure: (listener) => db.onFailure(listener), wal: db.wal,
    // Every engine closes even when one fails; the first failure is reported.
    close: () => resources.disposeAsync(),
  };
}
