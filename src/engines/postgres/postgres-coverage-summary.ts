/**
 * The catalog's queries on PostgreSQL: every dataset's coverage in figures (`coverageSummary`,
 * one query: rows counted with the first and last ts through the bar tables' primary key
 * (dataset_id, ts), the length of its known-empty and failed coverage, its last coverage
 * change) and a dataset's coverage entries with the time each last changed (`datedCoverage`,
 * the per-day condition). nodeId is always a bound parameter.
 */
import type { PoolClient } from 'pg';
import { InternalError } from '../../core/index.js';
import type { TimeRange } from '../../core/index.js';
import { ALL_BAR_TABLES } from '../../storage/index.js';
import type { CoverageState, CoverageSummary, DatasetKey, DatedCoverageRange } from '../../storage/index.js';

/** Sorted by node id in code-point order (COLLATE "C", as the embedded engine sorts), then interval. */
const SUMMARY_SQL = `
  SELECT d.node_id, d.interval_ms::float8 AS interval_ms, coalesce(d.schema, '') AS schema,
         b.n::float8 AS n, b.first_ts::float8 AS first_ts, b.last_ts::float8 AS last_ts,
         c.known_empty_ms::float8 AS known_empty_ms, c.failed_ms::float8 AS failed_ms,
         c.last_write_ms::float8 AS last_write_ms, c.entries::float8 AS entries
  FROM datasets d
  CROSS JOIN LATERAL (
    SELECT count(*) AS n, min(ts) AS first_ts, max(ts) AS last_ts
    FROM (${ALL_BAR_TABLES.map((t) => `SELECT ts FROM ${t.table} WHERE dataset_id = d.id`).join(' UNION ALL ')}) u
  ) b
  CROSS JOIN LATERAL (
    SELECT count(*) AS entries,
           coalesce(sum(CASE WHEN state = 'known_empty' THEN end_ms - start_ms ELSE 0 END), 0) AS known_empty_ms,
           coalesce(sum(CASE WHEN state = 'failed' THEN end_ms - start_ms ELSE 0 END), 0) AS failed_ms,
           max(updated_at_ms) AS last_write_ms
    FROM coverage WHERE dataset_id = d.id
  ) c
  WHERE b.n > 0 OR c.entries > 0
  ORDER BY d.node_id COLLATE "C", d.interval_ms`;

interface SummaryRecord {
  readonly node_id: string;
  readonly interval_ms: number;
  readonly schema: string;
  readonly n: number;
  readonly first_ts: number | null;
  readonly last_ts: number | null;
  readonly known_empty_ms: number;
  readonly failed_ms: number;
  readonly last_write_ms: number | null;
}

export async function summariseCoverage(client: PoolClient): Promise<CoverageSummary[]> {
  const result = await client.query<SummaryRecord>({ name: 'seamless_coverage_summary', text: SUMMARY_SQL });
  const out: CoverageSummary[] = [];
  for (const r of result.rows) {
    out.push({
      nodeId: r.node_id,
      intervalMs: r.interval_ms,
      schema: r.schema,
      barsStored: r.n,
      firstTs: r.first_ts ?? undefined,
      lastTs: r.last_ts ?? undefined,
      // Coverage entries are aligned to the interval (write validation): the division is exact.
      knownEmptyBars: r.known_empty_ms / r.interval_ms,
      failedBars: r.failed_ms / r.interval_ms,
      lastWriteAt: r.last_write_ms ?? undefined,
    });
  }
  return out;
}

interface DatedRecord {
  readonly start_ms: number;
  readonly end_ms: number;
  readonly state: string;
  readonly reason: string | null;
  readonly attempts: number | null;
  readonly updated_at_ms: number;
}

const DATED = `SELECT c.start_ms::float8 AS start_ms, c.end_ms::float8 AS end_ms, c.state, c.reason, c.attempts,
    c.updated_at_ms::float8 AS updated_at_ms
  FROM coverage c JOIN datasets d ON d.id = c.dataset_id WHERE d.node_id = $1 AND d.interval_ms = $2`;
const DATED_ALL = `${DATED} ORDER BY c.start_ms`;
const DATED_OVERLAPPING = `${DATED} AND c.end_ms > $3 AND c.start_ms < $4 ORDER BY c.start_ms`;

/** Entries of a dataset overlapping `range` (all when omitted), unclipped, ascending; [] when unknown. */
export async function datedCoverageOf(client: PoolClient, d: DatasetKey, range?: TimeRange): Promise<DatedCoverageRange[]> {
  const result = range === undefined
    ? await client.query<DatedRecord>({ name: 'seamless_dated_coverage_all', text: DATED_ALL, values: [d.nodeId, d.intervalMs] })
    : await client.query<DatedRecord>({ name: 'seamless_dated_coverage_overlapping', text: DATED_OVERLAPPING, values: [d.nodeId, d.intervalMs, range.start, range.end] });
  const out: DatedCoverageRange[] = [];
  for (const r of result.rows) {
    const s = coverageState(r.state);
    out.push(s === 'failed'
      ? { start: r.start_ms, end: r.end_ms, state: s, reason: r.reason ?? undefined, attempts: r.attempts ?? 0, updatedAt: r.updated_at_ms }
      : { start: r.start_ms, end: r.end_ms, state: s, updatedAt: r.updated_at_ms });
  }
  return out;
}

function coverageState(value: string): CoverageState {
  if (value === 'stored' || value === 'known_empty' || value === 'failed') return value;
  throw new InternalError(`coverage row has unknown state ${value}`);
}
