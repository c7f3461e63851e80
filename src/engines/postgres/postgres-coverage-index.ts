/**
 * The coverage rows of a dataset on PostgreSQL. The algebra (overlay, failures, merging) is the
 * engines' shared ../coverage-algebra.ts; this file loads and saves the entries. Nothing is
 * mirrored in memory: other processes write the same database, so every lookup asks it.
 */
import type { PoolClient } from 'pg';
import { InternalError } from '../../core/index.js';
import type { TimeRange } from '../../core/index.js';
import type { CoverageRange, CoverageState, DatasetKey } from '../../storage/index.js';

interface CoverageRecord {
  readonly start_ms: number;
  readonly end_ms: number;
  readonly state: string;
  readonly reason: string | null;
  readonly attempts: number | null;
}

const COLUMNS = 'c.start_ms::float8 AS start_ms, c.end_ms::float8 AS end_ms, c.state, c.reason, c.attempts';
const OF_DATASET = `SELECT ${COLUMNS} FROM coverage c WHERE c.dataset_id = $1 ORDER BY c.start_ms`;
// Readers look the dataset up in the same statement: one round trip per coverage lookup.
const BY_KEY = `SELECT ${COLUMNS} FROM coverage c JOIN datasets d ON d.id = c.dataset_id
  WHERE d.node_id = $1 AND d.interval_ms = $2`;
const BY_KEY_ALL = `${BY_KEY} ORDER BY c.start_ms`;
const BY_KEY_OVERLAPPING = `${BY_KEY} AND c.end_ms > $3 AND c.start_ms < $4 ORDER BY c.start_ms`;
const DELETE = 'DELETE FROM coverage WHERE dataset_id = $1';
const INSERT = `INSERT INTO coverage (dataset_id, start_ms, end_ms, state, reason, attempts, updated_at_ms)
  SELECT $1, s, e, st, r, a, $7 FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::integer[]) AS u(s, e, st, r, a)`;

/** Every entry of the dataset, ascending (inside a write, after its row was locked). */
export async function loadCoverage(client: PoolClient, datasetId: number): Promise<CoverageRange[]> {
  const result = await client.query<CoverageRecord>({ name: 'seamless_coverage_of_dataset', text: OF_DATASET, values: [datasetId] });
  return toEntries(result.rows);
}

/** Entries of a dataset overlapping `range` (all when omitted), unclipped, ascending; [] when unknown. */
export async function coverageOf(client: PoolClient, d: DatasetKey, range?: TimeRange): Promise<CoverageRange[]> {
  const result = range === undefined
    ? await client.query<CoverageRecord>({ name: 'seamless_coverage_all', text: BY_KEY_ALL, values: [d.nodeId, d.intervalMs] })
    : await client.query<CoverageRecord>({ name: 'seamless_coverage_overlapping', text: BY_KEY_OVERLAPPING, values: [d.nodeId, d.intervalMs, range.start, range.end] });
  return toEntries(result.rows);
}

/** Replaces the dataset's whole coverage with `entries` (inside the caller's transaction). */
export async function saveCoverage(client: PoolClient, datasetId: number, entries: readonly CoverageRange[], nowMs: number): Promise<void> {
  await client.query({ name: 'seamless_coverage_delete', text: DELETE, values: [datasetId] });
  if (entries.length === 0) return;
  const starts: number[] = [];
  const ends: number[] = [];
  const states: string[] = [];
  const reasons: (string | null)[] = [];
  const attempts: (number | null)[] = [];
  for (const e of entries) {
    starts.push(e.start);
    ends.push(e.end);
    states.push(e.state);
    reasons.push(e.reason ?? null);
    attempts.push(e.attempts ?? null);
  }
  await client.query({ name: 'seamless_coverage_insert', text: INSERT, values: [datasetId, starts, ends, states, reasons, attempts, nowMs] });
}

function toEntries(rows: readonly CoverageRecord[]): CoverageRange[] {
  const out: CoverageRange[] = [];
  for (const r of rows) {
    const state = coverageState(r.state);
    out.push(state === 'failed'
      ? { start: r.start_ms, end: r.end_ms, state, reason: r.reason ?? undefined, attempts: r.attempts ?? 0 }
      : { start: r.start_ms, end: r.end_ms, state });
  }
  return out;
}

function coverageState(value: string): CoverageState {
  if (value === 'stored' || value === 'known_empty' || value === 'failed') return value;
  throw new InternalError(`coverage row has unknown state ${value}`);
}
