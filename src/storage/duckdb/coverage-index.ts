/**
 * The coverage index of a dataset: sorted, non-overlapping entries of `stored`, `known_empty`
 * or `failed`. Updates are computed in memory over the dataset's entries (a handful of rows
 * once merged) and written back inside the caller's transaction.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { InternalError, intersectRanges, subtractRanges } from '../../core/index.js';
import type { TimeRange } from '../../core/index.js';
import type { CoverageRange, CoverageState } from '../bar-store.js';

/** Entries of `entries` with the parts under `replacements` cut out, plus `replacements`, merged. */
export function overlayCoverage(entries: readonly CoverageRange[], replacements: readonly CoverageRange[]): CoverageRange[] {
  const out: CoverageRange[] = [];
  for (const e of entries) {
    for (const piece of subtractRanges([e], replacements)) out.push(withRange(e, piece));
  }
  for (const r of replacements) out.push(r);
  return mergeCoverage(out);
}

/**
 * The parts of `range` not stored or known empty become `failed` with `reason`; each part's
 * attempts is one more than the failed entry it replaces (1 where there was none).
 */
export function failCoverage(entries: readonly CoverageRange[], range: TimeRange, reason: string): CoverageRange[] {
  const settled: TimeRange[] = [];
  const failed: CoverageRange[] = [];
  for (const e of entries) {
    if (e.state === 'failed') failed.push(e);
    else settled.push(e);
  }
  const open = subtractRanges([range], settled);
  if (open.length === 0) return [...entries];
  const replacements: CoverageRange[] = [];
  for (const f of failed) {
    for (const piece of intersectRanges([f], open)) {
      replacements.push({ start: piece.start, end: piece.end, state: 'failed', reason, attempts: (f.attempts ?? 0) + 1 });
    }
  }
  for (const piece of subtractRanges(open, failed)) {
    replacements.push({ start: piece.start, end: piece.end, state: 'failed', reason, attempts: 1 });
  }
  return overlayCoverage(entries, replacements);
}

/** Sorts and joins touching entries of one state (failed ones only with the same reason and attempts). */
export function mergeCoverage(entries: readonly CoverageRange[]): CoverageRange[] {
  const sorted = [...entries].sort((a, b) => a.start - b.start);
  const out: CoverageRange[] = [];
  for (const e of sorted) {
    const last = out.length > 0 ? out[out.length - 1] : undefined;
    if (last !== undefined && last.end === e.start && sameState(last, e)) out[out.length - 1] = withRange(last, { start: last.start, end: e.end });
    else out.push(e);
  }
  return out;
}

function sameState(a: CoverageRange, b: CoverageRange): boolean {
  return a.state === b.state && a.reason === b.reason && a.attempts === b.attempts;
}

function withRange(e: CoverageRange, r: TimeRange): CoverageRange {
  return e.state === 'failed'
    ? { start: r.start, end: r.end, state: e.state, reason: e.reason, attempts: e.attempts }
    : { start: r.start, end: r.end, state: e.state };
}

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
