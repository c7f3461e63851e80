/**
 * `BarStore.readOhlcvBuckets` on DuckDB: a derived interval resampled inside the engine
 * (issue 15). Two statements in ONE read transaction (one snapshot, so a write committed between
 * them cannot make the parts disagree):
 *
 *  1. GROUP BY the bucket (`ts // width`): first open (`arg_min(open, ts)`), max high, min low,
 *     the row count and a `suspect` flag per bucket (see src/storage/ohlcv-buckets.ts): the
 *     order-independent aggregates, computed by DuckDB's parallel hash aggregate without a sort;
 *  2. the ts, close and volume of every row, in storage order (no ORDER BY: placing a row by its
 *     ts costs the caller one division, a sort here costs more than the whole aggregate).
 *
 * The volume is NOT summed here: DuckDB adds doubles in whatever order its threads meet the
 * rows, and a floating-point sum depends on the order; the read path's kernel adds them in ts
 * order, and a derived bar must be byte-identical whichever path built it. The close is left to
 * the caller for the same reason (the close of the last bar, and conformance's runs and jumps).
 * Chunks are copied column-wise into preallocated Float64Arrays (chunk-vectors.ts).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { TimeRange } from '../../core/index.js';
import type { BarTable, OhlcvBuckets } from '../../storage/index.js';
import { copyChunkInto } from './chunk-vectors.js';
import { inTransaction } from './connection.js';

const WHERE = 'WHERE dataset_id = $1 AND ts >= $2::BIGINT AND ts < $3::BIGINT';

export interface BucketStatements {
  readonly aggregate: string;
  readonly rows: string;
}

export function bucketStatements(t: BarTable): BucketStatements {
  const finite = 'coalesce(isfinite(open) AND isfinite(high) AND isfinite(low) AND isfinite(close), false)';
  const suspect = `NOT ${finite} OR high < greatest(open, close) OR low > least(open, close) OR low > high OR high = 0 OR low = 0`;
  return Object.freeze({
    aggregate: `SELECT ((ts // $4::BIGINT) * $4::BIGINT)::DOUBLE AS b, count(*)::DOUBLE, coalesce(arg_min(open, ts), 'NaN'::DOUBLE),
      coalesce(max(high), 'NaN'::DOUBLE), coalesce(min(low), 'NaN'::DOUBLE), coalesce(bool_or(${suspect}), true)::INTEGER::DOUBLE
      FROM ${t.table} ${WHERE} GROUP BY b ORDER BY b`,
    rows: `SELECT ts::DOUBLE, coalesce(close, 'NaN'::DOUBLE), coalesce(volume, 'NaN'::DOUBLE) FROM ${t.table} ${WHERE}`,
  });
}

export async function readOhlcvBuckets(conn: DuckDBConnection, sql: BucketStatements, datasetId: number, range: TimeRange, bucketMs: number): Promise<OhlcvBuckets> {
  return await inTransaction(conn, async () => {
    const groups = await readColumns(conn, sql.aggregate, [datasetId, range.start, range.end, bucketMs], 6, Math.ceil((range.end - range.start) / bucketMs) + 1);
    const [starts, counts, open, high, low, flags] = groups;
    let rows = 0;
    for (let i = 0; i < counts.length; i++) rows += counts[i];
    const [rowTs, rowClose, rowVolume] = await readColumns(conn, sql.rows, [datasetId, range.start, range.end], 3, rows);
    const suspect = new Uint8Array(flags.length);
    for (let i = 0; i < flags.length; i++) suspect[i] = flags[i] === 0 ? 0 : 1;
    return { bucketMs, starts, open, high, low, suspect, rowTs, rowClose, rowVolume };
  });
}

/** The DOUBLE columns of a statement's chunks, copied into arrays of `capacity` rows (grown if a chunk overflows), trimmed to the rows read. */
async function readColumns(conn: DuckDBConnection, sql: string, params: number[], width: number, capacity: number): Promise<Float64Array[]> {
  let cols: Float64Array[] = [];
  for (let c = 0; c < width; c++) cols.push(new Float64Array(capacity));
  let length = 0;
  const result = await conn.stream(sql, params);
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    if (length + chunk.rowCount > cols[0].length) {
      const grown = Math.max(cols[0].length * 2, length + chunk.rowCount);
      cols = cols.map((c) => {
        const g = new Float64Array(grown);
        g.set(c.subarray(0, length));
        return g;
      });
    }
    copyChunkInto(chunk, cols, length);
    length += chunk.rowCount;
  }
  return length === cols[0].length ? cols : cols.map((c) => c.slice(0, length));
}
