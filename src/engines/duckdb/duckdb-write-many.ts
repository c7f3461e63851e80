/**
 * The body of BarStore.writeMany on DuckDB, run inside the caller's ONE transaction on the writer:
 * the batches written as that many writeInTransaction calls would write them, one after the other
 * (duckdb-write-transaction.ts), with the expensive parts done once for all (duckdb-batched-rows.ts):
 * - every fence checked and advanced in batch order (with its armed lease work), first: a stale
 *   token refuses the whole call and the caller rolls everything back;
 * - the datasets not cached ensured, the coverage not mirrored loaded in one query, the version
 *   ids drawn in one query (ascending in batch order, as separate writes would draw them);
 * - per "round" (batches that can be applied together: a batch meeting an earlier batch of its
 *   dataset — overlapping claims, or that batch's findings under its claims — waits for the next
 *   round, after the first is applied; see `rounds`): the rows the claims replace moved to the
 *   history and deleted only where a claim lies under stored coverage (a live bar beyond the
 *   stored coverage replaces nothing: no statement), the rows of all of them through one
 *   appender per bar table, their earlier findings superseded in one statement, the new findings
 *   inserted, every coverage change in three statements;
 * - every version row in one statement.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { IngestFinding } from '../../core/index.js';
import type { CoverageRange } from '../../storage/index.js';
import { contentHash, rewriteCoverage } from '../../storage/index.js';
import { claimsWithRows, deleteBars } from './duckdb-bar-writer.js';
import { moveToHistory } from './duckdb-bar-versions.js';
import type { NewVersion } from './duckdb-bar-versions.js';
import { appendBarsOfMany, insertVersions, nextVersionIds, saveCoverageOfMany, supersedeFindingsOfMany } from './duckdb-batched-rows.js';
import type { CoverageChange, DatasetRange, DatasetRows } from './duckdb-batched-rows.js';
import { loadCoverageMany } from './duckdb-coverage-index.js';
import { datasetCacheKey, ensureDataset } from './duckdb-dataset-registry.js';
import type { DatasetRow } from './duckdb-dataset-registry.js';
import { checkAndAdvanceFence, runArmedWork } from './duckdb-fencing.js';
import { insertFindings } from './duckdb-ingest-findings.js';
import type { WriteInput, WriteOutcomeOnDisk } from './duckdb-write-transaction.js';

/**
 * `inputs[i]` is batch i as `write` prepares it (validated, claims sorted, its written coverage);
 * `mirrored(id)`: the store's coverage mirror; `writing(id)`: called once per batch before its
 * version is written (the version index's in-flight mark). One outcome per batch, in order.
 */
export async function writeManyInTransaction(
  writer: DuckDBConnection, inputs: readonly WriteInput[], mirrored: (datasetId: number) => readonly CoverageRange[] | undefined,
  writing: (datasetId: number) => void,
): Promise<WriteOutcomeOnDisk[]> {
  for (const { batch } of inputs) {
    if (batch.fence === undefined) continue;
    await checkAndAdvanceFence(writer, batch.fence);
    // The lease's completion, when armed for this write (duckdb-fencing.ts): it commits with the rows or not at all.
    await runArmedWork(writer, batch.fence);
  }
  const rows = await datasetRows(writer, inputs);
  const coverage = await currentCoverage(writer, rows, mirrored);
  for (const row of rows) writing(row.id);
  const versionIds = await nextVersionIds(writer, inputs.length);
  const outcomes: WriteOutcomeOnDisk[] = new Array<WriteOutcomeOnDisk>(inputs.length);
  const versions: NewVersion[] = [];
  for (const round of rounds(rows, inputs)) {
    const appends = new Map<string, { table: WriteInput['table']; entries: DatasetRows[] }>();
    const claimed: DatasetRange[] = [];
    const findings: IngestFinding[] = [];
    // One change per dataset: from its coverage before the round to after its last batch of it.
    const changes = new Map<number, CoverageChange>();
    for (const i of round) {
      const { batch, table, claims, written, span, now } = inputs[i];
      const ds = rows[i];
      const versionId = versionIds[i];
      const current = coverage.get(ds.id) ?? [];
      // Only claims under stored coverage can hold rows (claimsWithRows): a bar beyond the stored coverage deletes nothing.
      const replaced = claimsWithRows(claims, current);
      if (replaced.length > 0) {
        await moveToHistory(writer, table, ds.id, replaced, versionId, now);
        await deleteBars(writer, table, ds.id, replaced);
      }
      let group = appends.get(table.table);
      if (group === undefined) appends.set(table.table, group = { table, entries: [] });
      group.entries.push({ datasetId: ds.id, versionId, frame: batch.frame });
      for (const c of claims) claimed.push({ dataset: batch.dataset, start: c.start, end: c.end });
      for (const f of inputs[i].findings) findings.push(f);
      const updated = rewriteCoverage(current, claims, written);
      const change = changes.get(ds.id);
      changes.set(ds.id, { datasetId: ds.id, previous: change?.previous ?? current, next: updated });
      coverage.set(ds.id, updated);
      versions.push({
        id: versionId, datasetId: ds.id, at: now, kind: 'write', source: batch.source ?? 'unknown', fence: batch.fence,
        contentHash: contentHash(batch.frame), range: span, rows: batch.frame.length, coverage: updated, whole: span.whole,
      });
      outcomes[i] = { dataset: ds, coverage: updated, versionId };
    }
    for (const { table, entries } of appends.values()) await appendBarsOfMany(writer, table, entries);
    // The rows the earlier findings described were just replaced: those findings are history.
    await supersedeFindingsOfMany(writer, claimed, inputs[round[0]].now);
    if (findings.length > 0) await insertFindings(writer, findings);
    await saveCoverageOfMany(writer, [...changes.values()], inputs[round[0]].now);
  }
  await insertVersions(writer, versions);
  return outcomes;
}

/** Each batch's dataset row: the cached one when its schema is the write's, else ensured (once per dataset of the call). */
async function datasetRows(writer: DuckDBConnection, inputs: readonly WriteInput[]): Promise<DatasetRow[]> {
  const seen = new Map<string, DatasetRow>();
  const out: DatasetRow[] = [];
  for (const { batch, schema, known } of inputs) {
    const key = datasetCacheKey(batch.dataset);
    let row = seen.get(key);
    if (row === undefined || row.schema !== schema.name) {
      // A committed row with this schema is final (datasets are never deleted or re-typed): one query less per write.
      row = known !== undefined && known.schema === schema.name ? known : await ensureDataset(writer, batch.dataset, schema.name);
      seen.set(key, row);
    }
    out.push(row);
  }
  return out;
}

/** The coverage of every dataset: the mirror's, the rest loaded in one query. */
async function currentCoverage(
  writer: DuckDBConnection, rows: readonly DatasetRow[], mirrored: (datasetId: number) => readonly CoverageRange[] | undefined,
): Promise<Map<number, readonly CoverageRange[]>> {
  const out = new Map<number, readonly CoverageRange[]>();
  const unloaded: number[] = [];
  for (const { id } of rows) {
    if (out.has(id)) continue;
    const entries = mirrored(id);
    if (entries === undefined) unloaded.push(id);
    out.set(id, entries ?? []);
  }
  if (unloaded.length > 0) for (const [id, entries] of await loadCoverageMany(writer, unloaded)) out.set(id, entries);
  return out;
}

/**
 * Batch indexes in rounds, in order. A round applies its batches together (their deletes, then one
 * append, then findings and coverage), which equals applying them one after the other as long as
 * no batch meets an earlier batch of its dataset in the round: overlapping claims, or a finding
 * of the earlier one inside the later one's claims (which would supersede it). Such a batch goes
 * to the next round; otherwise a batch joins its dataset's latest round, so the adjacent shards of
 * one dataset committed together (group commit) are one round, one append and one coverage change.
 */
function rounds(rows: readonly DatasetRow[], inputs: readonly WriteInput[]): number[][] {
  const latest = new Map<number, number>();
  const out: number[][] = [];
  for (let i = 0; i < rows.length; i++) {
    const id = rows[i].id;
    let k = latest.get(id) ?? 0;
    if (out[k]?.some((j) => rows[j].id === id && meets(inputs[j], inputs[i])) === true) k += 1;
    latest.set(id, k);
    (out[k] ??= []).push(i);
  }
  return out;
}

/** Whether `later`, applied after `earlier` (same dataset), touches what `earlier` writes. */
function meets(earlier: WriteInput, later: WriteInput): boolean {
  for (const c of later.claims) {
    for (const e of earlier.claims) if (c.start < e.end && e.start < c.end) return true;
    for (const f of earlier.findings) if (f.ts >= c.start && f.ts < c.end) return true;
  }
  return false;
}
