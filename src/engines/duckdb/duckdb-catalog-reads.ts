/**
 * The bar store's catalog and audit reads on DuckDB: the dataset list, the coverage summary,
 * dated coverage and the repair audit. Each is one query on the reader connection of an open
 * database, its errors translated (duckdb-errors.ts); the SQL lives in the modules named below.
 */
import type { TimeRange } from '../../core/index.js';
import type { CoverageSummary, DatasetKey, DatasetSummary, DatedCoverageRange, RepairAuditEntry } from '../../storage/index.js';
import { validateDataset, validateRange } from '../../storage/index.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import { listRepairAudit } from './duckdb-bar-purge.js';
import { datedCoverageOf, summariseCoverage } from './duckdb-coverage-summary.js';
import type { DatabaseHandle } from './duckdb-database.js';
import { listDatasets } from './duckdb-dataset-registry.js';
import { translateDuckDbError } from './duckdb-errors.js';

export interface CatalogReads {
  repairAudit(filter: { readonly limit: number; readonly nodeId?: string }): Promise<RepairAuditEntry[]>;
  datasets(): Promise<DatasetSummary[]>;
  coverageSummary(): Promise<CoverageSummary[]>;
  datedCoverage(dataset: DatasetKey, range?: TimeRange): Promise<DatedCoverageRange[]>;
}

export function catalogReadsOn(db: DatabaseHandle): CatalogReads {
  async function query<T>(operation: string, fn: (reader: DuckDBConnection) => Promise<T>): Promise<T> {
    db.assertOpen(operation);
    try {
      return await db.query(operation, fn);
    } catch (err) {
      throw translateDuckDbError(err, operation);
    }
  }
  return {
    repairAudit: (filter) => query('repairAudit', (reader) => listRepairAudit(reader, filter.limit, filter.nodeId)),
    datasets: () => query('datasets', (reader) => listDatasets(reader)),
    coverageSummary: () => query('coverageSummary', (reader) => summariseCoverage(reader)),
    datedCoverage(dataset, range) {
      db.assertOpen('datedCoverage');
      validateDataset(dataset);
      if (range !== undefined) validateRange(range);
      return query('datedCoverage', (reader) => datedCoverageOf(reader, dataset, range));
    },
  };
}
