/**
 * The purge (BarStore.purge) on PostgreSQL, inside the caller's transaction: the fences locked,
 * checked and advanced first in key order (as a write locks its fence before its dataset, so a
 * purge and a write never wait on each other in opposite orders), then the dataset row locked,
 * the range's rows deleted, its findings in force superseded, its coverage cut, and the audit
 * row appended. Also the audit's read.
 */
import type { PoolClient } from 'pg';
import type { TimeRange } from '../../core/index.js';
import type { CoverageState, DatasetKey, Fence, PurgeRequest, RepairAuditEntry } from '../../storage/index.js';
import { barTableNamed, repairAuditEntry } from '../../storage/index.js';
import { checkAndAdvanceFence } from './postgres-fencing.js';

const SUPERSEDE = `UPDATE ingest_findings SET superseded_at_ms = $1
  WHERE node_id = $2 AND interval_ms = $3 AND ts >= $4 AND ts < $5 AND superseded_at_ms IS NULL`;
const AUDIT_INSERT = `INSERT INTO repair_audit (at_ms, actor, action, node_id, interval_ms, start_ms, end_ms, rows_removed, findings_retired, coverage_removed)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb) RETURNING id::float8 AS id`;
const AUDIT_COLUMNS = `id::float8 AS id, at_ms::float8 AS at, actor, action, node_id, interval_ms::float8 AS interval_ms,
  start_ms::float8 AS start_ms, end_ms::float8 AS end_ms, rows_removed::float8 AS rows_removed,
  findings_retired::float8 AS findings_retired, coverage_removed`;

interface AuditRecord {
  readonly id: number;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly node_id: string;
  readonly interval_ms: number;
  readonly start_ms: number;
  readonly end_ms: number;
  readonly rows_removed: number;
  readonly findings_retired: number;
  readonly coverage_removed: unknown;
}

export async function checkPurgeFences(client: PoolClient, fences: readonly Fence[]): Promise<void> {
  const sorted = [...fences].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const fence of sorted) await checkAndAdvanceFence(client, fence);
}

export async function deleteRangeRows(client: PoolClient, schema: string | undefined, datasetId: number, range: TimeRange): Promise<number> {
  const table = schema === undefined ? undefined : barTableNamed(schema);
  if (table === undefined) return 0;
  const result = await client.query(`DELETE FROM ${table.table} WHERE dataset_id = $1 AND ts >= $2 AND ts < $3`, [datasetId, range.start, range.end]);
  return result.rowCount ?? 0;
}

export async function retireFindings(client: PoolClient, dataset: DatasetKey, range: TimeRange, at: number): Promise<number> {
  const result = await client.query(SUPERSEDE, [at, dataset.nodeId, dataset.intervalMs, range.start, range.end]);
  return result.rowCount ?? 0;
}

export async function appendRepairAudit(
  client: PoolClient, request: PurgeRequest, at: number, rowsRemoved: number, findingsRetired: number, bars: Record<CoverageState, number>,
): Promise<RepairAuditEntry> {
  const { dataset, range } = request;
  const result = await client.query<{ id: number }>(AUDIT_INSERT, [
    at, request.actor, request.action, dataset.nodeId, dataset.intervalMs, range.start, range.end, rowsRemoved, findingsRetired, JSON.stringify(bars),
  ]);
  return repairAuditEntry({
    id: result.rows[0].id, at, actor: request.actor, action: request.action, nodeId: dataset.nodeId, intervalMs: dataset.intervalMs,
    start: range.start, end: range.end, rowsRemoved, findingsRetired, coverageRemoved: bars,
  });
}

export async function listRepairAudit(client: PoolClient, limit: number, nodeId: string | undefined): Promise<RepairAuditEntry[]> {
  const result = nodeId === undefined
    ? await client.query<AuditRecord>(`SELECT ${AUDIT_COLUMNS} FROM repair_audit ORDER BY id DESC LIMIT $1`, [limit])
    : await client.query<AuditRecord>(`SELECT ${AUDIT_COLUMNS} FROM repair_audit WHERE node_id = $2 ORDER BY id DESC LIMIT $1`, [limit, nodeId]);
  return result.rows.map((r) => repairAuditEntry({
    id: r.id, at: r.at, actor: r.actor, action: r.action, nodeId: r.node_id, intervalMs: r.interval_ms,
    start: r.start_ms, end: r.end_ms, rowsRemoved: r.rows_removed, findingsRetired: r.findings_retired, coverageRemoved: r.coverage_removed,
  }));
}
