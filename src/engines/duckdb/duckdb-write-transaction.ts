/**
 * The body of BarStore.write on DuckDB, run inside the caller's transaction on the writer: the
 * fence checked and advanced (with the lease completion armed for this write), the dataset row
 * ensured, the rows the claims replace moved to the history (as_of reads) and deleted, the new
 * rows appended, earlier findings of the claims superseded and new ones inserted, the coverage
 * saved as a diff, and the version recorded. The bar store runs it on its write queue and keeps
 * its dataset cache, coverage mirror and version index in step with the outcome.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { FrameSchema, IngestFinding, TimeRange } from '../../core/index.js';
import type { BarTable, CoverageClaim, CoverageRange, WriteBatch } from '../../storage/index.js';
import { barTableFor, contentHash, rewriteCoverage, validateFindings, validateWriteBatch, writtenCoverage } from '../../storage/index.js';
import { claimedSpan } from './duckdb-bar-versions.js';
import { appendBars, claimsWithRows, deleteBars } from './duckdb-bar-writer.js';
import { insertVersion, moveToHistory, nextVersionId } from './duckdb-bar-versions.js';
import { loadCoverage, saveCoverage } from './duckdb-coverage-index.js';
import { ensureDataset } from './duckdb-dataset-registry.js';
import type { DatasetRow } from './duckdb-dataset-registry.js';
import { checkAndAdvanceFence, runArmedWork } from './duckdb-fencing.js';
import { insertFindings, supersedeFindings } from './duckdb-ingest-findings.js';

export interface WriteInput {
  readonly batch: WriteBatch;
  readonly schema: FrameSchema;
  /** The bar table of the schema. */
  readonly table: BarTable;
  readonly claims: readonly CoverageClaim[];
  readonly findings: readonly IngestFinding[];
  /** The coverage the rows write (writtenCoverage of the claims). */
  readonly written: readonly CoverageClaim[];
  readonly span: TimeRange & { readonly whole: boolean };
  /** The dataset's committed row, when the store has it cached. */
  readonly known: DatasetRow | undefined;
  readonly now: number;
}

/**
 * A batch checked and prepared before its write queues (a bad batch writes nothing): the parts of
 * its WriteInput that need no database. `at` prefixes the fields an InvalidRequestError names
 * (`batches[3].` in a writeMany).
 */
/** A write checked and prepared before it queues. */
export type PreparedWrite = Omit<WriteInput, 'known' | 'now'>;

export function prepareWrite(batch: WriteBatch, schema: FrameSchema, at = ''): PreparedWrite {
  const claims = validateWriteBatch(batch, schema, at);
  const findings = batch.findings ?? [];
  validateFindings(findings, at);
  return {
    batch, schema, table: barTableFor(schema), claims, findings,
    written: writtenCoverage(claims, batch.frame.ts, batch.dataset.intervalMs), span: claimedSpan(claims),
  };
}

export interface WriteOutcomeOnDisk {
  readonly dataset: DatasetRow;
  readonly coverage: CoverageRange[];
  readonly versionId: number;
}

/**
 * `mirrored(id)`: the bar store's mirror of a dataset's coverage, when it holds one; `writing(id)`:
 * called before the version is written (the version index's in-flight mark).
 */
export async function writeInTransaction(
  writer: DuckDBConnection, input: WriteInput, mirrored: (datasetId: number) => readonly CoverageRange[] | undefined,
  writing: (datasetId: number) => void,
): Promise<WriteOutcomeOnDisk> {
  const { batch, schema, table, claims, findings, written, span, now } = input;
  if (batch.fence !== undefined) {
    await checkAndAdvanceFence(writer, batch.fence);
    // The lease's completion, when armed for this write (duckdb-fencing.ts): it commits with the rows or not at all.
    await runArmedWork(writer, batch.fence);
  }
  // A committed row with this schema is final (datasets are never deleted or re-typed): one query less per write.
  const ds = input.known !== undefined && input.known.schema === schema.name ? input.known : await ensureDataset(writer, batch.dataset, schema.name);
  const current = mirrored(ds.id) ?? await loadCoverage(writer, ds.id);
  writing(ds.id);
  const versionId = await nextVersionId(writer);
  // Only claims under stored coverage can hold rows (claimsWithRows): a cold shard deletes nothing.
  const replaced = claimsWithRows(claims, current);
  // What the claims replace is kept as history (as_of reads), then deleted.
  await moveToHistory(writer, table, ds.id, replaced, versionId, now);
  await deleteBars(writer, table, ds.id, replaced);
  await appendBars(writer, table, ds.id, batch.frame, versionId);
  // The rows the earlier findings described were just replaced: those findings are history.
  await supersedeFindings(writer, batch.dataset, claims, now);
  if (findings.length > 0) await insertFindings(writer, findings);
  const updated = rewriteCoverage(current, claims, written);
  await saveCoverage(writer, ds.id, current, updated, now);
  await insertVersion(writer, {
    id: versionId, datasetId: ds.id, at: now, kind: 'write', source: batch.source ?? 'unknown', fence: batch.fence,
    contentHash: contentHash(batch.frame), range: span, rows: batch.frame.length, coverage: updated, whole: span.whole,
  });
  return { dataset: ds, coverage: updated, versionId };
}

/**
 * The shape of a write transaction's body over prepared batches (`writeManyInTransaction` of
 * duckdb-write-many.ts, or `writeOneInTransaction`): one outcome per batch, in order.
 */
export type WriteBody = (
  writer: DuckDBConnection, inputs: readonly WriteInput[], mirrored: (datasetId: number) => readonly CoverageRange[] | undefined,
  writing: (datasetId: number) => void,
) => Promise<WriteOutcomeOnDisk[]>;

/** `writeInTransaction` as a WriteBody (one batch). */
export const writeOneInTransaction: WriteBody = async (writer, inputs, mirrored, writing) => [await writeInTransaction(writer, inputs[0], mirrored, writing)];
