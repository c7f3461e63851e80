/**
 * The coverage rows of a dataset in DuckDB: sorted, non-overlapping entries of `stored`,
 * `known_empty` or `failed`. Updates are computed in memory over the dataset's entries (a handful
 * of rows once merged, ../coverage-algebra.ts) and written back inside the caller's transaction.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { InternalError } from '../../core/index.js';
import type { TimeRange } from '../../core/index.js';
import type { CoverageRange, CoverageState } from '../../storage/index.js';

const SELECT = 'SELECT start_ms::DOUBLE, end_ms::DOUBLE, state, reason, attempts FROM coverage WHERE dataset_id = $1';

/** Entries overlapping `range` (all when omitted), unclipped, ascending. */
export async function loadCoverage(conn: DuckDBConnection, datasetId: number, range?: TimeRange): Promise<CoverageRange[]> {
  const result = range === undefined
    ? await conn.runAndReadAll(`${SELECT} ORDER BY start_ms`, [datasetId])
    : await conn.runAndReadAll(`${SELECT} AND end_ms > $2::BIGINT AND start_ms < $3::BIGINT ORDER BY start_ms`, [datasetId, range.start, range.end]);
  const rows = result.getRowsJS();
  const out: CoverageRange[] = [];
  for (const [start, end, state, reason, attempts] of rows) {
    const s = coverageState(state);
    out.push(s === 'failed'
      ? { start: Number(start), end: Number(end), state: s, reason: reason === null ? undefined : String(reason), attempts: Number(attempts) }
      : { start: Number(start), end: Number(end), state: s });
  }
  return out;
}

function coverageState(value: unknown): CoverageState {
  if (value === 'stored' || value === 'known_empty' || value === 'failed') return value;
  throw new InternalError(`coverage row has unknown state ${String(value)}`);
}

/** Replaces the dataset's whole coverage with `entries` (inside the caller's transaction). */
export async function saveCoverage(conn: DuckDBConnection, datasetId: number, entries: readonly CoverageRange[], nowMs: number): Promise<void> {
  await conn.run('DELETE FROM coverage WHERE dataset_id = $1', [datasetId]);
  if (entries.length === 0) return;
  const values: string[] = [];
  const params: (number | string | null)[] = [];
  for (const e of entries) {
    const p = params.length;
    values.push(`($${p + 1}, $${p + 2}::BIGINT, $${p + 3}::BIGINT, $${p + 4}, $${p + 5}, $${p + 6}, $${p + 7}::BIGINT)`);
    params.push(datasetId, e.start, e.end, e.state, e.reason ?? null, e.attempts ?? null, nowMs);
  }
  await conn.run(`INSERT INTO coverage (dataset_id, start_ms, end_ms, state, reason, attempts, updated_at_ms) VALUES ${values.join(', ')}`, params);
}
