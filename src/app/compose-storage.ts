/**
 * Opens the storage this instance reads and writes: the embedded database (DuckDB file under
 * the data directory, or `:memory:`) always holds the schema registry, the report archive and
 * the embedded lease store; bars, coverage and ingest findings live in the configured engine —
 * the same embedded file (`duckdb`), or the PostgreSQL database at `storage.url` (`postgres`).
 */
import { mkdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Clock } from '../core/index.js';
import type { LeaseStore } from '../backfill/index.js';
import type { IngestFindingStore, ReportArchive } from '../conformance/index.js';
import type { SeamlessConfig } from '../config/index.js';
import type { RegistryStore } from '../schema/index.js';
import { createEmbeddedDatabase, createPostgresStorage } from '../storage/index.js';
import type { BarStore, EmbeddedDatabase, StorageFailure, WalFinding } from '../storage/index.js';

export interface StorageParts {
  readonly bars: BarStore;
  readonly findings: IngestFindingStore;
  readonly registry: RegistryStore;
  readonly reports: ReportArchive;
  readonly leases: LeaseStore;
  /** The embedded database's failure, if any (it holds leases and the registry with either engine). */
  failure(): StorageFailure | undefined;
  onFailure(listener: (failure: StorageFailure) => void): () => void;
  /** What the start found in the embedded database's write-ahead log. */
  readonly wal: WalFinding | undefined;
  close(): Promise<void>;
}

export async function composeStorage(config: SeamlessConfig['storage'], dataDir: string, clock: Clock): Promise<StorageParts> {
  if (config.engine === 'postgres' && config.url !== undefined) {
    // PostgreSQL first: an unreachable database fails the start before anything else is opened.
    const pg = await createPostgresStorage({ url: config.url, pool: { max: config.pool.max }, connectTimeoutMs: config.connectTimeoutMs, clock });
    let db: EmbeddedDatabase;
    try {
      db = await openEmbedded(config, dataDir, clock);
    } catch (error) {
      await pg.close();
      throw error;
    }
    return {
      bars: pg.bars, findings: pg.findings, registry: db.registry, reports: db.reports, leases: db.leases,
      failure: () => db.failure(), onFailure: (listener) => db.onFailure(listener), wal: db.wal,
      async close() {
        // Both close even when one fails; the first failure is reported.
        const results = await Promise.allSettled([pg.close(), db.close()]);
        for (const r of results) if (r.status === 'rejected') throw r.reason;
      },
    };
  }
  const db = await openEmbedded(config, dataDir, clock);
  return {
    bars: db.bars, findings: db.findings, registry: db.registry, reports: db.reports, leases: db.leases,
    failure: () => db.failure(), onFailure: (listener) => db.onFailure(listener), wal: db.wal,
    close: () => db.close(),
  };
}

function openEmbedded(config: SeamlessConfig['storage'], dataDir: string, clock: Clock): Promise<EmbeddedDatabase> {
  const path = config.path === ':memory:' || isAbsolute(config.path) ? config.path : join(dataDir, config.path);
  if (path !== ':memory:') mkdirSync(dataDir, { recursive: true });
  return createEmbeddedDatabase({ path, clock });
}
