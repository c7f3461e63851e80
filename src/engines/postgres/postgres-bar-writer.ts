/**
 * Bar writes on PostgreSQL, inside the caller's transaction: delete what the claims replace,
 * then COPY the frame in binary into a session-local staging table and upsert it into the bar
 * table with one INSERT … SELECT … ON CONFLICT DO UPDATE. Binary COPY moves the rows without
 * formatting a single number as text (binary-copy-encoder.ts); the staging table lets the rows
 * land with upsert semantics, which COPY alone does not have.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Frame, TimeRange } from '../../core/index.js';
import type { BarTable } from '../../storage/index.js';
import type { CopyColumnType } from './binary-copy-decoder.js';
import { encodeBinaryCopy } from './binary-copy-encoder.js';
import { rangeArrays } from './range-arrays.js';

export interface BarWriteStatements {
  readonly types: readonly CopyColumnType[];
  readonly createStaging: string;
  readonly copyIn: string;
  readonly upsert: string;
  /** Empties the staging table inside the transaction (a writeMany's next batch must not upsert the previous one's rows again). */
  readonly clearStaging: string;
  readonly deleteRanges: string;
}

/** SQL of one bar table, built once per schema (identifiers come from bar-tables.ts only). */
export function barWriteStatements(t: BarTable): BarWriteStatements {
  const staging = `seamless_staging_${t.schema}`;
  const cols = t.columns.map((c) => `"${c}"`);
  const types: CopyColumnType[] = ['int8'];
  for (let c = 0; c < t.columns.length; c++) types.push('float8');
  return Object.freeze({
    types,
    // One per connection, emptied at every commit (ON COMMIT DELETE ROWS) and rolled back with a
    // failed write: no CREATE/DROP per write churning the catalog.
    createStaging: `CREATE TEMP TABLE IF NOT EXISTS ${staging} (ts BIGINT NOT NULL, ${cols.map((c) => `${c} DOUBLE PRECISION`).join(', ')}) ON COMMIT DELETE ROWS`,
    copyIn: `COPY ${staging} (ts, ${cols.join(', ')}) FROM STDIN (FORMAT binary)`,
    // Each row tagged with the version that writes it ($2, postgres-bar-versions.ts).
    upsert: `INSERT INTO ${t.table} (dataset_id, ts, ${cols.join(', ')}, version_id) SELECT $1, ts, ${cols.join(', ')}, $2 FROM ${staging}
      ON CONFLICT (dataset_id, ts) DO UPDATE SET ${cols.map((c) => `${c} = excluded.${c}`).join(', ')}, version_id = excluded.version_id`,
    clearStaging: `DELETE FROM ${staging}`,
    // $4, $5: the ranges' span, so the planner prunes the month partitions outside it (migration 10).
    deleteRanges: `DELETE FROM ${t.table} b USING unnest($2::bigint[], $3::bigint[]) AS r(s, e)
      WHERE b.dataset_id = $1 AND b.ts >= r.s AND b.ts < r.e AND b.ts >= $4 AND b.ts < $5`,
  });
}

export async function deleteBars(client: PoolClient, sql: BarWriteStatements, datasetId: number, ranges: readonly TimeRange[]): Promise<void> {
  if (ranges.length === 0) return;
  const { starts, ends, lo, hi } = rangeArrays(ranges);
  await client.query(sql.deleteRanges, [datasetId, starts, ends, lo, hi]);
}

/**
 * Upserts every row of `frame`; returns the rows written. `more`: another upsert follows in the same
 * transaction (a writeMany), so the staging rows are deleted now rather than at COMMIT.
 */
export async function upsertBars(client: PoolClient, sql: BarWriteStatements, datasetId: number, frame: Frame, versionId: number, more = false): Promise<number> {
  const rows = frame.length;
  if (rows === 0) return 0;
  await client.query(sql.createStaging);
  const columns = [frame.ts, ...frame.values];
  await pipeline(Readable.from(encodeBinaryCopy(columns, sql.types, rows)), client.query(copyFrom(sql.copyIn)));
  await client.query(sql.upsert, [datasetId, versionId]);
  if (more) await client.query(sql.clearStaging);
  return rows;
}
