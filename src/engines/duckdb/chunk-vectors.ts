/**
 * THE audited access to DuckDB vector memory. `@duckdb/node-api` keeps a DOUBLE vector's
 * `items` (a Float64Array over the chunk's data) private in its types; reading and filling it
 * with TypedArray.set moves a 2,048-row column in one memcpy instead of 2,048 `getItem` /
 * `setItem` calls (1M OHLCV bars: ~0.15 s against ~0.5 s through `getColumnsJS()`, see
 * bench/storage/duckdb-read.bench.ts). Nothing else in Seamless may touch `items`.
 *
 * Audit notes (checked against @duckdb/node-api 1.5.6-r.1, lib/vectors/DuckDBDoubleVector.js):
 * - `items` is `new Float64Array(data.buffer, data.byteOffset, itemCount)` built once in
 *   `fromRawVector`; NULL slots hold arbitrary bytes, so reads COALESCE NULL to NaN in SQL.
 * - writes must be followed by `vector.flush()`, which copies `items` into the native vector.
 * - the runtime checks below turn a layout change in a future release into an InternalError
 *   rather than silent garbage.
 */
import { DuckDBDoubleVector } from '@duckdb/node-api';
import type { DuckDBDataChunk } from '@duckdb/node-api';
import { InternalError } from '../../core/index.js';

function doubleItems(chunk: DuckDBDataChunk, column: number): { vector: DuckDBDoubleVector; items: Float64Array } {
  const vector = chunk.getColumnVector(column);
  if (!(vector instanceof DuckDBDoubleVector)) {
    throw new InternalError(`duckdb chunk column ${column} is ${vector.type.toString()}, expected DOUBLE`);
  }
  const items: unknown = Reflect.get(vector, 'items');
  if (!(items instanceof Float64Array) || items.length !== chunk.rowCount) {
    throw new InternalError('@duckdb/node-api DOUBLE vector layout changed: `items` is not a Float64Array of the chunk size');
  }
  return { vector, items };
}

/** Copies every (DOUBLE) column of `chunk` into `columns[c]` starting at row `at`. */
export function copyChunkInto(chunk: DuckDBDataChunk, columns: readonly Float64Array[], at: number): void {
  for (let c = 0; c < columns.length; c++) columns[c].set(doubleItems(chunk, c).items, at);
}

/** Views of the first `count` (DOUBLE) columns of `chunk`, valid until the next chunk is fetched. */
export function chunkColumns(chunk: DuckDBDataChunk, count: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let c = 0; c < count; c++) out.push(doubleItems(chunk, c).items);
  return out;
}

/** Fills every (DOUBLE) column of `chunk` from `columns[c]` rows [from, from + chunk.rowCount). */
export function fillChunkFrom(chunk: DuckDBDataChunk, columns: readonly Float64Array[], from: number): void {
  const n = chunk.rowCount;
  for (let c = 0; c < columns.length; c++) {
    const { vector, items } = doubleItems(chunk, c);
    items.set(columns[c].subarray(from, from + n));
    vector.flush();
  }
}
