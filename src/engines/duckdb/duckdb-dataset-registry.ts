/**
 * The `datasets` table: (nodeId, interval) → integer id plus the frame schema its bars use.
 * nodeId is always a bound parameter, never part of the SQL text. Ids are cached once a row is
 * committed (datasets are never deleted or renamed, so a cached id never goes stale).
 */
import { listValue } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DatasetKey, DatasetSummary } from '../../storage/index.js';
import { DatasetSchemaConflictError } from '../../storage/index.js';
import { ALL_BAR_TABLES } from '../../storage/index.js';

export interface DatasetRow {
  readonly id: number;
  /** The frame schema of its bars; undefined while only failures were recorded. */
  readonly schema: string | undefined;
}

export function datasetCacheKey(d: DatasetKey): string {
  // The interval (digits) first, then a separator it never holds: unambiguous, and cheaper than JSON on every read.
  return `${d.intervalMs}|${d.nodeId}`;
}

export async function findDataset(conn: DuckDBConnection, d: DatasetKey): Promise<DatasetRow | undefined> {
  const result = await conn.runAndReadAll('SELECT id, schema FROM datasets WHERE node_id = $1 AND interval_ms = $2::BIGINT', [d.nodeId, d.intervalMs]);
  const rows = result.getRowsJS();
  if (rows.length === 0) return undefined;
  return { id: Number(rows[0][0]), schema: rows[0][1] === null ? undefined : String(rows[0][1]) };
}

/** The committed rows of `datasets` that exist, by datasetCacheKey, in one query (node ids bound as a list). */
export async function findDatasets(conn: DuckDBConnection, datasets: readonly DatasetKey[]): Promise<Map<string, DatasetRow>> {
  const out = new Map<string, DatasetRow>();
  if (datasets.length === 0) return out;
  const wanted = new Set(datasets.map(datasetCacheKey));
  const nodes = [...new Set(datasets.map((d) => d.nodeId))];
  const result = await conn.runAndReadAll('SELECT id, schema, node_id, interval_ms::DOUBLE FROM datasets WHERE list_contains($1::VARCHAR[], node_id)', [listValue(nodes)]);
  for (const [id, schema, nodeId, intervalMs] of result.getRowsJS()) {
    const key = datasetCacheKey({ nodeId: String(nodeId), intervalMs: Number(intervalMs) });
    if (wanted.has(key)) out.set(key, { id: Number(id), schema: schema === null ? undefined : String(schema) });
  }
  return out;
}

/**
 * The dataset's row, created when absent. With `schema`, fixes the dataset's schema on first
 * use and refuses a different one with DatasetSchemaConflictError.
 */
export async function ensureDataset(conn: DuckDBConnection, d: DatasetKey, schema?: string): Promise<DatasetRow> {
  const found = await findDataset(conn, d);
  if (found === undefined) {
    const result = await conn.runAndReadAll(
      'INSERT INTO datasets (node_id, interval_ms, schema) VALUES ($1, $2::BIGINT, $3) RETURNING id',
      [d.nodeId, d.intervalMs, schema ?? null],
    );
    return { id: Number(result.getRowsJS()[0][0]), schema };
  }
  if (schema === undefined || found.schema === schema) return found;
  if (found.schema !== undefined) throw new DatasetSchemaConflictError(d.nodeId, d.intervalMs, found.schema, schema);
  await conn.run('UPDATE datasets SET schema = $1 WHERE id = $2', [schema, found.id]);
  return { id: found.id, schema };
}

const SUMMARY_SQL = `
  WITH bars AS (${ALL_BAR_TABLES.map((t) => `SELECT dataset_id, count(*) AS n, min(ts) AS first_ts, max(ts) AS last_ts FROM ${t.table} GROUP BY dataset_id`).join(' UNION ALL ')})
  SELECT d.node_id, d.interval_ms::DOUBLE, coalesce(d.schema, ''), coalesce(b.n, 0)::DOUBLE, b.first_ts::DOUBLE, b.last_ts::DOUBLE
  FROM datasets d LEFT JOIN bars b ON b.dataset_id = d.id
  WHERE b.n > 0 OR EXISTS (SELECT 1 FROM coverage c WHERE c.dataset_id = d.id)
  ORDER BY d.node_id, d.interval_ms`;

export async function listDatasets(conn: DuckDBConnection): Promise<DatasetSummary[]> {
  const result = await conn.runAndReadAll(SUMMARY_SQL);
  const out: DatasetSummary[] = [];
  for (const [nodeId, intervalMs, schema, rows, first, last] of result.getRowsJS()) {
    out.push({
      nodeId: String(nodeId),
      intervalMs: Number(intervalMs),
      schema: String(schema),
      rows: Number(rows),
      firstTs: first === null ? undefined : Number(first),
      lastTs: last === null ? undefined : Number(last),
    });
  }
  return out;
}
