/**
 * The catalog's queries on DuckDB: every dataset's coverage in figures (`coverageSummary`, one
 * query: a count of rows with the first and last ts per dataset, the length of its known-empty
 * and failed coverage, and its last coverage change) and a dataset's coverage entries with the
 * time each last changed (`datedCoverage`, the per-day condition). Both run on a reader
 * connection: committed data only. nodeId is always a bound parameter.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { InternalError } from '../../core/index.js';
import type { TimeRange } from '../../core/index.js';
import { ALL_BAR_TABLES } from '../../storage/index.js';
import type { CoverageState, CoverageSummary, DatasetKey, DatedCoverageRange } from '../../storage/index.js';

// Bars and coverage are aggregated per dataset first (one pass over each table), then joined
// to the datasets: no bar is read, only counted.
const SUMMARY_SQL = `
  WITH bars AS (${ALL_BAR_TABLES.map((t) => `SELECT dataset_id, count(*) AS n, min(ts) AS first_ts, max(ts) AS last_ts FROM ${t.table} GROUP BY dataset_id`).join(' UNION ALL ')}),
  cov AS (SELECT dataset_id,
      sum(CASE WHEN state = 'known_empty' THEN end_ms - start_ms ELSE 0 END) AS known_empty_ms,
      sum(CASE WHEN state = 'failed' THEN end_ms - start_ms ELSE 0 END) AS failed_ms,
      max(updated_at_ms) AS last_write_ms
    FROM coverage GROUP BY dataset_id)
  SELECT d.node_id, d.interval_ms::DOUBLE, coalesce(d.schema, ''), coalesce(b.n, 0)::DOUBLE, b.first_ts::DOUBLE, b.last_ts::DOUBLE,
    coalesce(c.known_empty_ms, 0)::DOUBLE, coalesce(c.failed_ms, 0)::DOUBLE, c.last_write_ms::DOUBLE
  FROM datasets d LEFT JOIN bars b ON b.dataset_id = d.id LEFT JOIN cov c ON c.dataset_id = d.id
  WHERE b.n > 0 OR c.dataset_id IS NOT NULL
  ORDER BY d.node_id, d.interval_ms`;

export async function summariseCoverage(conn: DuckDBConnection): Promise<CoverageSummary[]> {
  const result = await conn.runAndReadAll(SUMMARY_SQL);
  const out: CoverageSummary[] = [];
  for (const [nodeId, intervalMs, schema, rows, first, last, knownEmptyMs, failedMs, lastWrite] of result.getRowsJS()) {
    const interval = Number(intervalMs);
    out.push({
      nodeId: String(nodeId),
      intervalMs: interval,
      schema: String(schema),
      barsStored: Number(rows),
      firstTs: first === null ? undefined : Number(first),
      lastTs: last === null ? undefined : Number(last),
      // Coverage entries are aligned to the interval (write validation): the division is exact.
      knownEmptyBars: Number(knownEmptyMs) / interval,
      failedBars: Number(failedMs) / interval,
      lastWriteAt: lastWrite === null ? undefined : Number(lastWrite),
    });
  }
  return out;
}

const DATED_SQL = `SELECT c.start_ms::DOUBLE, c.end_ms::DOUBLE, c.state, c.reason, c.attempts, c.updated_at_ms::DOUBLE
  FROM coverage c JOIN datasets d ON d.id = c.dataset_id WHERE d.node_id = $1 AND d.interval_ms = $2::BIGINT`;

/** Entries of a dataset overlapping `range` (all when omitted), unclipped, ascending; [] when unknown. */
export async function datedCoverageOf(conn: DuckDBConnection, d: DatasetKey, range?: TimeRange): Promise<DatedCoverageRange[]> {
  const result = range === undefined
    ? await conn.runAndReadAll(`${DATED_SQL} ORDER BY c.start_ms`, [d.nodeId, d.intervalMs])
    : await conn.runAndReadAll(`${DATED_SQL} AND c.end_ms > $3::BIGINT AND c.start_ms < $4::BIGINT ORDER BY c.start_ms`, [d.nodeId, d.intervalMs, range.start, range.end]);
  const out: DatedCoverageRange[] = [];
  for (const [start, end, state, reason, attempts, updatedAt] of result.getRowsJS()) {
    const s = coverageState(state);
    out.push(s === 'failed'
      ? { start: Number(start), end: Number(end), state: s, reason: reason === null ? undefined : String(reason), attempts: Number(attempts), updatedAt: Number(updatedAt) }
      : { start: Number(start), end: Number(end), state: s, updatedAt: Number(updatedAt) });
  }
  return out;
}

function coverageState(value: unknown): CoverageState {
  if (value === 'stored' || value === 'known_empty' || value === 'failed') return value;
  throw new InternalError(`coverage row has unknown state ${String(value)}`);
}
