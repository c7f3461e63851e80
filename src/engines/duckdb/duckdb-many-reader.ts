/**
 * Universe reads on DuckDB (`BarStore.readMany`): the rows of many datasets over one range in one
 * query, copied column-wise into preallocated Float64Arrays as single reads are
 * (duckdb-bar-reader.ts). The rows come dataset after dataset in id order (`WHERE dataset_id IN
 * (…) ORDER BY dataset_id, ts`) and each dataset's span is found in one pass over the id column:
 * no per-row JS value. (Joining the ids with their request positions to order by position cost
 * 1.5–2× the query: bench/provider/universe.bench.ts.)
 *
 * Cost avoided: 500 single reads of 1,440 bars pay 500 statement round trips on the reader
 * connection (~2.5 ms CPU each, bench/provider/fixed-cost.bench.ts); one query of the same rows
 * costs about the raw scan (bench/provider/universe.bench.ts).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { InternalError, createFrame } from '../../core/index.js';
import type { FrameSchema, TimeRange } from '../../core/index.js';
import type { BarTable, ManyDatasetsFrame } from '../../storage/index.js';
import { copyChunkInto } from './chunk-vectors.js';

/** Rows allocated from the grid bound without counting first: 4 M rows, 224 MB of OHLCV columns. */
const PREALLOCATE_BOUND_ROWS = 4_000_000;

/** An integer for the SQL text (dataset ids and positions come from our own registry and loop). */
function literal(n: number): string {
  if (!Number.isSafeInteger(n)) throw new InternalError(`refusing to inline ${String(n)} into SQL text`);
  return String(n);
}

/**
 * Rows of the datasets `ids[i]` (undefined: no rows stored) over `range`, dataset after dataset
 * in id order; `starts[i]`/`ends[i]` give each one's span. `gridBound`: the most rows the
 * datasets can hold in `range` (the sum of their bar counts).
 */
export async function readManyBars(
  conn: DuckDBConnection, table: BarTable, schema: FrameSchema, ids: readonly (number | undefined)[], range: TimeRange, gridBound: number,
): Promise<ManyDatasetsFrame> {
  const n = ids.length;
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  const positionOf = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const id = ids[i];
    if (id !== undefined) positionOf.set(literalId(id), i);
  }
  const width = schema.columns.length + 1;
  if (positionOf.size === 0 || range.end <= range.start) return { frame: createFrame(schema, new Float64Array(0), emptyColumns(width - 1)), starts, ends };
  const values = table.columns.map((c) => `coalesce(${c}, 'NaN'::DOUBLE)`).join(', ');
  const from = `FROM ${table.table} WHERE dataset_id IN (${[...positionOf.keys()].join(', ')})
    AND ts >= ${literal(range.start)}::BIGINT AND ts < ${literal(range.end)}::BIGINT`;
  // Up to PREALLOCATE_BOUND_ROWS the grid bound (rows are unique and aligned) is allocated at
  // once; above it a COUNT(*) sizes the arrays (a second statement: ~1/4 of the read's CPU).
  let capacity = gridBound <= PREALLOCATE_BOUND_ROWS ? gridBound : Number((await conn.runAndReadAll(`SELECT count(*)::DOUBLE ${from}`)).getRowsJS()[0][0]);
  // The dataset id column, then ts and the values: every column DOUBLE, copied chunk by chunk.
  let columns: Float64Array[] = [];
  for (let c = 0; c <= width; c++) columns.push(new Float64Array(capacity));
  const result = await conn.stream(`SELECT dataset_id::DOUBLE, ts::DOUBLE, ${values} ${from} ORDER BY dataset_id, ts`);
  let length = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    // Only when rows were committed between the COUNT and the SELECT (each statement is its own snapshot).
    if (length + chunk.rowCount > capacity) {
      capacity = Math.max(capacity * 2, length + chunk.rowCount);
      columns = columns.map((c) => {
        const grown = new Float64Array(capacity);
        grown.set(c.subarray(0, length));
        return grown;
      });
    }
    copyChunkInto(chunk, columns, length);
    length += chunk.rowCount;
  }
  // Each dataset's rows are one run of its id (ORDER BY dataset_id): one pass finds the runs.
  const id = columns[0];
  for (let r = 0; r < length;) {
    const current = id[r];
    let end = r + 1;
    while (end < length && id[end] === current) end++;
    const i = positionOf.get(current);
    if (i === undefined) throw new InternalError(`a universe read found rows of dataset id ${current}, which it did not ask for`);
    starts[i] = r;
    ends[i] = end;
    r = end;
  }
  const body = length === capacity ? columns.slice(1) : columns.slice(1).map((c) => c.slice(0, length));
  return { frame: createFrame(schema, body[0], body.slice(1)), starts, ends };
}

function literalId(id: number): number {
  literal(id);
  return id;
}

function emptyColumns(count: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let c = 0; c < count; c++) out.push(new Float64Array(0));
  return out;
}
