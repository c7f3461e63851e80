/**
 * Bar writes inside the caller's transaction: delete what the claims replace, then append the
 * frame through the appender in 2,048-row data chunks. The appender joins the connection's open
 * transaction (a ROLLBACK after appending removes the rows: proven in the DuckDB tests), and it
 * casts the all-DOUBLE chunk to the table's INTEGER/BIGINT key columns, so no per-row BigInt is
 * built. 1M OHLCV bars: ~1.4 s (bench/storage/duckdb-read.bench.ts).
 */
import { DOUBLE } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import type { Frame, TimeRange } from '../../core/index.js';
import type { BarTable, CoverageRange } from '../../storage/index.js';
import { CHUNK_ROWS, appendInChunks } from './chunked-append.js';
import { fillChunkFrom } from './chunk-vectors.js';
import { runPrepared } from './prepared-statements.js';

/**
 * The claims of a write that may hold rows: those overlapping a `stored` coverage entry. Rows exist
 * only under stored coverage: appendBars runs only in the bar store's write, whose rows lie in its
 * stored claims (validateWriteBatch) and which records stored coverage over each of them
 * (writtenCoverage) in the same transaction; coverage under rows changes only by a write that
 * first deletes the rows of its claims (rewriteCoverage clears exactly the claims), or by
 * markFailed, which never touches stored entries (failCoverage). Nothing else inserts into the bar
 * tables or deletes coverage (migrations included), and DuckDB replays or drops a transaction
 * whole after a crash. So a cold shard's range DELETE (a claim under no stored entry) is skipped.
 * `coverage` is the dataset's coverage as committed: the store's exact mirror, or loaded in the write's transaction.
 */
export function claimsWithRows(claims: readonly TimeRange[], coverage: readonly CoverageRange[]): TimeRange[] {
  const out: TimeRange[] = [];
  for (const c of claims) {
    if (coverage.some((e) => e.state === 'stored' && e.start < c.end && c.start < e.end)) out.push(c);
  }
  return out;
}

export async function deleteBars(conn: DuckDBConnection, t: BarTable, datasetId: number, ranges: readonly TimeRange[]): Promise<void> {
  // One text per bar table: prepared once on the writer (prepared-statements.ts), as every write runs it.
  const sql = `DELETE FROM ${t.table} WHERE dataset_id = $1 AND ts >= $2::BIGINT AND ts < $3::BIGINT`;
  for (const r of ranges) await runPrepared(conn, sql, [datasetId, r.start, r.end]);
}

/** Appends the frame's rows, each tagged with the version `versionId` that writes them (duckdb-bar-versions.ts). */
export async function appendBars(conn: DuckDBConnection, t: BarTable, datasetId: number, frame: Frame, versionId: number): Promise<number> {
  const rows = frame.length;
  if (rows === 0) return 0;
  const ids = new Float64Array(Math.min(rows, CHUNK_ROWS)).fill(datasetId);
  const versions = new Float64Array(ids.length).fill(versionId);
  const types = new Array<DuckDBType>(t.columns.length + 3).fill(DOUBLE);
  await appendInChunks(conn, t.table, types, rows, (chunk, from) => {
    const n = chunk.rowCount;
    // Column order of the table: dataset_id, ts, value columns, version_id (migration 13).
    fillChunkFrom(chunk, [ids.subarray(0, n), frame.ts.subarray(from, from + n), ...frame.values.map((v) => v.subarray(from, from + n)), versions.subarray(0, n)], 0);
  });
  return rows;
}
