/**
 * The purge (BarStore.purge) on DuckDB, inside the caller's transaction on the writer: fences
 * checked and advanced first (sorted by key, so two purges meet their fences in one order), then
 * the range's rows deleted, its findings in force superseded, its coverage cut, and the audit row
 * appended. The caller commits it all or rolls it all back. Also the audit's read.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { TimeRange } from '../../core/index.js';
import type { CoverageState, DatasetKey, Fence, PurgeRequest, RepairAuditEntry } from '../../storage/index.js';
import { barTableNamed, repairAuditEntry } from '../../storage/index.js';
import { checkAndAdvanceFence } from './duckdb-fencing.js';

const SUPERSEDE_SQL = `UPDATE ingest_findings SET superseded_at_ms = $1::BIGINT
  WHERE node_id = $2 AND interval_ms = $3::BIGINT AND ts >= $4::BIGINT AND ts < $5::BIGINT AND superseded_at_ms IS NULL`;
const AUDIT_INSERT = `INSERT INTO repair_audit (at_ms, actor, action, node_id, interval_ms, start_ms, end_ms, rows_removed, findings_retired, coverage_removed)
  VALUES ($1::BIGINT, $2, $3, $4, $5::BIGINT, $6::BIGINT, $7::BIGINT, $8::BIGINT, $9::BIGINT, $10::JSON) RETURNING id::DOUBLE`;
const AUDIT_COLUMNS = `id::DOUBLE, at_ms::DOUBLE, actor, action, node_id, interval_ms::DOUBLE, start_ms::DOUBLE, end_ms::DOUBLE,
  rows_removed::DOUBLE, findings_retired::DOUBLE, coverage_removed::VARCHAR`;

/** Every fence of the purge, in key order; the first stale one throws StaleFencingTokenError. */
export async function checkPurgeFences(conn: DuckDBConnection, fences: readonly Fence[]): Promise<void> {
  const sorted = [...fences].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const fence of sorted) await checkAndAdvanceFence(conn, fence);
}

/** Deletes the dataset's rows in `range` from the table of its schema; returns how many went. */
export async function deleteRangeRows(conn: DuckDBConnection, schema: string | undefined, datasetId: number, range: TimeRange): Promise<number> {
  const table = schema === undefined ? undefined : barTableNamed(schema);
  if (table === undefined) return 0;
  const result = await conn.run(`DELETE FROM ${table.table} WHERE dataset_id = $1 AND ts >= $2::BIGINT AND ts < $3::BIGINT`, [datasetId, range.start, range.end]);
  return result.rowsChanged;
}

/** Supersedes the findings in force in `range`; returns how many. */
export async function retireFindings(conn: DuckDBConnection, dataset: DatasetKey, range: TimeRange, at: number): Promise<number> {
  const result = await conn.run(SUPERSEDE_SQL, [at, dataset.nodeId, dataset.intervalMs, range.start, range.end]);
  return result.rowsChanged;
}

export async function appendRepairAudit(
  conn: DuckDBConnection, request: PurgeRequest, at: number, rowsRemoved: number, findingsRetired: number, bars: Record<CoverageState, number>,
): Promise<RepairAuditEntry> {
  const { dataset, range } = request;
  const result = await conn.runAndReadAll(AUDIT_INSERT, [
    at, request.actor, request.action, dataset.nodeId, dataset.intervalMs, range.start, range.end, rowsRemoved, findingsRetired, JSON.stringify(bars),
  ]);
  const id = Number(result.getRowsJS()[0][0]);
  return repairAuditEntry({
    id, at, actor: request.actor, action: request.action, nodeId: dataset.nodeId, intervalMs: dataset.intervalMs,
    start: range.start, end: range.end, rowsRemoved, findingsRetired, coverageRemoved: bars,
  });
}

export async function listRepairAudit(conn: DuckDBConnection, limit: number, nodeId: string | undefined): Promise<RepairAuditEntry[]> {
  const result = nodeId === undefined
    ? await conn.runAndReadAll(`SELECT ${AUDIT_COLUMNS} FROM repair_audit ORDER BY id DESC LIMIT $1`, [limit])
    : await conn.runAndReadAll(`SELECT ${AUDIT_COLUMNS} FROM repair_audit WHERE node_id = $2 ORDER BY id DESC LIMIT $1`, [limit, nodeId]);
  const out: RepairAuditEntry[] = [];
  for (const r of result.getRowsJS()) {
    out.push(repairAuditEntry({
      id: Number(r[0]), at: Number(r[1]), actor: String(r[2]), action: String(r[3]), nodeId: String(r[4]), intervalMs: Number(r[5]),
      start: Number(r[6]), end: Number(r[7]), rowsRemoved: Number(r[8]), findingsRetired: Number(r[9]), coverageRemoved: String(r[10]),
    }));
  }
  return out;
}

