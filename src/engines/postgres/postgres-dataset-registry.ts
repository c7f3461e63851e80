/**
 * The `datasets` table on PostgreSQL: (nodeId, interval) → integer id plus the frame schema its
 * bars use. nodeId is always a bound parameter, never part of the SQL text. A write locks its
 * dataset's row (SELECT … FOR UPDATE) for the rest of its transaction, so concurrent writers of
 * one dataset — in this process or another — apply their rows and coverage one after the other.
 */
import type { PoolClient } from 'pg';
import type { DatasetKey, DatasetSummary } from '../../storage/index.js';
import { ALL_BAR_TABLES } from '../../storage/index.js';
import { DatasetSchemaConflictError } from '../../storage/index.js';

export interface DatasetRow {
  readonly id: number;
  /** The frame schema of its bars; undefined while only failures were recorded. */
  readonly schema: string | undefined;
}

interface DatasetRecord {
  readonly id: number;
  readonly schema: string | null;
}

// Named statements are prepared once per connection by pg, then only bound and executed.
const FIND = 'SELECT id, schema FROM datasets WHERE node_id = $1 AND interval_ms = $2';
const LOCK = `${FIND} FOR UPDATE`;
const INSERT = 'INSERT INTO datasets (node_id, interval_ms, schema) VALUES ($1, $2, $3) ON CONFLICT (node_id, interval_ms) DO NOTHING';

export function datasetCacheKey(d: DatasetKey): string {
  return JSON.stringify([d.nodeId, d.intervalMs]);
}

function toRow(r: DatasetRecord): DatasetRow {
  return { id: r.id, schema: r.schema ?? undefined };
}

export async function findDataset(client: PoolClient, d: DatasetKey): Promise<DatasetRow | undefined> {
  const result = await client.query<DatasetRecord>({ name: 'seamless_dataset_find', text: FIND, values: [d.nodeId, d.intervalMs] });
  return result.rows.length === 0 ? undefined : toRow(result.rows[0]);
}

/**
 * The dataset's row, created when absent, locked until the transaction ends. With `schema`,
 * fixes the dataset's schema on first use and refuses a different one with
 * DatasetSchemaConflictError.
 */
export async function lockDataset(client: PoolClient, d: DatasetKey, schema?: string): Promise<DatasetRow> {
  const values = [d.nodeId, d.intervalMs];
  let found = await client.query<DatasetRecord>({ name: 'seamless_dataset_lock', text: LOCK, values });
  if (found.rows.length === 0) {
    // Two first writers of one dataset: the second INSERT waits for the first to commit, does
    // nothing, and the SELECT then locks the row the first created.
    await client.query({ name: 'seamless_dataset_insert', text: INSERT, values: [d.nodeId, d.intervalMs, schema ?? null] });
    found = await client.query<DatasetRecord>({ name: 'seamless_dataset_lock', text: LOCK, values });
  }
  const row = toRow(found.rows[0]);
  if (schema === undefined || row.schema === schema) return row;
  if (row.schema !== undefined) throw new DatasetSchemaConflictError(d.nodeId, d.intervalMs, row.schema, schema);
  await client.query('UPDATE datasets SET schema = $1 WHERE id = $2', [schema, row.id]);
  return { id: row.id, schema };
}

/**
 * Per dataset: rows, first and last ts through the bar tables' primary key (dataset_id, ts)
 * (an index range per dataset, not a scan of every table). Sorted by node id in code-point
 * order (COLLATE "C", as the embedded engine sorts), then interval.
 */
const SUMMARY_SQL = `
  SELECT d.node_id, d.interval_ms::float8 AS interval_ms, coalesce(d.schema, '') AS schema,
         b.n::float8 AS n, b.first_ts::float8 AS first_ts, b.last_ts::float8 AS last_ts
  FROM datasets d
  CROSS JOIN LATERAL (
    SELECT count(*) AS n, min(ts) AS first_ts, max(ts) AS last_ts
    FROM (${ALL_BAR_TABLES.map((t) => `SELECT ts FROM ${t.table} WHERE dataset_id = d.id`).join(' UNION ALL ')}) u
  ) b
  WHERE b.n > 0 OR EXISTS (SELECT 1 FROM coverage c WHERE c.dataset_id = d.id)
  ORDER BY d.node_id COLLATE "C", d.interval_ms`;

interface SummaryRecord {
  readonly node_id: string;
  readonly interval_ms: number;
  readonly schema: string;
  readonly n: number;
  readonly first_ts: number | null;
  readonly last_ts: number | null;
}

export async function listDatasets(client: PoolClient): Promise<DatasetSummary[]> {
  const result = await client.query<SummaryRecord>({ name: 'seamless_dataset_summary', text: SUMMARY_SQL });
  const out: DatasetSummary[] = [];
  for (const r of result.rows) {
    out.push({
      nodeId: r.node_id,
      intervalMs: r.interval_ms,
      schema: r.schema,
      rows: r.n,
      firstTs: r.first_ts ?? undefined,
      lastTs: r.last_ts ?? undefined,
    });
  }
  return out;
}
