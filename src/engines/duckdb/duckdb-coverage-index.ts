/**
 * The coverage rows of a dataset in DuckDB: sorted, non-overlapping entries of `stored`,
 * `known_empty` or `failed`. Updates are computed in memory over the dataset's entries (a handful
 * of rows once merged, ../coverage-algebra.ts); what changed is written back inside the caller's
 * transaction.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { InternalError } from '../../core/index.js';
import type { TimeRange } from '../../core/index.js';
import type { CoverageRange, CoverageState } from '../../storage/index.js';
import { runPrepared } from './prepared-statements.js';

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

/**
 * Every entry of each dataset of `datasetIds`, ascending, in one query (a universe read's first
 * lookup of many datasets); a dataset without coverage rows maps to [].
 */
export async function loadCoverageMany(conn: DuckDBConnection, datasetIds: readonly number[]): Promise<Map<number, CoverageRange[]>> {
  const out = new Map<number, CoverageRange[]>();
  for (const id of datasetIds) {
    if (!Number.isSafeInteger(id)) throw new InternalError(`refusing to inline dataset id ${String(id)} into SQL text`);
    out.set(id, []);
  }
  if (datasetIds.length === 0) return out;
  const result = await conn.runAndReadAll(`SELECT dataset_id::DOUBLE, start_ms::DOUBLE, end_ms::DOUBLE, state, reason, attempts FROM coverage
    WHERE dataset_id IN (${datasetIds.join(', ')}) ORDER BY dataset_id, start_ms`);
  for (const [id, start, end, state, reason, attempts] of result.getRowsJS()) {
    const s = coverageState(state);
    out.get(Number(id))?.push(s === 'failed'
      ? { start: Number(start), end: Number(end), state: s, reason: reason === null ? undefined : String(reason), attempts: Number(attempts) }
      : { start: Number(start), end: Number(end), state: s });
  }
  return out;
}

function coverageState(value: unknown): CoverageState {
  if (value === 'stored' || value === 'known_empty' || value === 'failed') return value;
  throw new InternalError(`coverage row has unknown state ${String(value)}`);
}

const DELETE_ENTRY = 'DELETE FROM coverage WHERE dataset_id = $1 AND start_ms = $2::BIGINT';
const UPDATE_ENTRY = `UPDATE coverage SET end_ms = $3::BIGINT, state = $4, reason = $5, attempts = $6, updated_at_ms = $7::BIGINT
  WHERE dataset_id = $1 AND start_ms = $2::BIGINT`;
const INSERT_ENTRY = `INSERT INTO coverage (dataset_id, start_ms, end_ms, state, reason, attempts, updated_at_ms)
  VALUES ($1, $2::BIGINT, $3::BIGINT, $4, $5, $6, $7::BIGINT)`;

/**
 * Brings the dataset's stored coverage from `previous` (exactly what the database holds, inside
 * the caller's transaction) to `entries`, one prepared statement per entry that changed (the
 * writer runs this in every bar write): an entry whose start went is deleted, one whose start
 * stayed but whose end, state or failure changed is updated, a new start is inserted. An
 * unchanged entry keeps its row and its `updated_at_ms`. A backfill extending its coverage
 * changes one or two entries, where rewriting the whole list cost ~2-4 ms per shard write.
 */
export async function saveCoverage(
  conn: DuckDBConnection, datasetId: number, previous: readonly CoverageRange[], entries: readonly CoverageRange[], nowMs: number,
): Promise<void> {
  const gone = new Map<number, CoverageRange>();
  for (const e of previous) gone.set(e.start, e);
  const changed: CoverageRange[] = [];
  const added: CoverageRange[] = [];
  for (const e of entries) {
    const old = gone.get(e.start);
    if (old === undefined) added.push(e);
    else {
      gone.delete(e.start);
      if (!sameEntry(old, e)) changed.push(e);
    }
  }
  // Deleted first: an added entry may start where a gone one ended, never where one still is.
  for (const start of gone.keys()) await runPrepared(conn, DELETE_ENTRY, [datasetId, start]);
  for (const e of changed) await runPrepared(conn, UPDATE_ENTRY, entryValues(datasetId, e, nowMs));
  for (const e of added) await runPrepared(conn, INSERT_ENTRY, entryValues(datasetId, e, nowMs));
}

function entryValues(datasetId: number, e: CoverageRange, nowMs: number): (number | string | null)[] {
  return [datasetId, e.start, e.end, e.state, e.reason ?? null, e.attempts ?? null, nowMs];
}

function sameEntry(a: CoverageRange, b: CoverageRange): boolean {
  return a.start === b.start && a.end === b.end && a.state === b.state && a.reason === b.reason && a.attempts === b.attempts;
}
