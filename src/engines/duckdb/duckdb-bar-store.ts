/**
 * The embedded BarStore on DuckDB. Writes run one at a time on the writer connection, each in a
 * single transaction (fence check, validation done before it, row replacement, coverage);
 * reads and coverage lookups run on a separate reader connection and see committed data only.
 * The connections and the write queue belong to the database (`duckdb-database.ts`), which the
 * other embedded stores share; closing the bar store closes that database.
 * The versioned reads (readAsOf, coverageAsOf, versions, pruneVersions) are duckdb-versioned-reads.ts,
 * sharing this store's dataset cache; the transactions of a write, of many writes (writeMany:
 * one transaction for the batches of many datasets) and of a purge are duckdb-write-transaction.ts,
 * duckdb-write-many.ts and duckdb-purge-transaction.ts.
 */
import { OHLCV_SCHEMA, emptyFrame, systemClock } from '../../core/index.js';
import type { Clock, Frame, FrameSchema, TimeRange } from '../../core/index.js';
import type {
  AsOfFrame, BarStore, BarVersion, CoverageRange, CoverageSummary, DatasetKey, DatasetSummary, DatedCoverageRange, Fence, ManyDatasetsFrame, OhlcvBucketReader, OhlcvBuckets, PurgeReport, PurgeRequest,
  RepairAuditEntry, WriteBatch, WriteReport,
} from '../../storage/index.js';
import { catalogReadsOn } from './duckdb-catalog-reads.js';
import type { CatalogReads } from './duckdb-catalog-reads.js';
import { purgeInTransaction } from './duckdb-purge-transaction.js';
import { prepareWrite, writeOneInTransaction } from './duckdb-write-transaction.js';
import type { PreparedWrite, WriteBody } from './duckdb-write-transaction.js';
import { createWriteCoalescer } from './write-coalescer.js';
import type { WriteCoalescer } from './write-coalescer.js';
import { writeManyInTransaction } from './duckdb-write-many.js';
import { readManyBars } from './duckdb-many-reader.js';
import { barReadStatements, readBars } from './duckdb-bar-reader.js';
import type { BarReadStatements } from './duckdb-bar-reader.js';
import { bucketStatements, readOhlcvBuckets } from './duckdb-bucket-reader.js';
import { openDatabaseHandle } from './duckdb-database.js';
import type { DatabaseHandle } from './duckdb-database.js';
import { loadCoverage, loadCoverageMany, saveCoverage } from './duckdb-coverage-index.js';
import { datasetCacheKey, ensureDataset, findDataset, findDatasets } from './duckdb-dataset-registry.js';
import type { DatasetRow } from './duckdb-dataset-registry.js';
import { translateDuckDbError } from './duckdb-errors.js';
import { checkAndAdvanceFence } from './duckdb-fencing.js';
import {
  DatasetSchemaConflictError, StorageUnavailableError, barTableFor, failCoverage, overlappingCoverage, validateDataset, validateFence, validatePurge, validateRange,
} from '../../storage/index.js';
import { DuckDbVersionedReads } from './duckdb-versioned-reads.js';

export interface DuckDbBarStoreOptions {
  /** Database file path, or `:memory:`. */
  readonly path: string;
  /** Stamps `coverage.updated_at_ms`; the system clock by default. */
  readonly clock?: Clock;
  /**
   * Keep each dataset's versions in memory for as-of reads (duckdb-version-index.ts; the default).
   * false answers every as-of read through SQL alone: the reference the index is tested against.
   */
  readonly versionIndex?: boolean;
}

/**
 * Opens (creating when absent) a DuckDB database and brings its schema up to date: a database
 * holding only a bar store. Use `createEmbeddedDatabase` when the registry, the report archive
 * or the findings store must live in the same file.
 */
export async function createDuckDbBarStore(options: DuckDbBarStoreOptions): Promise<BarStore> {
  return barStoreOn(await openDatabaseHandle(options.path, options.clock ?? systemClock), options.versionIndex ?? true);
}

/** The bar store of an open database; its `close` closes the database. */
export function barStoreOn(db: DatabaseHandle, versionIndex = true): BarStore {
  return new DuckDbBarStore(db, versionIndex);
}

class DuckDbBarStore implements BarStore, OhlcvBucketReader {
  readonly engine = 'duckdb';
  readonly #db: DatabaseHandle;
  /** Committed dataset rows by datasetCacheKey. */
  readonly #datasets = new Map<string, DatasetRow>();
  /**
   * Coverage of each dataset by id, mirrored in memory: this process is the database's only
   * writer (DuckDB locks the file), so the mirror is exact once loaded, and the read path's
   * coverage lookup costs no query (it was ~1 ms of a ~2 ms one-day read).
   */
  readonly #coverage = new Map<number, readonly CoverageRange[]>();
  /** Prepared SQL text per frame schema name, built once. */
  readonly #readSql = new Map<string, BarReadStatements>();
  readonly #bucketSql = bucketStatements(barTableFor(OHLCV_SCHEMA));
  /** The versioned reads (readAsOf, coverageAsOf, versions, pruneVersions): duckdb-versioned-reads.ts. */
  readonly #versioned: DuckDbVersionedReads;
  /** The dataset list, coverage summary, dated coverage and repair audit (duckdb-catalog-reads.ts). */
  readonly #catalog: CatalogReads;
  /** Single writes waiting for the queue, committed together (write-coalescer.ts). */
  readonly #coalescer: WriteCoalescer<PreparedWrite, WriteReport>;

  constructor(db: DatabaseHandle, versionIndex: boolean) {
    this.#db = db;
    this.#catalog = catalogReadsOn(db);
    this.#versioned = new DuckDbVersionedReads(db, (dataset) => this.#knownDataset(dataset), versionIndex);
    this.#coalescer = createWriteCoalescer<PreparedWrite, WriteReport>({
      enqueue: (task) => void db.writes.run(task),
      writeOne: async (p) => (await this.#writeOnQueue('write', [p], writeOneInTransaction))[0],
      writeMany: (ps) => this.#writeOnQueue('write', ps, writeManyInTransaction),
      joinable: (a, b) => a.schema === b.schema,
    });
  }

  async read(dataset: DatasetKey, schema: FrameSchema, range: TimeRange): Promise<Frame> {
    this.#assertOpen('read');
    validateDataset(dataset);
    validateRange(range);
    const table = barTableFor(schema);
    try {
      const row = await this.#knownDataset(dataset);
      if (row === undefined || row.schema === undefined || range.end <= range.start) return emptyFrame(schema);
      if (row.schema !== schema.name) throw new DatasetSchemaConflictError(dataset.nodeId, dataset.intervalMs, row.schema, schema.name);
      let statements = this.#readSql.get(schema.name);
      if (statements === undefined) {
        statements = barReadStatements(table);
        this.#readSql.set(schema.name, statements);
      }
      const sql = statements;
      return await this.#db.exclusiveQuery('read', (reader) => readBars(reader, sql, schema, row.id, dataset.intervalMs, range),
        `${JSON.stringify(dataset.nodeId)} @ ${dataset.intervalMs} ms [${new Date(range.start).toISOString()}, ${new Date(range.end).toISOString()})`);
    } catch (err) {
      throw translateDuckDbError(err, 'read');
    }
  }

  /** A derived interval resampled inside the engine: duckdb-bucket-reader.ts. */
  async readOhlcvBuckets(dataset: DatasetKey, range: TimeRange, bucketMs: number): Promise<OhlcvBuckets> {
    this.#assertOpen('readOhlcvBuckets');
    validateDataset(dataset);
    validateRange(range);
    try {
      const row = await this.#knownDataset(dataset);
      if (row !== undefined && row.schema !== undefined && row.schema !== OHLCV_SCHEMA.name) throw new DatasetSchemaConflictError(dataset.nodeId, dataset.intervalMs, row.schema, OHLCV_SCHEMA.name);
      const id = row?.schema === undefined || range.end <= range.start ? -1 : row.id;
      return await this.#db.exclusiveQuery('readOhlcvBuckets', (reader) => readOhlcvBuckets(reader, this.#bucketSql, id, range, bucketMs));
    } catch (err) {
      throw translateDuckDbError(err, 'readOhlcvBuckets');
    }
  }

  async readMany(datasets: readonly DatasetKey[], schema: FrameSchema, range: TimeRange): Promise<ManyDatasetsFrame> {
    this.#assertOpen('readMany');
    for (const d of datasets) validateDataset(d);
    validateRange(range);
    const table = barTableFor(schema);
    try {
      await this.#knownDatasets(datasets);
      const ids: (number | undefined)[] = [];
      const bounds = new Float64Array(datasets.length);
      for (const d of datasets) {
        bounds[ids.length] = Math.ceil((range.end - range.start) / d.intervalMs);
        const row = await this.#knownDataset(d);
        if (row !== undefined && row.schema !== undefined && row.schema !== schema.name) throw new DatasetSchemaConflictError(d.nodeId, d.intervalMs, row.schema, schema.name);
        ids.push(row?.schema === undefined ? undefined : row.id);
      }
      return await this.#db.exclusiveQuery('readMany', (reader) => readManyBars(reader, table, schema, ids, range, bounds),
        `${datasets.length} dataset(s) [${new Date(range.start).toISOString()}, ${new Date(range.end).toISOString()})`);
    } catch (err) {
      throw translateDuckDbError(err, 'readMany');
    }
  }

  /** The coverage mirror answers each dataset (see `#coverage`); datasets not mirrored yet are loaded in one query. */
  async coverageMany(datasets: readonly DatasetKey[], range: TimeRange): Promise<CoverageRange[][]> {
    this.#assertOpen('coverageMany');
    for (const d of datasets) validateDataset(d);
    validateRange(range);
    try {
      await this.#knownDatasets(datasets);
      const unloaded: number[] = [];
      for (const d of datasets) {
        const row = this.#datasets.get(datasetCacheKey(d));
        if (row !== undefined && !this.#coverage.has(row.id)) unloaded.push(row.id);
      }
      if (unloaded.length > 0) {
        // Loaded on the write queue, as `coverage` does: no write commits between the load and the mirror update.
        await this.#db.writes.run(async () => {
          const loaded = await loadCoverageMany(this.#db.conns.writer, unloaded.filter((id) => !this.#coverage.has(id)));
          for (const [id, entries] of loaded) this.#coverage.set(id, entries);
        });
      }
    } catch (err) {
      throw translateDuckDbError(err, 'coverageMany');
    }
    const out: CoverageRange[][] = [];
    for (const d of datasets) out.push(await this.coverage(d, range));
    return out;
  }

  /** Looks up, in one query, the rows of the datasets not cached yet (`#knownDataset` then answers from the cache). */
  async #knownDatasets(datasets: readonly DatasetKey[]): Promise<void> {
    const missing = datasets.filter((d) => this.#datasets.get(datasetCacheKey(d))?.schema === undefined);
    if (missing.length < 2) return;
    const found = await this.#db.query('datasets', (reader) => findDatasets(reader, missing));
    for (const [key, row] of found) this.#datasets.set(key, row);
  }

  async coverage(dataset: DatasetKey, range?: TimeRange): Promise<CoverageRange[]> {
    this.#assertOpen('coverage');
    validateDataset(dataset);
    if (range !== undefined) validateRange(range);
    try {
      const row = await this.#knownDataset(dataset);
      if (row === undefined) return [];
      let entries = this.#coverage.get(row.id);
      if (entries === undefined) {
        // Loaded on the write queue so no write can commit between the load and the mirror update.
        entries = await this.#db.writes.run(async () => {
          const cached = this.#coverage.get(row.id);
          if (cached !== undefined) return cached;
          const loaded = await loadCoverage(this.#db.conns.writer, row.id);
          this.#coverage.set(row.id, loaded);
          return loaded;
        });
      }
      return overlappingCoverage(entries, range);
    } catch (err) {
      throw translateDuckDbError(err, 'coverage');
    }
  }

  /** Joins the writes waiting for the queue: those waiting together commit in one transaction (write-coalescer.ts). */
  async write(batch: WriteBatch, schema: FrameSchema): Promise<WriteReport> {
    this.#assertOpen('write');
    return await this.#coalescer.write(prepareWrite(batch, schema));
  }

  /** One transaction for every batch (duckdb-write-many.ts), the caches kept in step batch by batch as `write` keeps them. */
  async writeMany(batches: readonly WriteBatch[], schema: FrameSchema): Promise<WriteReport[]> {
    this.#assertOpen('writeMany');
    const prepared = batches.map((batch, i) => prepareWrite(batch, schema, `batches[${i}].`));
    return prepared.length === 0 ? [] : await this.#writeBatches('writeMany', prepared, writeManyInTransaction);
  }

  /** Runs `body` over the prepared batches in one transaction on the write queue; the caches learn the outcome. */
  async #writeBatches(operation: string, prepared: readonly PreparedWrite[], body: WriteBody): Promise<WriteReport[]> {
    return await this.#db.writes.run(() => this.#writeOnQueue(operation, prepared, body));
  }

  /** `#writeBatches` for a caller already running on the write queue (the coalescer's task). */
  async #writeOnQueue(operation: string, prepared: readonly PreparedWrite[], body: WriteBody): Promise<WriteReport[]> {
    this.#assertOpen(operation);
    const writer = this.#db.conns.writer;
    // The datasets whose version index was told a write is in flight (duckdb-version-index.ts).
    const versioning: number[] = [];
    try {
      const now = this.#db.clock.now();
      const inputs = prepared.map((p) => ({ ...p, known: this.#datasets.get(datasetCacheKey(p.batch.dataset)), now }));
      const outcomes = await this.#db.writeTransaction(operation, () => body(writer, inputs, (id) => this.#coverage.get(id), (id) => {
        versioning.push(id);
        this.#versioned.index.writing(id);
      }));
      // Committed: the dataset cache, the coverage mirror and the version index learn what each batch wrote.
      return outcomes.map(({ dataset: row, coverage, versionId }, i) => {
        const { span, batch, written } = inputs[i];
        this.#datasets.set(datasetCacheKey(batch.dataset), row);
        this.#coverage.set(row.id, coverage);
        this.#versioned.index.committed(row.id, { id: versionId, at: now, start: span.start, end: span.end, whole: span.whole });
        return { rowsWritten: batch.frame.length, coverageWritten: written, versionId };
      });
    } catch (err) {
      for (const id of versioning) this.#versioned.index.abandoned(id);
      this.#forgetCoverage();
      throw translateDuckDbError(err, operation);
    }
  }


  async advanceFence(fence: Fence): Promise<void> {
    this.#assertOpen('advanceFence');
    validateFence(fence);
    await this.#db.transact('advanceFence', (writer) => checkAndAdvanceFence(writer, fence));
  }

  async markFailed(dataset: DatasetKey, range: TimeRange, reason: string, fence?: Fence): Promise<void> {
    this.#assertOpen('markFailed');
    validateDataset(dataset);
    validateRange(range);
    if (fence !== undefined) validateFence(fence);
    await this.#db.writes.run(async () => {
      this.#assertOpen('markFailed');
      if (range.end <= range.start) return;
      const writer = this.#db.conns.writer;
      try {
        const [row, next] = await this.#db.writeTransaction('markFailed', async () => {
          if (fence !== undefined) await checkAndAdvanceFence(writer, fence);
          const ds = await ensureDataset(writer, dataset);
          const current = this.#coverage.get(ds.id) ?? await loadCoverage(writer, ds.id);
          const updated = failCoverage(current, range, reason);
          await saveCoverage(writer, ds.id, current, updated, this.#db.clock.now());
          return [ds, updated] as const;
        });
        this.#datasets.set(datasetCacheKey(dataset), row);
        this.#coverage.set(row.id, next);
      } catch (err) {
        this.#forgetCoverage();
        throw translateDuckDbError(err, 'markFailed');
      }
    });
  }

  async purge(request: PurgeRequest): Promise<PurgeReport> {
    this.#assertOpen('purge');
    validatePurge(request);
    return await this.#db.writes.run(async () => {
      this.#assertOpen('purge');
      const writer = this.#db.conns.writer;
      let versioning: number | undefined; // as in write
      try {
        const outcome = await this.#db.writeTransaction('purge', () => purgeInTransaction(writer, request, this.#db.clock.now(), (id) => this.#coverage.get(id),
          (id) => this.#versioned.index.writing(versioning = id)));
        if (outcome.coverage !== undefined) this.#coverage.set(outcome.coverage.datasetId, outcome.coverage.ranges);
        if (outcome.version !== undefined) this.#versioned.index.committed(outcome.version.datasetId, outcome.version);
        return outcome.report;
      } catch (err) {
        if (versioning !== undefined) this.#versioned.index.abandoned(versioning);
        this.#forgetCoverage();
        throw translateDuckDbError(err, 'purge');
      }
    });
  }

  repairAudit(filter: { readonly limit: number; readonly nodeId?: string }): Promise<RepairAuditEntry[]> {
    return this.#catalog.repairAudit(filter);
  }

  datasets(): Promise<DatasetSummary[]> {
    return this.#catalog.datasets();
  }

  coverageSummary(): Promise<CoverageSummary[]> {
    return this.#catalog.coverageSummary();
  }

  datedCoverage(dataset: DatasetKey, range?: TimeRange): Promise<DatedCoverageRange[]> {
    return this.#catalog.datedCoverage(dataset, range);
  }

  readAsOf(dataset: DatasetKey, schema: FrameSchema, range: TimeRange, asOf: number): Promise<AsOfFrame> {
    this.#assertOpen('readAsOf');
    return this.#versioned.readAsOf(dataset, schema, range, asOf);
  }

  coverageAsOf(dataset: DatasetKey, asOf: number, range?: TimeRange): Promise<CoverageRange[]> {
    this.#assertOpen('coverageAsOf');
    return this.#versioned.coverageAsOf(dataset, asOf, range);
  }

  versions(dataset: DatasetKey, limit: number): Promise<BarVersion[]> {
    this.#assertOpen('versions');
    return this.#versioned.versions(dataset, limit);
  }

  pruneVersions(horizon: number): Promise<number> {
    this.#assertOpen('pruneVersions');
    return this.#versioned.pruneVersions(horizon);
  }

  async ping(): Promise<void> {
    this.#assertOpen('ping');
    // SELECT 1 still answers on a full disk or with a corrupt block: the recorded failure says it.
    const failure = this.#db.failure();
    if (failure !== undefined) throw new StorageUnavailableError('duckdb', 'ping', failure.reason, failure.message);
    try {
      await this.#db.query('ping', (reader) => reader.run('SELECT 1'));
    } catch (err) {
      throw translateDuckDbError(err, 'ping');
    }
  }

  async close(): Promise<void> {
    await this.#db.close();
  }

  /** The dataset's committed row: cached once it has a schema, else looked up on the reader. */
  async #knownDataset(dataset: DatasetKey): Promise<DatasetRow | undefined> {
    const key = datasetCacheKey(dataset);
    const cached = this.#datasets.get(key);
    if (cached !== undefined && cached.schema !== undefined) return cached;
    const found = await this.#db.query('dataset', (reader) => findDataset(reader, dataset));
    if (found !== undefined) this.#datasets.set(key, found);
    return found;
  }

  /**
   * After a failed write: coverage is saved as a diff against the mirror (duckdb-coverage-index.ts),
   * so the mirror is reloaded from the database rather than trusted when a commit's outcome is unsure.
   */
  #forgetCoverage(): void {
    this.#coverage.clear();
  }

  #assertOpen(operation: string): void {
    this.#db.assertOpen(operation);
  }
}
