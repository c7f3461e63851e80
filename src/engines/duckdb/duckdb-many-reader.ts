/**
 * Universe reads on DuckDB (`BarStore.readMany`): the rows of many datasets over one range in one
 * query, copied column-wise into preallocated Float64Arrays as single reads are
 * (duckdb-bar-reader.ts). The datasets' ids are joined with their position in the request, so
 * the rows come dataset after dataset in the order asked (`ORDER BY pos, ts`) and the per-dataset
 * spans are counted from the position column: no per-row JS value, no second pass over rows.
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

/** An integer for the SQL text (dataset ids and positions come from our own registry and loop). */
function literal(n: number): string {
  if (!Number.isSafeInteger(n)) throw new InternalError(`refusing to inline ${String(n)} into SQL text`);
  return String(n);
}

/**
 * Rows of the datasets `ids[i]` (undefined: no rows stored) over `range`, in the order of `ids`.
 * `ids` are the datasets' table ids; positions without an id get an empty span.
 */
export async function readManyBars(
  conn: DuckDBConnection, table: BarTable, schema: FrameSchema, ids: readonly (number | undefined)[], range: TimeRange,
): Promise<ManyDatasetsFrame> {
  const n = ids.length;
  const offsets = new Int32Array(n + 1);
  const pairs: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = ids[i];
    if (id !== undefined) pairs.push(`(${literal(id)}, ${i})`);
  }
  const width = schema.columns.length + 1;
  if (pairs.length === 0 || range.end <= range.start) return { frame: createFrame(schema, new Float64Array(0), emptyColumns(width - 1)), offsets };
  const values = table.columns.map((c) => `coalesce(b.${c}, 'NaN'::DOUBLE)`).join(', ');
  const from = `FROM ${table.table} b JOIN (VALUES ${pairs.join(', ')}) AS q(id, pos) ON b.dataset_id = q.id
    WHERE b.ts >= ${literal(range.start)}::BIGINT AND b.ts < ${literal(range.end)}::BIGINT`;
  const counted = await conn.runAndReadAll(`SELECT count(*)::DOUBLE ${from}`);
  let capacity = Number(counted.getRowsJS()[0][0]);
  // The position column, then ts and the values: every column DOUBLE, copied chunk by chunk.
  let columns: Float64Array[] = [];
  for (let c = 0; c <= width; c++) columns.push(new Float64Array(capacity));
  const result = await conn.stream(`SELECT q.pos::DOUBLE, b.ts::DOUBLE, ${values} ${from} ORDER BY q.pos, b.ts`);
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
  const pos = columns[0];
  for (let r = 0; r < length; r++) offsets[pos[r] + 1]++;
  for (let i = 0; i < n; i++) offsets[i + 1] += offsets[i];
  const body = length === capacity ? columns.slice(1) : columns.slice(1).map((c) => c.slice(0, length));
  return { frame: createFrame(schema, body[0], body.slice(1)), offsets };
}

function emptyColumns(count: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let c = 0; c < count; c++) out.push(new Float64Array(0));
  return out;
}
