/**
 * Opens the storage this instance reads and writes: the embedded database (DuckDB file under
 * the data directory, or `:memory:`) always holds the schema registry, the report archive and
 * the embedded lease store; bars, coverage and ingest findings live in the configured engine.
 */
import { mkdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Clock } from '../core/index.js';
import type { LeaseStore } from '../backfill/index.js';
import type { IngestFindingStore, ReportArchive } from '../conformance/index.js';
import type { SeamlessConfig } from '../config/index.js';
import type { RegistryStore } from '../schema/index.js';
import { createEmbeddedDatabase } from '../storage/index.js';
import type { BarStore } from '../storage/index.js';

export interface StorageParts {
  readonly bars: BarStore;
  readonly findings: IngestFindingStore;
  readonly registry: RegistryStore;
  readonly reports: ReportArchive;
  readonly leases: LeaseStore;
  close(): Promise<void>;
}

export async function composeStorage(config: SeamlessConfig['storage'], dataDir: string, clock: Clock): Promise<StorageParts> {
  const path = config.path === ':memory:' || isAbsolute(config.path) ? config.path : join(dataDir, config.path);
  if (path !== ':memory:') mkdirSync(dataDir, { recursive: true });
  const db = await createEmbeddedDatabase({ path, clock });
  return {
    bars: db.bars, findings: db.findings, registry: db.registry, reports: db.reports, leases: db.leases,
    close: () => db.close(),
  };
}
