/**
 * The statements of BarStore.writeMany on DuckDB (duckdb-write-many.ts), each ONE statement for
 * the rows of every batch, inside the caller's transaction on the writer: the version ids drawn in
 * one query, the bars of many datasets through one appender (dataset_id and version_id per row),
 * the findings of every claim superseded, every dataset's coverage changes and every version row.
 * Each statement has a fixed text (prepared once, prepared-statements.ts) and takes its rows as
 * list parameters that `unnest` zips back into rows. Cost avoided: a flush of 1,000 live datasets
 * ran ~9,000 statements (a dozen per write) and 1,000 appender flushes on the event loop
 * (bench/gateway/stream-fanout-sockets.bench.ts, CPU profile).
 */
import { BIGINT, BOOLEAN, DOUBLE, LIST, VARCHAR, listValue } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { InternalError } from '../../core/index.js';
import type { Frame } from '../../core/index.js';
import type { BarTable, CoverageRange, DatasetKey } from '../../storage/index.js';
import { encodeVersionCoverage } from '../../storage/index.js';
import type { NewVersion } from './duckdb-bar-versions.js';
import { appendInChunks } from './chunked-append.js';
import { fillChunkFrom } from './chunk-vectors.js';
import { preparedStatement, readPrepared } from './prepared-statements.js';

const NUMBERS = LIST(DOUBLE);
const TEXTS = LIST(VARCHAR);

/** Runs the connection's prepared statement for `sql` with typed bindings (a list of nulls has no type to infer). */
async function runTyped(conn: DuckDBConnection, sql: string, values: DuckDBValue[], types: DuckDBType[]): Promise<number> {
  const statement = await preparedStatement(conn, sql);
  statement.bind(values, types);
  return (await statement.run()).rowsChanged;
}

/** `count` new version ids, ascending (the order the versions are numbered in, as `count` writes would draw them). */
export async function nextVersionIds(conn: DuckDBConnection, count: number): Promise<number[]> {
  if (count === 0) return [];
  const rows = await readPrepared(conn, "SELECT nextval('bar_versions_seq')::DOUBLE FROM range($1::BIGINT)", [count]);
  const ids = rows.map((r) => Number(r[0])).sort((a, b) => a - b);
  if (ids.length !== count) throw new InternalError(`drew ${ids.length} version ids, expected ${count}`);
  return ids;
}

/** The rows of one dataset's batch for `appendBarsOfMany`. */
export interface DatasetRows {
  readonly datasetId: number;
  readonly versionId: number;
  readonly frame: Frame;
}

/**
 * Appends the rows of every entry (all of one bar table) through ONE appender and one flush; each
 * row carries its dataset's id and its version's id. The appender joins the open transaction.
 */
export async function appendBarsOfMany(conn: DuckDBConnection, t: BarTable, entries: readonly DatasetRows[]): Promise<number> {
  let rows = 0;
  for (const e of entries) rows += e.frame.length;
  if (rows === 0) return 0;
  const width = t.columns.length;
  // Column order of the table: dataset_id, ts, value columns, version_id (migration 13).
  const columns: Float64Array[] = [];
  for (let c = 0; c < width + 3; c++) columns.push(new Float64Array(rows));
  let at = 0;
  for (const e of entries) {
    const n = e.frame.length;
    columns[0].fill(e.datasetId, at, at + n);
    columns[1].set(e.frame.ts.subarray(0, n), at);
    for (let c = 0; c < width; c++) columns[2 + c].set(e.frame.values[c].subarray(0, n), at);
    columns[width + 2].fill(e.versionId, at, at + n);
    at += n;
  }
  const types = new Array<DuckDBType>(width + 3).fill(DOUBLE);
  await appendInChunks(conn, t.table, types, rows, (chunk, from) => fillChunkFrom(chunk, columns, from));
  return rows;
}

/** One claimed range of a dataset (a finding in force inside it is superseded). */
export interface DatasetRange {
  readonly dataset: DatasetKey;
  readonly start: number;
  readonly end: number;
}

const SUPERSEDE_MANY = `UPDATE ingest_findings AS f SET superseded_at_ms = $1::BIGINT
  FROM (SELECT unnest($2::VARCHAR[]) AS node_id, unnest($3::DOUBLE[])::BIGINT AS interval_ms, unnest($4::DOUBLE[])::BIGINT AS s,
    unnest($5::DOUBLE[])::BIGINT AS e) AS c
  WHERE f.node_id = c.node_id AND f.interval_ms = c.interval_ms AND f.ts >= c.s AND f.ts < c.e AND f.superseded_at_ms IS NULL`;

/**
 * Marks the findings in force inside every range superseded at `at`, in one statement. The ranges
 * must not overlap (a finding matches one range at most): the claims of one write never do, and
 * the caller passes each dataset's claims of one write only.
 */
export async function supersedeFindingsOfMany(conn: DuckDBConnection, ranges: readonly DatasetRange[], at: number): Promise<void> {
  if (ranges.length === 0) return;
  await runTyped(conn, SUPERSEDE_MANY, [
    at, listValue(ranges.map((r) => r.dataset.nodeId)), listValue(ranges.map((r) => r.dataset.intervalMs)),
    listValue(ranges.map((r) => r.start)), listValue(ranges.map((r) => r.end)),
  ], [BIGINT, TEXTS, NUMBERS, NUMBERS, NUMBERS]);
}

/** A dataset's coverage before and after a write (what the database holds inside the transaction, and what it must hold). */
export interface CoverageChange {
  readonly datasetId: number;
  readonly previous: readonly CoverageRange[];
  readonly next: readonly CoverageRange[];
}

const DELETE_MANY = `DELETE FROM coverage USING (SELECT unnest($1::DOUBLE[])::INTEGER AS d, unnest($2::DOUBLE[])::BIGINT AS s) AS g
  WHERE coverage.dataset_id = g.d AND coverage.start_ms = g.s`;
const UPDATE_MANY = `UPDATE coverage SET end_ms = u.e, state = u.state, reason = u.reason, attempts = u.attempts, updated_at_ms = $7::BIGINT
  FROM (SELECT unnest($1::DOUBLE[])::INTEGER AS d, unnest($2::DOUBLE[])::BIGINT AS s, unnest($3::DOUBLE[])::BIGINT AS e,
    unnest($4::VARCHAR[]) AS state, unnest($5::VARCHAR[]) AS reason, unnest($6::DOUBLE[])::INTEGER AS attempts) AS u
  WHERE coverage.dataset_id = u.d AND coverage.start_ms = u.s`;
const INSERT_MANY = `INSERT INTO coverage (dataset_id, start_ms, end_ms, state, reason, attempts, updated_at_ms)
  SELECT unnest($1::DOUBLE[])::INTEGER, unnest($2::DOUBLE[])::BIGINT, unnest($3::DOUBLE[])::BIGINT, unnest($4::VARCHAR[]),
    unnest($5::VARCHAR[]), unnest($6::DOUBLE[])::INTEGER, $7::BIGINT`;

/**
 * saveCoverage (duckdb-coverage-index.ts) for many datasets in three statements: every entry whose
 * start went is deleted, every one whose start stayed but whose end, state or failure changed is
 * updated, every new start inserted; an unchanged entry keeps its row and its `updated_at_ms`.
 * Each dataset appears once (the caller saves a dataset's changes of one write only).
 */
export async function saveCoverageOfMany(conn: DuckDBConnection, changes: readonly CoverageChange[], nowMs: number): Promise<void> {
  const gone: CoverageRows = newRows();
  const changed: CoverageRows = newRows();
  const added: CoverageRows = newRows();
  for (const { datasetId, previous, next } of changes) {
    const before = new Map<number, CoverageRange>();
    for (const e of previous) before.set(e.start, e);
    for (const e of next) {
      const old = before.get(e.start);
      if (old === undefined) push(added, datasetId, e);
      else {
        before.delete(e.start);
        if (!sameEntry(old, e)) push(changed, datasetId, e);
      }
    }
    for (const e of before.values()) push(gone, datasetId, e);
  }
  // Deleted first: an added entry may start where a gone one ended, never where one still is.
  if (gone.ids.length > 0) await runTyped(conn, DELETE_MANY, [listValue(gone.ids), listValue(gone.starts)], [NUMBERS, NUMBERS]);
  if (changed.ids.length > 0) await runTyped(conn, UPDATE_MANY, entryValues(changed, nowMs), ENTRY_TYPES);
  if (added.ids.length > 0) await runTyped(conn, INSERT_MANY, entryValues(added, nowMs), ENTRY_TYPES);
}

interface CoverageRows {
  readonly ids: number[];
  readonly starts: number[];
  readonly ends: number[];
  readonly states: string[];
  readonly reasons: (string | null)[];
  readonly attempts: (number | null)[];
}

const ENTRY_TYPES = [NUMBERS, NUMBERS, NUMBERS, TEXTS, TEXTS, NUMBERS, BIGINT];

function newRows(): CoverageRows {
  return { ids: [], starts: [], ends: [], states: [], reasons: [], attempts: [] };
}

function push(rows: CoverageRows, datasetId: number, e: CoverageRange): void {
  rows.ids.push(datasetId);
  rows.starts.push(e.start);
  rows.ends.push(e.end);
  rows.states.push(e.state);
  rows.reasons.push(e.reason ?? null);
  rows.attempts.push(e.attempts ?? null);
}

function entryValues(rows: CoverageRows, nowMs: number): DuckDBValue[] {
  return [listValue(rows.ids), listValue(rows.starts), listValue(rows.ends), listValue(rows.states), listValue(rows.reasons), listValue(rows.attempts), nowMs];
}

function sameEntry(a: CoverageRange, b: CoverageRange): boolean {
  return a.start === b.start && a.end === b.end && a.state === b.state && a.reason === b.reason && a.attempts === b.attempts;
}

/** Column types of bar_versions as appended: numbers as DOUBLE (the appender casts them to BIGINT/INTEGER), texts, the flag. */
const VERSION_TYPES: readonly DuckDBType[] = [DOUBLE, DOUBLE, DOUBLE, VARCHAR, VARCHAR, VARCHAR, DOUBLE, VARCHAR, DOUBLE, DOUBLE, DOUBLE, VARCHAR, BOOLEAN];

/**
 * insertVersion (duckdb-bar-versions.ts) for many versions, through one appender (it joins the open
 * transaction). Cost avoided: binding 13 list parameters of 1,000 items each converted every value
 * through a DuckDBValue (~30 ms of the event loop per flush of 1,000 datasets, and its garbage).
 */
export async function insertVersions(conn: DuckDBConnection, versions: readonly NewVersion[]): Promise<void> {
  if (versions.length === 0) return;
  await appendInChunks(conn, 'bar_versions', VERSION_TYPES, versions.length, (chunk, from) => {
    const part = versions.slice(from, from + chunk.rowCount);
    // Column order of the table: migration 13, then whole_span (migration 15).
    chunk.setColumns([
      part.map((v) => v.id), part.map((v) => v.datasetId), part.map((v) => v.at), part.map((v) => v.kind), part.map((v) => v.source),
      part.map((v) => v.fence?.key ?? null), part.map((v) => v.fence?.token ?? null), part.map((v) => v.contentHash),
      part.map((v) => v.range.start), part.map((v) => v.range.end), part.map((v) => v.rows), part.map((v) => encodeVersionCoverage(v.coverage)),
      part.map((v) => v.whole),
    ]);
  });
}
