/**
 * Bar reads: one query per read, chunks copied column-wise into preallocated Float64Arrays
 * (no per-row JS values). NULL values come back as NaN (COALESCE in SQL, so the copy stays a
 * plain memcpy). The connection is the caller's alone (`DatabaseHandle.exclusiveQuery`): the
 * statements are prepared once per connection and the SELECT is streamed, chunk by chunk, rather
 * than materialised first (1,440-bar read, CPU per call: `conn.run` 3.8 ms, prepared 3.4 ms,
 * prepared and streamed 2.6 ms).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { createFrame } from '../../core/index.js';
import type { Frame, FrameSchema, TimeRange } from '../../core/index.js';
import type { BarTable } from '../../storage/index.js';
import { copyChunkInto } from './chunk-vectors.js';
import { preparedStatement, readPrepared } from './prepared-statements.js';

/**
 * Up to this many rows the grid bound (rows are unique and aligned, so a range holds at most
 * (end - start) / interval of them) is allocated directly; above it a COUNT(*) sizes the
 * arrays exactly. Measured on 1M bars: count-first 137 ms vs grow-by-doubling 168 ms for the
 * full read; for a 1,440-row read the extra COUNT costs ~1 ms (3.0 vs 2.0 ms).
 */
const PREALLOCATE_BOUND_ROWS = 65_536;

export interface BarReadStatements {
  readonly select: string;
  readonly count: string;
}

export function barReadStatements(t: BarTable): BarReadStatements {
  const values = t.columns.map((c) => `coalesce(${c}, 'NaN'::DOUBLE)`).join(', ');
  const where = 'WHERE dataset_id = $1 AND ts >= $2::BIGINT AND ts < $3::BIGINT';
  return Object.freeze({
    select: `SELECT ts::DOUBLE, ${values} FROM ${t.table} ${where} ORDER BY ts`,
    count: `SELECT count(*)::DOUBLE FROM ${t.table} ${where}`,
  });
}

export async function readBars(
  conn: DuckDBConnection, sql: BarReadStatements, schema: FrameSchema, datasetId: number, intervalMs: number, range: TimeRange,
): Promise<Frame> {
  const params = [datasetId, range.start, range.end];
  let capacity = Math.ceil((range.end - range.start) / intervalMs);
  if (capacity > PREALLOCATE_BOUND_ROWS) {
    const counted = await readPrepared(conn, sql.count, params);
    capacity = Number(counted[0][0]);
  }
  const width = schema.columns.length + 1;
  let columns = allocate(width, capacity);
  let length = 0;
  const select = await preparedStatement(conn, sql.select);
  select.bind(params);
  const result = await select.stream();
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    const n = chunk.rowCount;
    // Only when rows were committed between the COUNT and the SELECT.
    if (length + n > capacity) {
      capacity = Math.max(capacity * 2, length + n);
      columns = grow(columns, length, capacity);
    }
    copyChunkInto(chunk, columns, length);
    length += n;
  }
  if (length !== capacity) columns = shrink(columns, length);
  return createFrame(schema, columns[0], columns.slice(1));
}

function allocate(width: number, rows: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let c = 0; c < width; c++) out.push(new Float64Array(rows));
  return out;
}

function grow(columns: readonly Float64Array[], length: number, capacity: number): Float64Array[] {
  const out = allocate(columns.length, capacity);
  for (let c = 0; c < columns.length; c++) out[c].set(columns[c].subarray(0, length));
  return out;
}

/** A copy, not a view: the frame's byteLength then matches the memory it holds. */
function shrink(columns: readonly Float64Array[], length: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let c = 0; c < columns.length; c++) out.push(columns[c].slice(0, length));
  return out;
}
