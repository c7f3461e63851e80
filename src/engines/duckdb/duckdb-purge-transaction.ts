/**
 * The body of BarStore.purge on DuckDB, run inside the caller's transaction on the writer: the
 * fences checked and advanced, the range's rows moved to the history (a purge is a version too:
 * an as_of read before it still sees them) and deleted, its coverage cut and saved as a diff, the
 * version recorded, its findings in force retired, the audit row appended. The bar store runs it
 * on its write queue and keeps its coverage mirror in step with the outcome.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { CoverageRange, PurgeReport, PurgeRequest } from '../../storage/index.js';
import { barTableNamed, barsByState, coverageAfterPurge, removedCoverage } from '../../storage/index.js';
import { appendRepairAudit, checkPurgeFences, deleteRangeRows, retireFindings } from './duckdb-bar-purge.js';
import { insertVersion, moveToHistory, nextVersionId } from './duckdb-bar-versions.js';
import { loadCoverage, saveCoverage } from './duckdb-coverage-index.js';
import { findDataset } from './duckdb-dataset-registry.js';
import type { IndexedVersion } from './duckdb-version-index.js';

export interface PurgeOutcomeOnDisk {
  readonly report: PurgeReport;
  /** The dataset's id and its coverage after the purge; undefined when the dataset does not exist. */
  readonly coverage: { readonly datasetId: number; readonly ranges: CoverageRange[] } | undefined;
  /** The version the purge committed (for the version index); undefined when the dataset does not exist. */
  readonly version: (IndexedVersion & { readonly datasetId: number }) | undefined;
}

/**
 * `mirrored(id)`: the bar store's mirror of a dataset's coverage, when it holds one; `writing(id)`:
 * called before the purge's version is written (the version index's in-flight mark).
 */
export async function purgeInTransaction(
  writer: DuckDBConnection, request: PurgeRequest, now: number, mirrored: (datasetId: number) => readonly CoverageRange[] | undefined,
  writing: (datasetId: number) => void,
): Promise<PurgeOutcomeOnDisk> {
  const { dataset, range } = request;
  await checkPurgeFences(writer, request.fences);
  const found = await findDataset(writer, dataset);
  const current = found === undefined ? [] : mirrored(found.id) ?? await loadCoverage(writer, found.id);
  const removed = removedCoverage(current, range);
  const updated = coverageAfterPurge(current, range);
  let rowsRemoved = 0;
  let version: PurgeOutcomeOnDisk['version'];
  if (found !== undefined) {
    writing(found.id);
    const versionId = await nextVersionId(writer);
    const table = found.schema === undefined ? undefined : barTableNamed(found.schema);
    if (table !== undefined) await moveToHistory(writer, table, found.id, [range], versionId, now);
    rowsRemoved = await deleteRangeRows(writer, found.schema, found.id, range);
    await saveCoverage(writer, found.id, current, updated, now);
    await insertVersion(writer, {
      id: versionId, datasetId: found.id, at: now, kind: 'purge', source: request.actor, fence: request.fences[0],
      contentHash: 'sha256:', range, rows: rowsRemoved, coverage: updated, whole: true,
    });
    version = { datasetId: found.id, id: versionId, at: now, start: range.start, end: range.end, whole: true };
  }
  const findingsRetired = await retireFindings(writer, dataset, range, now);
  const audit = await appendRepairAudit(writer, request, now, rowsRemoved, findingsRetired, barsByState(removed, dataset.intervalMs));
  return {
    report: { rowsRemoved, coverageRemoved: removed, findingsRetired, audit },
    coverage: found === undefined ? undefined : { datasetId: found.id, ranges: updated },
    version,
  };
}
