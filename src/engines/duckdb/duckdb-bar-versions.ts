/**
 * Versioned bars on DuckDB (src/storage/bar-versions.ts for the model). Inside the caller's
 * transaction on the writer: the next version id, the rows a write or purge replaces moved to the
 * bar table's history (tagged with the version that superseded them), and the version row with
 * the coverage it left. On a reader: the version in force at a time, the rows as of it (current
 * rows written up to it, history rows written up to it and superseded after it, one streamed
 * query, one extra DOUBLE column for the version ids), the version list and the pruning horizon.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { createFrame } from '../../core/index.js';
import type { Frame, FrameSchema, TimeRange } from '../../core/index.js';
import type { BarTable, BarVersion, CoverageRange, Fence, VersionKind } from '../../storage/index.js';
import { ALL_BAR_TABLES, encodeVersionCoverage, versionSpan } from '../../storage/index.js';
import { chunkColumns, copyChunkInto } from './chunk-vectors.js';
import { VersionColumns } from './duckdb-version-index.js';
import { orderByTs } from './grid-order.js';
import { preparedStatement, readPrepared, runPrepared } from './prepared-statements.js';

/** Migration 13: the version column of the current tables, their history tables, the versions and the horizon. */
export const VERSION_MIGRATION_STATEMENTS: readonly string[] = Object.freeze([
  ...ALL_BAR_TABLES.map((t) => `ALTER TABLE ${t.table} ADD COLUMN version_id BIGINT`),
  ...ALL_BAR_TABLES.map((t) => `CREATE TABLE ${t.table}_history (dataset_id INTEGER NOT NULL, ts BIGINT NOT NULL,
     ${t.columns.map((c) => `${c} DOUBLE`).join(', ')}, version_id BIGINT NOT NULL, superseded_by BIGINT NOT NULL, superseded_at_ms BIGINT NOT NULL)`),
  'CREATE SEQUENCE bar_versions_seq START 1',
  `CREATE TABLE bar_versions (id BIGINT PRIMARY KEY, dataset_id INTEGER NOT NULL, at_ms BIGINT NOT NULL, kind VARCHAR NOT NULL,
     source VARCHAR NOT NULL, fence_key VARCHAR, fence_token BIGINT, content_hash VARCHAR NOT NULL,
     start_ms BIGINT NOT NULL, end_ms BIGINT NOT NULL, rows BIGINT NOT NULL, coverage JSON NOT NULL)`,
  'CREATE TABLE version_horizon (horizon_ms BIGINT NOT NULL)',
]);

/**
 * Migration 15: whether a version replaced every row of its span (its claims cover the span
 * without a gap; a purge always does). Versions written before it: purges yes, writes unknown
 * (false), which only keeps the as-of read on its two-table statement.
 */
export const WHOLE_SPAN_MIGRATION_STATEMENTS: readonly string[] = Object.freeze([
  'ALTER TABLE bar_versions ADD COLUMN whole_span BOOLEAN',
  "UPDATE bar_versions SET whole_span = (kind = 'purge')",
]);

/** The span of a write's claims, and whether they cover it without a gap (then every row of the span is the write's). */
export function claimedSpan(claims: readonly TimeRange[]): TimeRange & { readonly whole: boolean } {
  const span = versionSpan(claims);
  const sorted = [...claims].sort((a, b) => a.start - b.start);
  let reached = span.start;
  for (const c of sorted) {
    if (c.start > reached) return { ...span, whole: false };
    if (c.end > reached) reached = c.end;
  }
  return { ...span, whole: true };
}

export interface NewVersion {
  readonly id: number;
  readonly datasetId: number;
  readonly at: number;
  readonly kind: VersionKind;
  readonly source: string;
  readonly fence: Fence | undefined;
  readonly contentHash: string;
  readonly range: TimeRange;
  readonly rows: number;
  readonly coverage: readonly CoverageRange[];
  /** It replaced every row of `range` (claimedSpan; a purge). */
  readonly whole: boolean;
}

export async function nextVersionId(conn: DuckDBConnection): Promise<number> {
  const rows = await readPrepared(conn, "SELECT nextval('bar_versions_seq')::DOUBLE", []);
  return Number(rows[0][0]);
}

/** Moves the dataset's current rows inside `ranges` to the history, superseded by `versionId` (the caller deletes them next). */
export async function moveToHistory(
  conn: DuckDBConnection, t: BarTable, datasetId: number, ranges: readonly TimeRange[], versionId: number, at: number,
): Promise<void> {
  const cols = t.columns.join(', ');
  const sql = `INSERT INTO ${t.table}_history (dataset_id, ts, ${cols}, version_id, superseded_by, superseded_at_ms)
    SELECT dataset_id, ts, ${cols}, coalesce(version_id, 0), $4::BIGINT, $5::BIGINT FROM ${t.table}
    WHERE dataset_id = $1 AND ts >= $2::BIGINT AND ts < $3::BIGINT`;
  for (const r of ranges) await runPrepared(conn, sql, [datasetId, r.start, r.end, versionId, at]);
}

export async function insertVersion(conn: DuckDBConnection, v: NewVersion): Promise<void> {
  await runPrepared(conn, `INSERT INTO bar_versions (id, dataset_id, at_ms, kind, source, fence_key, fence_token, content_hash, start_ms, end_ms, rows, coverage, whole_span)
    VALUES ($1::BIGINT, $2, $3::BIGINT, $4, $5, $6, $7::BIGINT, $8, $9::BIGINT, $10::BIGINT, $11::BIGINT, $12::JSON, $13)`, [
    v.id, v.datasetId, v.at, v.kind, v.source, v.fence?.key ?? null, v.fence?.token ?? null, v.contentHash, v.range.start, v.range.end, v.rows,
    encodeVersionCoverage(v.coverage), v.whole,
  ]);
}

/**
 * One pass over the dataset's versions, no join: the version in force ($2 = asOf), the newest, and
 * the newest whose span overlaps [$3, $4). (The same with correlated subqueries cost DuckDB
 * several times the as-of read.)
 */
const IN_FORCE = `SELECT max(id) FILTER (WHERE at_ms <= $2::BIGINT)::DOUBLE, arg_max(at_ms, id) FILTER (WHERE at_ms <= $2::BIGINT)::DOUBLE,
    arg_max(coverage, id) FILTER (WHERE at_ms <= $2::BIGINT)::VARCHAR, max(id)::DOUBLE, arg_max(at_ms, id)::DOUBLE,
    max(id) FILTER (WHERE start_ms < $4::BIGINT AND end_ms > $3::BIGINT)::DOUBLE
  FROM bar_versions WHERE dataset_id = $1`;

/** The version in force at a time, with what the as-of reads decide their statement on. */
export interface VersionInForce {
  readonly id: number;
  readonly at: number;
  /** The dataset's coverage after it (JSON text). */
  readonly coverage: string;
  /** The dataset's newest version of all (the hint for the newest-version shortcut). */
  readonly newest: { readonly id: number; readonly at: number };
  /** A later version touched the range asked for (always true when none was given). */
  readonly changedSince: boolean;
}

/**
 * The newest version of the dataset committed at or before `asOf`, and with `range` whether a
 * later version's span overlaps it (else the current rows of the range are the rows as of it).
 */
export async function versionInForce(conn: DuckDBConnection, datasetId: number, asOf: number, range?: TimeRange): Promise<VersionInForce | undefined> {
  // Without a range every later version counts as touching it.
  const rows = await readPrepared(conn, IN_FORCE, [datasetId, asOf, range?.start ?? Number.MIN_SAFE_INTEGER, range?.end ?? Number.MAX_SAFE_INTEGER]);
  const r = rows[0];
  if (rows.length === 0 || r[0] === null) return undefined;
  const id = Number(r[0]);
  return { id, at: Number(r[1]), coverage: String(r[2]), newest: { id: Number(r[3]), at: Number(r[4]) }, changedSince: r[5] !== null && Number(r[5]) > id };
}

export interface AsOfStatements {
  /** Current and history rows as of a version ($4): ts, the values, each row's version id; in no order (grid-order.ts orders them). */
  readonly history: string;
  /**
   * The current rows of the range with each row's version id, only while the dataset's newest
   * version is still $4 (no row when another committed since; or when the range holds none).
   */
  readonly current: string;
  /**
   * The current rows of the range with each row's version id, unguarded, in no order: for a caller
   * that knows no version of the dataset committed since it looked (duckdb-version-index.ts).
   */
  readonly currentRows: string;
  /**
   * The history rows alone as of a version ($4), in no order: for a range in which a later
   * version replaced every row (so no current row is as of $4).
   */
  readonly historyRows: string;
}

/** The SELECTs of an as-of read, built once per bar table. */
export function asOfSelect(t: BarTable): AsOfStatements {
  const values = t.columns.map((c) => `coalesce(${c}, 'NaN'::DOUBLE)`).join(', ');
  const range = 'dataset_id = $1 AND ts >= $2::BIGINT AND ts < $3::BIGINT';
  return Object.freeze({
    // One statement, one snapshot: the guard and the rows cannot disagree about the newest version.
    // (An uncorrelated max(); a guard correlated with the version in force cost DuckDB 5× the scan.)
    current: `SELECT ts::DOUBLE, ${values}, coalesce(version_id, 0)::DOUBLE FROM ${t.table}
      WHERE ${range} AND (SELECT max(id) FROM bar_versions WHERE dataset_id = $1) = $4::BIGINT ORDER BY ts`,
    currentRows: `SELECT ts::DOUBLE, ${values}, coalesce(version_id, 0)::DOUBLE FROM ${t.table} WHERE ${range}`,
    historyRows: `SELECT ts::DOUBLE, ${values}, version_id::DOUBLE FROM ${t.table}_history
      WHERE ${range} AND version_id <= $4::BIGINT AND superseded_by > $4::BIGINT`,
    // "version_id <= $4 OR version_id IS NULL" is coalesce(version_id, 0) <= $4 ($4 >= 0) in a shape
    // DuckDB prunes row groups by (their min/max version id); the coalesce scanned every current row.
    history: `SELECT ts::DOUBLE, ${values}, v::DOUBLE FROM (
      SELECT ts, ${t.columns.join(', ')}, coalesce(version_id, 0) AS v FROM ${t.table} WHERE ${range} AND (version_id <= $4::BIGINT OR version_id IS NULL)
      UNION ALL
      SELECT ts, ${t.columns.join(', ')}, version_id AS v FROM ${t.table}_history WHERE ${range} AND version_id <= $4::BIGINT AND superseded_by > $4::BIGINT
    )`,
  });
}

/**
 * Rows as of version `versionId` (current rows written up to it, history rows written up to it
 * and superseded after it; with `historyOnly`, the caller knows a later version replaced every row
 * of the range, the history rows alone), ascending, with each row's version id apart. Exact without a
 * transaction: a version committed meanwhile has a higher id, so its rows are left out and the
 * rows it replaced are found in the history.
 */
export async function readAsOfBars(
  conn: DuckDBConnection, statements: AsOfStatements, schema: FrameSchema, datasetId: number, intervalMs: number, range: TimeRange, versionId: number,
  historyOnly = false,
): Promise<{ frame: Frame; versionIds: Float64Array }> {
  const sql = historyOnly ? statements.historyRows : statements.history;
  const { columns, length } = await streamAsOf(conn, sql, [datasetId, range.start, range.end, versionId], schema.columns.length + 2, range, intervalMs);
  // No ORDER BY in the statement: DuckDB's sort of the UNION ALL cost half a plain read.
  orderByTs(columns, length, range, intervalMs);
  const out = trimmed(columns, length);
  return { frame: createFrame(schema, out[0], out.slice(1, out.length - 1)), versionIds: out[out.length - 1] };
}

/**
 * The current rows of the range, read only while `newestId` is still the dataset's newest version
 * (checked in the same statement): undefined when another version committed since, or when the
 * range holds no row. They are the rows as of any version after which nothing touched the range:
 * the newest version itself, or one the version lookup found untouched since (`changedSince`).
 * Cost avoided: the history scan (every superseded row of the table) and, with the newest version
 * known, the version lookup (bench/storage/as-of-read.bench.ts).
 */
export async function readCurrentAsOf(
  conn: DuckDBConnection, statements: AsOfStatements, schema: FrameSchema, datasetId: number, intervalMs: number, range: TimeRange, newestId: number,
): Promise<{ frame: Frame; versionIds: Float64Array } | undefined> {
  const { columns, length } = await streamAsOf(conn, statements.current, [datasetId, range.start, range.end, newestId], schema.columns.length + 2, range, intervalMs);
  if (length === 0) return undefined;
  const out = trimmed(columns, length);
  return { frame: createFrame(schema, out[0], out.slice(1, out.length - 1)), versionIds: out[out.length - 1] };
}

/**
 * The current rows of the range with each row's version id, ascending, no guard: the caller knows
 * that no version of the dataset committed since it looked (duckdb-version-index.ts `unchangedSince`).
 */
export async function readCurrentRows(
  conn: DuckDBConnection, statements: AsOfStatements, schema: FrameSchema, datasetId: number, intervalMs: number, range: TimeRange,
): Promise<{ frame: Frame; versionIds: Float64Array }> {
  const { columns, length } = await streamAsOf(conn, statements.currentRows, [datasetId, range.start, range.end], schema.columns.length + 2, range, intervalMs);
  orderByTs(columns, length, range, intervalMs);
  const out = trimmed(columns, length);
  return { frame: createFrame(schema, out[0], out.slice(1, out.length - 1)), versionIds: out[out.length - 1] };
}

/** Every version of the dataset (id, commit time, span, whether it replaced the whole span) ascending by id, for the version index. */
export async function loadVersionColumns(conn: DuckDBConnection, datasetId: number): Promise<VersionColumns> {
  const counted = await readPrepared(conn, 'SELECT count(*)::DOUBLE FROM bar_versions WHERE dataset_id = $1', [datasetId]);
  const capacity = Number(counted[0][0]);
  // Sized for the versions counted, and for the writes to come.
  const out = new VersionColumns(capacity + 16);
  const select = await preparedStatement(conn, `SELECT id::DOUBLE, at_ms::DOUBLE, start_ms::DOUBLE, end_ms::DOUBLE,
    CASE WHEN whole_span THEN 1 ELSE 0 END::DOUBLE FROM bar_versions WHERE dataset_id = $1 ORDER BY id`);
  select.bind([datasetId]);
  const result = await select.stream();
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    const [ids, at, start, end, whole] = chunkColumns(chunk, 5);
    for (let i = 0; i < chunk.rowCount; i++) out.push(ids[i], at[i], start[i], end[i], whole[i] === 1);
  }
  return out;
}

async function streamAsOf(
  conn: DuckDBConnection, sql: string, params: readonly number[], width: number, range: TimeRange, intervalMs: number,
): Promise<{ columns: Float64Array[]; length: number }> {
  // Rows are unique per ts at any version (one live row per ts), so the grid bound holds them all.
  const capacity = Math.ceil((range.end - range.start) / intervalMs);
  const columns: Float64Array[] = [];
  for (let c = 0; c < width; c++) columns.push(new Float64Array(capacity));
  let length = 0;
  const select = await preparedStatement(conn, sql);
  select.bind([...params]);
  const result = await select.stream();
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    copyChunkInto(chunk, columns, length);
    length += chunk.rowCount;
  }
  return { columns, length };
}

function trimmed(columns: Float64Array[], length: number): Float64Array[] {
  return length === columns[0].length ? columns : columns.map((c) => c.slice(0, length));
}

const VERSION_COLUMNS = `v.id::DOUBLE, d.node_id, d.interval_ms::DOUBLE, v.at_ms::DOUBLE, v.kind, v.source, v.fence_key, v.fence_token::DOUBLE,
  v.content_hash, v.start_ms::DOUBLE, v.end_ms::DOUBLE, v.rows::DOUBLE`;

export async function listVersions(conn: DuckDBConnection, datasetId: number, limit: number): Promise<BarVersion[]> {
  const rows = await readPrepared(conn, `SELECT ${VERSION_COLUMNS} FROM bar_versions v JOIN datasets d ON d.id = v.dataset_id
    WHERE v.dataset_id = $1 ORDER BY v.id DESC LIMIT $2`, [datasetId, limit]);
  return rows.map((r) => ({
    id: Number(r[0]), nodeId: String(r[1]), intervalMs: Number(r[2]), at: Number(r[3]), kind: r[4] === 'purge' ? 'purge' : 'write',
    source: String(r[5]), fenceKey: r[6] === null ? null : String(r[6]), fenceToken: r[7] === null ? null : Number(r[7]),
    contentHash: String(r[8]), start: Number(r[9]), end: Number(r[10]), rows: Number(r[11]),
  }));
}

/** Drops history superseded before `horizon` and raises the recorded horizon; returns the rows dropped. */
export async function pruneHistory(conn: DuckDBConnection, horizon: number): Promise<number> {
  let dropped = 0;
  for (const t of ALL_BAR_TABLES) {
    const result = await conn.run(`DELETE FROM ${t.table}_history WHERE superseded_at_ms < $1::BIGINT`, [horizon]);
    dropped += result.rowsChanged;
  }
  const current = await recordedHorizon(conn);
  if (current === undefined) await conn.run('INSERT INTO version_horizon VALUES ($1::BIGINT)', [horizon]);
  else if (horizon > current) await conn.run('UPDATE version_horizon SET horizon_ms = $1::BIGINT', [horizon]);
  return dropped;
}

export async function recordedHorizon(conn: DuckDBConnection): Promise<number | undefined> {
  const rows = await readPrepared(conn, 'SELECT max(horizon_ms)::DOUBLE FROM version_horizon', []);
  return rows.length === 0 || rows[0][0] === null ? undefined : Number(rows[0][0]);
}
