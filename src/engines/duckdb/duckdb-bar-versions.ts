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
import { ALL_BAR_TABLES, encodeVersionCoverage } from '../../storage/index.js';
import { copyChunkInto } from './chunk-vectors.js';
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
  await runPrepared(conn, `INSERT INTO bar_versions (id, dataset_id, at_ms, kind, source, fence_key, fence_token, content_hash, start_ms, end_ms, rows, coverage)
    VALUES ($1::BIGINT, $2, $3::BIGINT, $4, $5, $6, $7::BIGINT, $8, $9::BIGINT, $10::BIGINT, $11::BIGINT, $12::JSON)`, [
    v.id, v.datasetId, v.at, v.kind, v.source, v.fence?.key ?? null, v.fence?.token ?? null, v.contentHash, v.range.start, v.range.end, v.rows,
    encodeVersionCoverage(v.coverage),
  ]);
}

const IN_FORCE = `SELECT id::DOUBLE, at_ms::DOUBLE, coverage::VARCHAR,
    (SELECT at_ms FROM bar_versions WHERE dataset_id = $1 ORDER BY id DESC LIMIT 1)::DOUBLE`;

/** The version in force at a time, with what the as-of reads decide their statement on. */
export interface VersionInForce {
  readonly id: number;
  readonly at: number;
  /** The dataset's coverage after it (JSON text). */
  readonly coverage: string;
  /** The commit time of the dataset's newest version of all (the hint for the newest-version shortcut). */
  readonly newestAt: number;
  /** A later version touched the range asked for (always true when none was given). */
  readonly changedSince: boolean;
}

/**
 * The newest version of the dataset committed at or before `asOf`, and with `range` whether a
 * later version's span overlaps it (else the current rows of the range are the rows as of it).
 */
export async function versionInForce(conn: DuckDBConnection, datasetId: number, asOf: number, range?: TimeRange): Promise<VersionInForce | undefined> {
  const rows = range === undefined
    ? await readPrepared(conn, `${IN_FORCE}, true FROM bar_versions WHERE dataset_id = $1 AND at_ms <= $2::BIGINT ORDER BY id DESC LIMIT 1`, [datasetId, asOf])
    : await readPrepared(conn, `${IN_FORCE}, EXISTS (SELECT 1 FROM bar_versions l WHERE l.dataset_id = $1 AND l.id > v.id AND l.start_ms < $4::BIGINT AND l.end_ms > $3::BIGINT)
      FROM bar_versions v WHERE dataset_id = $1 AND at_ms <= $2::BIGINT ORDER BY id DESC LIMIT 1`, [datasetId, asOf, range.start, range.end]);
  if (rows.length === 0) return undefined;
  return { id: Number(rows[0][0]), at: Number(rows[0][1]), coverage: String(rows[0][2]), newestAt: Number(rows[0][3]), changedSince: rows[0][4] !== false };
}

export interface AsOfStatements {
  /** Current and history rows as of a version ($4): ts, the values, each row's version id. */
  readonly history: string;
  /**
   * The unchanged-range shortcut ($4 = asOf): the current rows of the range, only when no version
   * committed after the one in force at asOf touched the range (then they are exactly the rows as
   * of it; at or after the dataset's newest version that always holds), with each row's version
   * id, then the version in force's id and time on every row. No row: the shortcut does not apply
   * (or the range holds no row) and the caller reads through `history`.
   */
  readonly current: string;
}

/** The SELECTs of an as-of read, built once per bar table. */
export function asOfSelect(t: BarTable): AsOfStatements {
  const values = t.columns.map((c) => `coalesce(${c}, 'NaN'::DOUBLE)`).join(', ');
  const range = 'dataset_id = $1 AND ts >= $2::BIGINT AND ts < $3::BIGINT';
  return Object.freeze({
    // One statement, one snapshot: the guard and the rows cannot disagree about later versions.
    // A version's span holds every row it wrote or moved to the history (its claims, or the purged range).
    current: `SELECT ts::DOUBLE, ${values}, coalesce(version_id, 0)::DOUBLE, f.id::DOUBLE, f.at_ms::DOUBLE
      FROM ${t.table}, (SELECT id, at_ms FROM bar_versions WHERE dataset_id = $1 AND at_ms <= $4::BIGINT ORDER BY id DESC LIMIT 1) AS f
      WHERE ${range} AND NOT EXISTS (SELECT 1 FROM bar_versions l WHERE l.dataset_id = $1 AND l.id > f.id AND l.start_ms < $3::BIGINT AND l.end_ms > $2::BIGINT)
      ORDER BY ts`,
    history: `SELECT ts::DOUBLE, ${values}, v::DOUBLE FROM (
      SELECT ts, ${t.columns.join(', ')}, coalesce(version_id, 0) AS v FROM ${t.table} WHERE ${range} AND coalesce(version_id, 0) <= $4::BIGINT
      UNION ALL
      SELECT ts, ${t.columns.join(', ')}, version_id AS v FROM ${t.table}_history WHERE ${range} AND version_id <= $4::BIGINT AND superseded_by > $4::BIGINT
    ) ORDER BY ts`,
  });
}

/**
 * Rows as of version `versionId` (current rows written up to it, history rows written up to it
 * and superseded after it), ascending, with each row's version id apart. Exact without a
 * transaction: a version committed meanwhile has a higher id, so its rows are left out and the
 * rows it replaced are found in the history.
 */
export async function readAsOfBars(
  conn: DuckDBConnection, statements: AsOfStatements, schema: FrameSchema, datasetId: number, intervalMs: number, range: TimeRange, versionId: number,
): Promise<{ frame: Frame; versionIds: Float64Array }> {
  const { columns, length } = await streamAsOf(conn, statements.history, [datasetId, range.start, range.end, versionId], schema.columns.length + 2, range, intervalMs);
  const out = trimmed(columns, length);
  return { frame: createFrame(schema, out[0], out.slice(1, out.length - 1)), versionIds: out[out.length - 1] };
}

/**
 * The unchanged-range shortcut: the current rows of the range when no version after the one in
 * force at `asOf` touched it, with that version (undefined: one did, none was in force, or no row
 * is in the range). Cost avoided: the history scan (every superseded row of the table) and the
 * version lookup; the statement is the plain read's scan plus a look at the dataset's versions
 * (bench/storage/as-of-read.bench.ts).
 */
export async function readCurrentAsOf(
  conn: DuckDBConnection, statements: AsOfStatements, schema: FrameSchema, datasetId: number, intervalMs: number, range: TimeRange, asOf: number,
): Promise<{ frame: Frame; versionIds: Float64Array; version: { id: number; at: number } } | undefined> {
  const width = schema.columns.length + 4;
  const { columns, length } = await streamAsOf(conn, statements.current, [datasetId, range.start, range.end, asOf], width, range, intervalMs);
  if (length === 0) return undefined;
  const out = trimmed(columns, length);
  const version = { id: out[width - 2][0], at: out[width - 1][0] };
  return { frame: createFrame(schema, out[0], out.slice(1, width - 3)), versionIds: out[width - 3], version };
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
