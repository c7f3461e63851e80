/**
 * The BarStore on PostgreSQL. Each write (and each writeMany: its batches in turn) is one transaction on one pooled connection: the fence
 * row locked and checked, the dataset row locked (so writers of one dataset, in any process,
 * apply one after the other), the claimed ranges deleted, the frame COPied in and upserted, the
 * findings of the replaced rows marked superseded, the new findings inserted and the coverage
 * rewritten from the rows written — all committed together or not at all.
 * Validation runs before any SQL. Reads are one binary COPY each; coverage lookups one query.
 * Nothing but committed dataset ids is cached: other processes write the same database.
 */
import { emptyFrame } from '../../core/index.js';
import type { Frame, FrameSchema, TimeRange } from '../../core/index.js';
import type {
  BarStore, CoverageRange, CoverageSummary, DatasetKey, DatasetSummary, DatedCoverageRange, Fence, ManyDatasetsFrame, PurgeReport, PurgeRequest,
  RepairAuditEntry, WriteBatch, WriteReport,
} from '../../storage/index.js';
import { barTableNamed, barsByState, coverageAfterPurge, removedCoverage, validatePurge } from '../../storage/index.js';
import { appendRepairAudit, checkPurgeFences, deleteRangeRows, listRepairAudit, retireFindings } from './postgres-bar-purge.js';
import { coverageOfMany, readManyBars } from './postgres-many-reader.js';
import { barTableFor } from '../../storage/index.js';
import { failCoverage, rewriteCoverage, writtenCoverage } from '../../storage/index.js';
import { DatasetSchemaConflictError } from '../../storage/index.js';
import { validateDataset, validateFence, validateFindings, validateRange, validateWriteBatch } from '../../storage/index.js';
import { barCopyStatement, readBars } from './postgres-bar-reader.js';
import type { BarCopyStatement } from './postgres-bar-reader.js';
import { barWriteStatements, deleteBars, upsertBars } from './postgres-bar-writer.js';
import type { BarWriteStatements } from './postgres-bar-writer.js';
import { coverageOf, loadCoverage, saveCoverage } from './postgres-coverage-index.js';
import { datedCoverageOf, summariseCoverage } from './postgres-coverage-summary.js';
import type { ChangeNotifier } from './postgres-change-notify.js';
import type { PgDatabase } from './postgres-database.js';
import { datasetCacheKey, findDataset, listDatasets, lockDataset } from './postgres-dataset-registry.js';
import type { DatasetRow } from './postgres-dataset-registry.js';
import { ENGINE } from './postgres-errors.js';
import { checkAndAdvanceFence } from './postgres-fencing.js';
import { insertFindings, supersedeFindings } from './postgres-ingest-findings.js';
import { PartitionKeeper, ensureBarPartitions } from './postgres-partitions.js';
import { checkAsOfRetention, contentHash, versionSpan, decodeVersionCoverage, distinctVersions, overlappingCoverage } from '../../storage/index.js';
import type { AsOfFrame, BarVersion } from '../../storage/index.js';
import { insertVersion, listVersions, moveToHistory, nextVersionId, pruneHistory, readAsOfBars, readCurrentAsOf, recordedHorizon, versionInForce } from './postgres-bar-versions.js';

/** The bar store of an open database; its `close` closes the database (pool). Writes and purges announce themselves through `notifier`. */
export function createPgBarStore(db: PgDatabase, notifier: ChangeNotifier): Required<BarStore> {
  return new PgBarStore(db, notifier);
}

class PgBarStore implements BarStore {
  readonly engine = ENGINE;
  readonly #db: PgDatabase;
  /** Committed dataset rows that have a schema, by datasetCacheKey (datasets are never deleted). */
  readonly #datasets = new Map<string, DatasetRow>();
  /** SQL per frame schema name, built once. */
  readonly #readSql = new Map<string, BarCopyStatement>();
  readonly #writeSql = new Map<string, BarWriteStatements>();
  readonly #notifier: ChangeNotifier;
  /** The month partitions known to exist (postgres-partitions.ts). */
  readonly #partitions = new PartitionKeeper();
  /** Commit time of each dataset's newest version as last seen by an as-of read: a hint for the newest-version shortcut. */
  readonly #newestAt = new Map<number, number>();

  constructor(db: PgDatabase, notifier: ChangeNotifier) {
    this.#db = db;
    this.#notifier = notifier;
  }

  async read(dataset: DatasetKey, schema: FrameSchema, range: TimeRange): Promise<Frame> {
    this.#db.assertOpen('read');
    validateDataset(dataset);
    validateRange(range);
    const table = barTableFor(schema);
    if (range.end <= range.start) return emptyFrame(schema);
    let sql = this.#readSql.get(schema.name);
    if (sql === undefined) {
      sql = barCopyStatement(table);
      this.#readSql.set(schema.name, sql);
    }
    const statement = sql;
    return await this.#db.query('read', async (client, broken) => {
      const key = datasetCacheKey(dataset);
      let row = this.#datasets.get(key);
      if (row === undefined) {
        row = await findDataset(client, dataset);
        if (row === undefined || row.schema === undefined) return emptyFrame(schema);
        this.#datasets.set(key, row);
      }
      if (row.schema !== schema.name) throw new DatasetSchemaConflictError(dataset.nodeId, dataset.intervalMs, row.schema ?? '', schema.name);
      return await readBars(client, statement, schema, row.id, dataset.intervalMs, range, broken);
    });
  }

  async readMany(datasets: readonly DatasetKey[], schema: FrameSchema, range: TimeRange): Promise<ManyDatasetsFrame> {
    this.#db.assertOpen('readMany');
    for (const d of datasets) validateDataset(d);
    validateRange(range);
    const table = barTableFor(schema);
    return await this.#db.query('readMany', (client, broken) => readManyBars(client, table, schema, datasets, range, broken));
  }

  async coverageMany(datasets: readonly DatasetKey[], range: TimeRange): Promise<CoverageRange[][]> {
    this.#db.assertOpen('coverageMany');
    for (const d of datasets) validateDataset(d);
    validateRange(range);
    return await this.#db.query('coverageMany', (client) => coverageOfMany(client, datasets, range));
  }

  async coverage(dataset: DatasetKey, range?: TimeRange): Promise<CoverageRange[]> {
    this.#db.assertOpen('coverage');
    validateDataset(dataset);
    if (range !== undefined) validateRange(range);
    return await this.#db.query('coverage', (client) => coverageOf(client, dataset, range));
  }

  async write(batch: WriteBatch, schema: FrameSchema): Promise<WriteReport> {
    this.#db.assertOpen('write');
    const [report] = await this.#writeAll('write', [batch], schema, '');
    return report;
  }

  /** Every batch in one transaction, each with the body of `write` in turn (no batched statements here). */
  async writeMany(batches: readonly WriteBatch[], schema: FrameSchema): Promise<WriteReport[]> {
    this.#db.assertOpen('writeMany');
    return batches.length === 0 ? [] : await this.#writeAll('writeMany', batches, schema, 'batches');
  }

  /** `at`: '' for a single write, else the name the refusals of batch i are prefixed with (`batches[i].`). */
  async #writeAll(operation: string, batches: readonly WriteBatch[], schema: FrameSchema, at: string): Promise<WriteReport[]> {
    const table = barTableFor(schema);
    const prepared = batches.map((batch, i) => {
      const prefix = at === '' ? '' : `${at}[${i}].`;
      const claims = validateWriteBatch(batch, schema, prefix);
      const findings = batch.findings ?? [];
      validateFindings(findings, prefix);
      return { batch, claims, findings, written: writtenCoverage(claims, batch.frame.ts, batch.dataset.intervalMs) };
    });
    let sql = this.#writeSql.get(schema.name);
    if (sql === undefined) {
      sql = barWriteStatements(table);
      this.#writeSql.set(schema.name, sql);
    }
    const statements = sql;
    // The frames' months get their partitions first, in their own short transaction (no DDL lock held through the write).
    for (const { batch } of prepared) {
      const months = this.#partitions.missing(table, batch.frame.ts);
      if (months.length > 0) {
        await this.#db.transact(operation, (client) => ensureBarPartitions(client, table, months));
        this.#partitions.remember(table, months);
      }
    }
    const outcomes = await this.#db.transact(operation, async (client) => {
      // Locks in one order whatever the batches' order (fences, then datasets, each sorted by key), so two
      // concurrent writeMany calls in different processes cannot deadlock; the outcome is that of batch order.
      const byKey = <T>(items: readonly T[], key: (item: T) => string): T[] => [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      for (const { batch: { fence } } of byKey(prepared, (p) => p.batch.fence?.key ?? '')) if (fence !== undefined) await checkAndAdvanceFence(client, fence);
      if (prepared.length > 1) for (const { batch } of byKey(prepared, (p) => datasetCacheKey(p.batch.dataset))) await lockDataset(client, batch.dataset, schema.name);
      const out: (readonly [DatasetRow, number])[] = [];
      for (const [i, { batch, claims, findings, written }] of prepared.entries()) {
        const ds = await lockDataset(client, batch.dataset, schema.name);
        const now = this.#db.clock.now();
        const version = await nextVersionId(client);
        // What the claims replace is kept as history (as_of reads), then deleted.
        await moveToHistory(client, table, ds.id, claims, version, now);
        await deleteBars(client, statements, ds.id, claims);
        await upsertBars(client, statements, ds.id, batch.frame, version, i < prepared.length - 1);
        // The rows the earlier findings described were just replaced: those findings are history.
        await supersedeFindings(client, batch.dataset, claims, now);
        if (findings.length > 0) await insertFindings(client, findings);
        const current = await loadCoverage(client, ds.id);
        const updated = rewriteCoverage(current, claims, written);
        await saveCoverage(client, ds.id, updated, now);
        await insertVersion(client, {
          id: version, datasetId: ds.id, at: now, kind: 'write', source: batch.source ?? 'unknown', fence: batch.fence,
          contentHash: contentHash(batch.frame), range: versionSpan(claims), rows: batch.frame.length, coverage: updated,
        });
        // Cache coherence: delivered to every other process's listener only if this transaction commits.
        await this.#notifier.notify(client, 'write', batch.dataset, versionSpan(claims));
        out.push([ds, version] as const);
      }
      return out;
    });
    return outcomes.map(([row, versionId], i) => {
      const { batch, written } = prepared[i];
      this.#datasets.set(datasetCacheKey(batch.dataset), row);
      return { rowsWritten: batch.frame.length, coverageWritten: written, versionId };
    });
  }

  async advanceFence(fence: Fence): Promise<void> {
    this.#db.assertOpen('advanceFence');
    validateFence(fence);
    await this.#db.transact('advanceFence', (client) => checkAndAdvanceFence(client, fence));
  }

  async markFailed(dataset: DatasetKey, range: TimeRange, reason: string, fence?: Fence): Promise<void> {
    this.#db.assertOpen('markFailed');
    validateDataset(dataset);
    validateRange(range);
    if (fence !== undefined) validateFence(fence);
    if (range.end <= range.start) return;
    await this.#db.transact('markFailed', async (client) => {
      if (fence !== undefined) await checkAndAdvanceFence(client, fence);
      const ds = await lockDataset(client, dataset);
      const current = await loadCoverage(client, ds.id);
      await saveCoverage(client, ds.id, failCoverage(current, range, reason), this.#db.clock.now());
    });
  }

  async purge(request: PurgeRequest): Promise<PurgeReport> {
    this.#db.assertOpen('purge');
    validatePurge(request);
    const { dataset, range } = request;
    return await this.#db.transact('purge', async (client) => {
      await checkPurgeFences(client, request.fences);
      const now = this.#db.clock.now();
      // Locked only when it exists: a purge never creates a dataset.
      const found = await findDataset(client, dataset) === undefined ? undefined : await lockDataset(client, dataset);
      const current = found === undefined ? [] : await loadCoverage(client, found.id);
      const removed = removedCoverage(current, range);
      let rowsRemoved = 0;
      if (found !== undefined) {
        // A purge is a version too: its rows go to the history, and as_of before it still reads them.
        const version = await nextVersionId(client);
        const table = found.schema === undefined ? undefined : barTableNamed(found.schema);
        if (table !== undefined) await moveToHistory(client, table, found.id, [range], version, now);
        rowsRemoved = await deleteRangeRows(client, found.schema, found.id, range);
        const updated = coverageAfterPurge(current, range);
        await saveCoverage(client, found.id, updated, now);
        await insertVersion(client, {
          id: version, datasetId: found.id, at: now, kind: 'purge', source: request.actor, fence: request.fences[0],
          contentHash: 'sha256:', range, rows: rowsRemoved, coverage: updated,
        });
      }
      const findingsRetired = await retireFindings(client, dataset, range, now);
      const audit = await appendRepairAudit(client, request, now, rowsRemoved, findingsRetired, barsByState(removed, dataset.intervalMs));
      // Cache coherence: delivered to every other process's listener only if this transaction commits.
      await this.#notifier.notify(client, 'purge', dataset, range);
      return { rowsRemoved, coverageRemoved: removed, findingsRetired, audit };
    });
  }

  async repairAudit(filter: { readonly limit: number; readonly nodeId?: string }): Promise<RepairAuditEntry[]> {
    this.#db.assertOpen('repairAudit');
    return await this.#db.query('repairAudit', (client) => listRepairAudit(client, filter.limit, filter.nodeId));
  }

  async datasets(): Promise<DatasetSummary[]> {
    this.#db.assertOpen('datasets');
    return await this.#db.query('datasets', (client) => listDatasets(client));
  }

  async coverageSummary(): Promise<CoverageSummary[]> {
    this.#db.assertOpen('coverageSummary');
    return await this.#db.query('coverageSummary', (client) => summariseCoverage(client));
  }

  async datedCoverage(dataset: DatasetKey, range?: TimeRange): Promise<DatedCoverageRange[]> {
    this.#db.assertOpen('datedCoverage');
    validateDataset(dataset);
    if (range !== undefined) validateRange(range);
    return await this.#db.query('datedCoverage', (client) => datedCoverageOf(client, dataset, range));
  }

  async readAsOf(dataset: DatasetKey, schema: FrameSchema, range: TimeRange, asOf: number): Promise<AsOfFrame> {
    this.#db.assertOpen('readAsOf');
    validateDataset(dataset);
    validateRange(range);
    const table = barTableFor(schema);
    return await this.#db.query('readAsOf', async (client, broken) => {
      const found = await findDataset(client, dataset);
      if (found === undefined || found.schema === undefined) return { frame: emptyFrame(schema), versions: [], newestVersionAt: undefined };
      if (found.schema !== schema.name) throw new DatasetSchemaConflictError(dataset.nodeId, dataset.intervalMs, found.schema, schema.name);
      // At or after the dataset's newest version the current rows are the answer (one COPY), tried
      // unless the newest version last seen is later than asOf. The hint may be old (another
      // gateway wrote since): the COPY's own guard decides.
      const hint = this.#newestAt.get(found.id);
      const current = async (): Promise<AsOfFrame | undefined> => {
        const rows = await readCurrentAsOf(client, table, schema, found.id, dataset.intervalMs, range, asOf, broken);
        if (rows === undefined) return undefined;
        checkAsOfRetention(asOf, rows.horizon);
        return { frame: rows.frame, versions: distinctVersions(rows.versionIds, rows.version.id), newestVersionAt: rows.version.at };
      };
      if (range.end > range.start && (hint === undefined || asOf >= hint)) {
        const answer = await current();
        if (answer !== undefined) return answer;
      }
      const inForce = await versionInForce(client, found.id, asOf, range);
      if (inForce !== undefined) this.#newestAt.set(found.id, inForce.newestAt);
      // Before the dataset's first version nothing was known: that answer stays exact whatever was pruned.
      if (inForce !== undefined) checkAsOfRetention(asOf, await recordedHorizon(client));
      // No version at or before asOf: only rows from before versioning (version 0) were known.
      const version = inForce?.id ?? 0;
      if (range.end <= range.start) return { frame: emptyFrame(schema), versions: inForce === undefined ? [] : [version], newestVersionAt: inForce?.at };
      // No later version touched the range: its current rows are the answer (guarded again in their own COPY).
      if (inForce !== undefined && !inForce.changedSince) {
        const answer = await current();
        if (answer !== undefined) return answer;
      }
      const { frame, versionIds } = await readAsOfBars(client, table, schema, found.id, dataset.intervalMs, range, version, broken);
      return { frame, versions: distinctVersions(versionIds, inForce?.id), newestVersionAt: inForce?.at };
    });
  }

  async coverageAsOf(dataset: DatasetKey, asOf: number, range?: TimeRange): Promise<CoverageRange[]> {
    this.#db.assertOpen('coverageAsOf');
    validateDataset(dataset);
    if (range !== undefined) validateRange(range);
    return await this.#db.query('coverageAsOf', async (client) => {
      const found = await findDataset(client, dataset);
      if (found === undefined) return [];
      const inForce = await versionInForce(client, found.id, asOf);
      if (inForce !== undefined) checkAsOfRetention(asOf, await recordedHorizon(client));
      return inForce === undefined ? [] : overlappingCoverage(decodeVersionCoverage(inForce.coverage), range);
    });
  }

  async versions(dataset: DatasetKey, limit: number): Promise<BarVersion[]> {
    this.#db.assertOpen('versions');
    validateDataset(dataset);
    return await this.#db.query('versions', async (client) => {
      const found = await findDataset(client, dataset);
      return found === undefined ? [] : await listVersions(client, found.id, limit);
    });
  }

  async pruneVersions(horizon: number): Promise<number> {
    this.#db.assertOpen('pruneVersions');
    return await this.#db.transact('pruneVersions', (client) => pruneHistory(client, horizon));
  }

  async ping(): Promise<void> {
    this.#db.assertOpen('ping');
    await this.#db.query('ping', (client) => client.query('SELECT 1'));
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}
