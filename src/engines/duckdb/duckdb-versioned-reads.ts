/**
 * The versioned reads of the DuckDB bar store (BarStore.readAsOf, coverageAsOf, versions,
 * pruneVersions): the rows and coverage known at a time, from the current rows and the history
 * the writes keep (duckdb-bar-versions.ts holds their SQL). They share the bar store's database
 * handle and its cache of dataset rows, which the store hands in as `knownDataset`, and the
 * store's writes keep their version index (duckdb-version-index.ts) in step.
 *
 * An as-of read is one statement: the version in force comes from the in-process version index
 * (loaded from bar_versions on a dataset's first as-of read), then either the current rows (the
 * version in force is the newest, or no later version touched the range; checked after the
 * statement that no write of the dataset began meanwhile) or the current and history rows as of
 * that version, exact without a transaction (duckdb-bar-versions.ts). While a write of the
 * dataset is in flight, or when such a check fails, the read goes through SQL alone: the version
 * lookup, then the guarded current rows or the history. Cost avoided: BEGIN, COMMIT and the
 * version lookup around every as-of read, and the history scan when the range did not change
 * since (bench/storage/as-of-read.bench.ts).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { emptyFrame } from '../../core/index.js';
import type { FrameSchema, TimeRange } from '../../core/index.js';
import type { AsOfFrame, BarVersion, CoverageRange, DatasetKey } from '../../storage/index.js';
import {
  DatasetSchemaConflictError, barTableFor, checkAsOfRetention, decodeVersionCoverage, distinctVersions, overlappingCoverage, validateDataset, validateRange,
} from '../../storage/index.js';
import type { DatabaseHandle } from './duckdb-database.js';
import type { DatasetRow } from './duckdb-dataset-registry.js';
import { translateDuckDbError } from './duckdb-errors.js';
import type { AsOfStatements } from './duckdb-bar-versions.js';
import {
  asOfSelect, listVersions, loadVersionColumns, pruneHistory, readAsOfBars, readCurrentAsOf, readCurrentRows, recordedHorizon, versionInForce,
} from './duckdb-bar-versions.js';
import { DuckDbVersionIndex } from './duckdb-version-index.js';

export class DuckDbVersionedReads {
  readonly #db: DatabaseHandle;
  readonly #knownDataset: (dataset: DatasetKey) => Promise<DatasetRow | undefined>;
  /** As-of SELECT per frame schema name, built once. */
  readonly #asOfSql = new Map<string, AsOfStatements>();
  /** The pruning horizon (undefined: never pruned, or not loaded yet: `#horizonLoaded`). */
  #horizon: number | undefined = undefined;
  /**
   * Each dataset's newest version as last seen by a read: a hint only (a write since makes it
   * old, and the statement that relies on it checks it first).
   */
  readonly #newest = new Map<number, { readonly id: number; readonly at: number }>();
  #horizonLoaded = false;
  /** Each dataset's versions in memory, kept in step by the store's writes (`writing`, `committed`, `abandoned`). */
  readonly index = new DuckDbVersionIndex();

  /** false: every as-of read through SQL alone (the reference the index is tested against). */
  readonly #useIndex: boolean;

  constructor(db: DatabaseHandle, knownDataset: (dataset: DatasetKey) => Promise<DatasetRow | undefined>, useIndex = true) {
    this.#db = db;
    this.#knownDataset = knownDataset;
    this.#useIndex = useIndex;
  }

  async readAsOf(dataset: DatasetKey, schema: FrameSchema, range: TimeRange, asOf: number): Promise<AsOfFrame> {
    validateDataset(dataset);
    validateRange(range);
    const table = barTableFor(schema);
    try {
      const horizon = await this.#prunedBefore();
      const row = await this.#knownDataset(dataset);
      if (row === undefined || row.schema === undefined) return { frame: emptyFrame(schema), versions: [], newestVersionAt: undefined };
      if (row.schema !== schema.name) throw new DatasetSchemaConflictError(dataset.nodeId, dataset.intervalMs, row.schema, schema.name);
      let sql = this.#asOfSql.get(schema.name);
      if (sql === undefined) {
        sql = asOfSelect(table);
        this.#asOfSql.set(schema.name, sql);
      }
      const select = sql;
      const id = row.id;
      const known = this.#newest.get(id);
      return await this.#db.exclusiveQuery('readAsOf', async (reader) => {
        const indexed = this.#useIndex ? await this.#fromIndex(reader, select, schema, id, dataset.intervalMs, range, asOf, horizon) : undefined;
        if (indexed !== undefined) return indexed;
        // At or after the dataset's newest version (as last seen) the current rows are the answer,
        // read in one statement that checks the newest version is still that one.
        if (known !== undefined && range.end > range.start && asOf >= known.at) {
          const current = await this.#current(reader, select, schema, id, dataset.intervalMs, range, asOf, horizon, known, known);
          if (current !== undefined) return current;
        }
        const inForce = await versionInForce(reader, id, asOf, range);
        if (inForce !== undefined) this.#newest.set(id, inForce.newest);
        // Before the dataset's first version nothing was known: that answer stays exact whatever was pruned.
        if (inForce !== undefined) checkAsOfRetention(asOf, horizon);
        // No version at or before asOf: only rows from before versioning (version 0) were known.
        const version = inForce?.id ?? 0;
        if (range.end <= range.start) return { frame: emptyFrame(schema), versions: inForce === undefined ? [] : [version], newestVersionAt: inForce?.at };
        // The version in force is the newest, or no later version touched the range: the current rows are the answer.
        if (inForce !== undefined && (inForce.id === inForce.newest.id || !inForce.changedSince)) {
          const current = await this.#current(reader, select, schema, id, dataset.intervalMs, range, asOf, horizon, inForce, inForce.newest);
          if (current !== undefined) return current;
        }
        const { frame, versionIds } = await readAsOfBars(reader, select, schema, id, dataset.intervalMs, range, version);
        return { frame, versions: distinctVersions(versionIds, inForce?.id), newestVersionAt: inForce?.at };
      }, `${JSON.stringify(dataset.nodeId)} @ ${dataset.intervalMs} ms as of ${new Date(asOf).toISOString()}`);
    } catch (err) {
      throw translateDuckDbError(err, 'readAsOf');
    }
  }

  /**
   * The as-of read with the version in force from the version index (the same decisions as the
   * SQL path below it), or undefined when the index cannot answer: a write of the dataset in
   * flight, or one began while its entry loaded or while the unguarded current rows were read.
   */
  async #fromIndex(
    reader: DuckDBConnection, select: AsOfStatements, schema: FrameSchema, id: number, intervalMs: number, range: TimeRange, asOf: number,
    horizon: number | undefined,
  ): Promise<AsOfFrame | undefined> {
    const stamp = this.index.stamp(id);
    if (stamp === undefined) return undefined;
    let versions = this.index.entry(id);
    if (versions === undefined) {
      const loaded = await loadVersionColumns(reader, id);
      if (!this.index.install(id, stamp, loaded)) return undefined;
      versions = loaded;
    }
    const inForce = versions.inForce(asOf, range);
    // Before the dataset's first version nothing was known: that answer stays exact whatever was pruned.
    if (inForce !== undefined) checkAsOfRetention(asOf, horizon);
    // No version at or before asOf: only rows from before versioning (version 0) were known.
    const version = inForce?.id ?? 0;
    if (range.end <= range.start) return { frame: emptyFrame(schema), versions: inForce === undefined ? [] : [version], newestVersionAt: inForce?.at };
    // The version in force is the newest, or no later version touched the range: the current rows are the answer,
    // unless a version committed while they were read (then they may hold its rows).
    if (inForce !== undefined && (inForce.id === inForce.newest.id || !inForce.changedSince)) {
      const current = await readCurrentRows(reader, select, schema, id, intervalMs, range);
      if (!this.index.unchangedSince(id, stamp)) return undefined;
      return { frame: current.frame, versions: distinctVersions(current.versionIds, inForce.id), newestVersionAt: inForce.at };
    }
    // Exact whatever committed since: rows of later versions are left out, the rows they replaced are in the history.
    // When a later version replaced every row of the range, no current row is as of this one: the history alone.
    const historyOnly = inForce === undefined ? versions.replacedAfter(-1, range) : inForce.replacedSince;
    const { frame, versionIds } = await readAsOfBars(reader, select, schema, id, intervalMs, range, version, historyOnly);
    return { frame, versions: distinctVersions(versionIds, inForce?.id), newestVersionAt: inForce?.at };
  }

  /** The current rows as of `inForce`, while `newest` is still the dataset's newest version (else undefined). */
  async #current(
    reader: DuckDBConnection, select: AsOfStatements, schema: FrameSchema, id: number, intervalMs: number, range: TimeRange, asOf: number,
    horizon: number | undefined, inForce: { readonly id: number; readonly at: number }, newest: { readonly id: number },
  ): Promise<AsOfFrame | undefined> {
    const current = await readCurrentAsOf(reader, select, schema, id, intervalMs, range, newest.id);
    if (current === undefined) return undefined;
    checkAsOfRetention(asOf, horizon);
    return { frame: current.frame, versions: distinctVersions(current.versionIds, inForce.id), newestVersionAt: inForce.at };
  }

  async coverageAsOf(dataset: DatasetKey, asOf: number, range?: TimeRange): Promise<CoverageRange[]> {
    validateDataset(dataset);
    if (range !== undefined) validateRange(range);
    try {
      const horizon = await this.#prunedBefore();
      const row = await this.#knownDataset(dataset);
      if (row === undefined) return [];
      // An exclusive reader: versionInForce binds a prepared statement (as `versions`).
      const inForce = await this.#db.exclusiveQuery('coverageAsOf', (reader) => versionInForce(reader, row.id, asOf));
      if (inForce !== undefined) checkAsOfRetention(asOf, horizon);
      return inForce === undefined ? [] : overlappingCoverage(decodeVersionCoverage(inForce.coverage), range);
    } catch (err) {
      throw translateDuckDbError(err, 'coverageAsOf');
    }
  }

  async versions(dataset: DatasetKey, limit: number): Promise<BarVersion[]> {
    validateDataset(dataset);
    try {
      const row = await this.#knownDataset(dataset);
      if (row === undefined) return [];
      // An exclusive reader: listVersions binds a prepared statement, which two concurrent listings on a shared reader would overwrite.
      return await this.#db.exclusiveQuery('versions', (reader) => listVersions(reader, row.id, limit));
    } catch (err) {
      throw translateDuckDbError(err, 'versions');
    }
  }

  async pruneVersions(horizon: number): Promise<number> {
    const dropped = await this.#db.transact('pruneVersions', (writer) => pruneHistory(writer, horizon));
    if (this.#horizon === undefined || horizon > this.#horizon) this.#horizon = horizon;
    this.#horizonLoaded = true;
    return dropped;
  }

  /** The recorded pruning horizon, loaded once (only this process prunes its file). */
  async #prunedBefore(): Promise<number | undefined> {
    if (!this.#horizonLoaded) {
      this.#horizon = await this.#db.query('versionHorizon', (reader) => recordedHorizon(reader));
      this.#horizonLoaded = true;
    }
    return this.#horizon;
  }
}
