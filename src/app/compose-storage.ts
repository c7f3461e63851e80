/**
 * Opens the storage this instance reads and writes, by `storage.engine`, in one exhaustive switch
 * over the engine descriptors (src/engines/*): a new engine kind fails to compile here until it
 * has its case. The embedded database (DuckDB file under the data directory, or `:memory:`)
 * always holds the schema registry, the report archive and the embedded lease store; bars,
 * coverage and ingest findings live in the configured engine — the same embedded file
 * (`duckdb`), or the PostgreSQL database at `storage.url` (`postgres`). Every engine opened is
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
import type { BarStore, DatasetKey, EngineContext, ReadRoutingObserver, SnapshotStore, StorageFailure, WalFinding } from '../storage/index.js';

export interface StorageParts {
  readonly bars: BarStore;
  readonly findings: IngestFindingStore;
  /** Named, immutable snapshots, in the configured engine. */
  readonly snapshots: SnapshotStore;
  readonly registry: RegistryStore;
  readonly reports: ReportArchive;
  readonly leases: LeaseStore;
  /** The embedded database's failure, if any (it holds leases and the registry with either engine). */
  failure(): StorageFailure | undefined;
  onFailure(listener: (failure: StorageFailure) => void): () => void;
  /** What the start found in the embedded database's write-ahead log. */
  readonly wal: WalFinding | undefined;
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
        return parts({ ...db, replica: undefined }, db, resources);
      }
      case 'postgres': {
        // PostgreSQL first: an unreachable database fails the start before anything else is opened.
        const { postgresEngine } = await import('../engines/postgres/index.js');
        const pg = await postgresEngine.open(config, resources, context);
        const db = await duckdbEngine.open(config, resources, context);
        return parts({ bars: pg.bars, findings: pg.findings, snapshots: pg.snapshots, replica: pg.replica }, db, resources);
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

function parts(primary: Pick<StorageParts, 'bars' | 'findings' | 'snapshots' | 'replica'>, db: EmbeddedDatabase, resources: ResourceStack): StorageParts {
  return {
    bars: primary.bars, findings: primary.findings, snapshots: primary.snapshots, registry: db.registry, reports: db.reports, leases: db.leases,
    replica: primary.replica,
    failure: () => db.failure(), onFailure: (listener) => db.onFailure(listener), wal: db.wal,
    // Every engine closes even when one fails; the first failure is reported.
    close: () => resources.disposeAsync(),
  };
}
