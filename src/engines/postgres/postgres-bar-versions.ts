/**
 * Versioned bars on PostgreSQL (src/storage/bar-versions.ts for the model). Inside the caller's
 * transaction (the dataset row locked, so one dataset's versions commit one after the other): the
 * next version id, the rows a write or purge replaces moved to the bar table's history, and the
 * version row with the coverage it left. Reads: the version in force at a time, the rows as of it
 * (one binary COPY of current and history rows, the version id as one more int8 column), the
 * version list and the pruning horizon (recorded in the database: every process sees it).
 */
import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { InternalError, createFrame } from '../../core/index.js';
import type { Frame, FrameSchema, TimeRange } from '../../core/index.js';
import type { BarTable, BarVersion, CoverageRange, Fence, VersionKind } from '../../storage/index.js';
import { ALL_BAR_TABLES, encodeVersionCoverage } from '../../storage/index.js';
import { createBinaryCopyDecoder } from './binary-copy-decoder.js';
import type { CopyColumnType } from './binary-copy-decoder.js';
import { rangeArrays } from './range-arrays.js';

/** Migration 7: the version column of the current tables, their history tables, the versions and the horizon. */
export const VERSION_MIGRATION_STATEMENTS: readonly string[] = Object.freeze([
  ...ALL_BAR_TABLES.map((t) => `ALTER TABLE ${t.table} ADD COLUMN version_id BIGINT`),
  ...ALL_BAR_TABLES.map((t) => `CREATE TABLE ${t.table}_history (dataset_id INTEGER NOT NULL, ts BIGINT NOT NULL,
     ${t.columns.map((c) => `"${c}" DOUBLE PRECISION`).join(', ')}, version_id BIGINT NOT NULL, superseded_by BIGINT NOT NULL, superseded_at_ms BIGINT NOT NULL)`),
  ...ALL_BAR_TABLES.map((t) => `CREATE INDEX ${t.table}_history_by_ts ON ${t.table}_history (dataset_id, ts)`),
  ...ALL_BAR_TABLES.map((t) => `CREATE INDEX ${t.table}_history_by_superseded ON ${t.table}_history (superseded_at_ms)`),
  'CREATE SEQUENCE bar_versions_seq START 1',
  `CREATE TABLE bar_versions (id BIGINT PRIMARY KEY, dataset_id INTEGER NOT NULL REFERENCES datasets (id), at_ms BIGINT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('write', 'purge')), source TEXT NOT NULL, fence_key TEXT, fence_token BIGINT,
     content_hash TEXT NOT NULL, start_ms BIGINT NOT NULL, end_ms BIGINT NOT NULL, rows BIGINT NOT NULL, coverage JSONB NOT NULL)`,
  'CREATE INDEX bar_versions_by_dataset ON bar_versions (dataset_id, at_ms)',
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

export async function nextVersionId(client: PoolClient): Promise<number> {
  const result = await client.query<{ id: number }>("SELECT nextval('bar_versions_seq')::float8 AS id");
  return result.rows[0].id;
}

/** Moves the dataset's current rows inside `ranges` to the history, superseded by `versionId` (the caller deletes them next). */
export async function moveToHistory(
  client: PoolClient, t: BarTable, datasetId: number, ranges: readonly TimeRange[], versionId: number, at: number,
): Promise<void> {
  if (ranges.length === 0) return;
  const cols = t.columns.map((c) => `"${c}"`).join(', ');
  const { starts, ends, lo, hi } = rangeArrays(ranges);
  await client.query(`INSERT INTO ${t.table}_history (dataset_id, ts, ${cols}, version_id, superseded_by, superseded_at_ms)
    SELECT b.dataset_id, b.ts, ${t.columns.map((c) => `b."${c}"`).join(', ')}, coalesce(b.version_id, 0), $4, $5
    FROM ${t.table} b JOIN unnest($2::bigint[], $3::bigint[]) AS r(s, e) ON b.ts >= r.s AND b.ts < r.e
    WHERE b.dataset_id = $1 AND b.ts >= $6 AND b.ts < $7`, [datasetId, starts, ends, versionId, at, lo, hi]);
}

export async function insertVersion(client: PoolClient, v: NewVersion): Promise<void> {
  await client.query(`INSERT INTO bar_versions (id, dataset_id, at_ms, kind, source, fence_key, fence_token, content_hash, start_ms, end_ms, rows, coverage)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb)`, [
    v.id, v.datasetId, v.at, v.kind, v.source, v.fence?.key ?? null, v.fence?.token ?? null, v.contentHash, v.range.start, v.range.end, v.rows,
    encodeVersionCoverage(v.coverage),
  ]);
}

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
export async function versionInForce(client: PoolClient, datasetId: number, asOf: number, range?: TimeRange): Promise<VersionInForce | undefined> {
  const result = await client.query<VersionInForce>({
    name: 'seamless_version_in_force_since',
    text: `SELECT v.id::float8 AS id, v.at_ms::float8 AS at, v.coverage::text AS coverage,
        (SELECT at_ms FROM bar_versions WHERE dataset_id = $1 ORDER BY id DESC LIMIT 1)::float8 AS "newestAt",
        ($3::bigint IS NULL OR EXISTS (SELECT 1 FROM bar_versions l WHERE l.dataset_id = $1 AND l.id > v.id AND l.start_ms < $4 AND l.end_ms > $3)) AS "changedSince"
      FROM bar_versions v WHERE v.dataset_id = $1 AND v.at_ms <= $2 ORDER BY v.id DESC LIMIT 1`,
    values: [datasetId, asOf, range?.start ?? null, range?.end ?? null],
  });
  return result.rows[0];
}

/** An integer for the COPY text (COPY takes no bind parameters): only validated integers go in. */
function literal(n: number): string {
  if (!Number.isSafeInteger(n)) throw new InternalError(`refusing to inline ${String(n)} into COPY text`);
  return String(n);
}

/** Rows as of version `versionId`, ascending, with each row's version id apart. */
export async function readAsOfBars(
  client: PoolClient, t: BarTable, schema: FrameSchema, datasetId: number, intervalMs: number, range: TimeRange, versionId: number, broken: () => void,
): Promise<{ frame: Frame; versionIds: Float64Array }> {
  const cols = t.columns.map((c) => `"${c}"`).join(', ');
  const types: CopyColumnType[] = ['int8'];
  for (let c = 0; c < t.columns.length; c++) types.push('float8');
  types.push('int8');
  const where = `dataset_id = ${literal(datasetId)} AND ts >= ${literal(range.start)} AND ts < ${literal(range.end)}`;
  const v = literal(versionId);
  const sql = `COPY (SELECT ts, ${cols}, v FROM (
      SELECT ts, ${cols}, coalesce(version_id, 0) AS v FROM ${t.table} WHERE ${where} AND coalesce(version_id, 0) <= ${v}
      UNION ALL
      SELECT ts, ${cols}, version_id AS v FROM ${t.table}_history WHERE ${where} AND version_id <= ${v} AND superseded_by > ${v}
    ) AS rows_as_of ORDER BY ts) TO STDOUT (FORMAT binary)`;
  // One live row per ts at any version: the grid bound holds them all.
  const gridBound = Math.ceil((range.end - range.start) / intervalMs);
  const decoder = createBinaryCopyDecoder(types, { initialRows: Math.min(gridBound, 65_536), maxRows: gridBound });
  const stream = client.query(copyTo(sql));
  try {
    for await (const chunk of stream) decoder.push(chunk as Buffer);
  } catch (err) {
    if (err instanceof InternalError) broken();
    throw err;
  }
  const { columns } = decoder.finish();
  return { frame: createFrame(schema, columns[0], columns.slice(1, columns.length - 1)), versionIds: columns[columns.length - 1] };
}

/**
 * The unchanged-range shortcut: the current rows of the range, when no version committed after
 * the one in force at `asOf` touched it (a version's span holds every row it wrote or moved to the
 * history; at or after the dataset's newest version this always holds), in one COPY whose guard
 * and rows share a snapshot; with the version in force and the recorded pruning horizon.
 * Undefined: the shortcut does not apply, or no row is in the range (the caller reads through
 * `readAsOfBars`). Cost avoided: the version lookup, the horizon query and the history scan
 * (three round trips and a UNION).
 */
export async function readCurrentAsOf(
  client: PoolClient, t: BarTable, schema: FrameSchema, datasetId: number, intervalMs: number, range: TimeRange, asOf: number, broken: () => void,
): Promise<{ frame: Frame; versionIds: Float64Array; version: { id: number; at: number }; horizon: number | undefined } | undefined> {
  const cols = t.columns.map((c) => `b."${c}"`).join(', ');
  const types: CopyColumnType[] = ['int8'];
  for (let c = 0; c < t.columns.length; c++) types.push('float8');
  types.push('int8', 'int8', 'int8', 'int8');
  const id = literal(datasetId);
  const [start, end] = [literal(range.start), literal(range.end)];
  const sql = `COPY (SELECT b.ts, ${cols}, coalesce(b.version_id, 0), f.id, f.at_ms, (SELECT max(horizon_ms) FROM version_horizon)
    FROM ${t.table} b, (SELECT id, at_ms FROM bar_versions WHERE dataset_id = ${id} AND at_ms <= ${literal(asOf)} ORDER BY id DESC LIMIT 1) AS f
    WHERE b.dataset_id = ${id} AND b.ts >= ${start} AND b.ts < ${end}
      AND NOT EXISTS (SELECT 1 FROM bar_versions l WHERE l.dataset_id = ${id} AND l.id > f.id AND l.start_ms < ${end} AND l.end_ms > ${start})
    ORDER BY b.ts) TO STDOUT (FORMAT binary)`;
  const gridBound = Math.ceil((range.end - range.start) / intervalMs);
  const decoder = createBinaryCopyDecoder(types, { initialRows: Math.min(gridBound, 65_536), maxRows: gridBound });
  const stream = client.query(copyTo(sql));
  try {
    for await (const chunk of stream) decoder.push(chunk as Buffer);
  } catch (err) {
    if (err instanceof InternalError) broken();
    throw err;
  }
  const { columns } = decoder.finish();
  const w = columns.length;
  if (columns[0].length === 0) return undefined;
  const horizon = columns[w - 1][0];
  return {
    frame: createFrame(schema, columns[0], columns.slice(1, w - 4)), versionIds: columns[w - 4],
    version: { id: columns[w - 3][0], at: columns[w - 2][0] }, horizon: Number.isNaN(horizon) ? undefined : horizon,
  };
}

interface VersionRecord {
  readonly id: number; readonly node_id: string; readonly interval_ms: number; readonly at: number; readonly kind: string; readonly source: string;
  readonly fence_key: string | null; readonly fence_token: number | null; readonly content_hash: string;
  readonly start_ms: number; readonly end_ms: number; readonly rows: number;
}

export async function listVersions(client: PoolClient, datasetId: number, limit: number): Promise<BarVersion[]> {
  const result = await client.query<VersionRecord>(`SELECT v.id::float8 AS id, d.node_id, d.interval_ms::float8 AS interval_ms, v.at_ms::float8 AS at,
      v.kind, v.source, v.fence_key, v.fence_token::float8 AS fence_token, v.content_hash, v.start_ms::float8 AS start_ms,
      v.end_ms::float8 AS end_ms, v.rows::float8 AS rows
    FROM bar_versions v JOIN datasets d ON d.id = v.dataset_id WHERE v.dataset_id = $1 ORDER BY v.id DESC LIMIT $2`, [datasetId, limit]);
  return result.rows.map((r) => ({
    id: r.id, nodeId: r.node_id, intervalMs: r.interval_ms, at: r.at, kind: r.kind === 'purge' ? 'purge' : 'write', source: r.source,
    fenceKey: r.fence_key, fenceToken: r.fence_token, contentHash: r.content_hash, start: r.start_ms, end: r.end_ms, rows: r.rows,
  }));
}

/** Drops history superseded before `horizon` and raises the recorded horizon; returns the rows dropped. */
export async function pruneHistory(client: PoolClient, horizon: number): Promise<number> {
  let dropped = 0;
  for (const t of ALL_BAR_TABLES) {
    const result = await client.query(`DELETE FROM ${t.table}_history WHERE superseded_at_ms < $1`, [horizon]);
    dropped += result.rowCount ?? 0;
  }
  await client.query('LOCK TABLE version_horizon IN EXCLUSIVE MODE');
  const current = await recordedHorizon(client);
  if (current === undefined) await client.query('INSERT INTO version_horizon VALUES ($1)', [horizon]);
  else if (horizon > current) await client.query('UPDATE version_horizon SET horizon_ms = $1', [horizon]);
  return dropped;
}

export async function recordedHorizon(client: PoolClient): Promise<number | undefined> {
  const result = await client.query<{ h: number | null }>('SELECT max(horizon_ms)::float8 AS h FROM version_horizon');
  return result.rows[0]?.h ?? undefined;
}
