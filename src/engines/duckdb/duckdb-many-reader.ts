/**
 * Universe reads on DuckDB (`BarStore.readMany`): the rows of many datasets over one range in one
 * query (`WHERE dataset_id IN (…)`, no ORDER BY), each chunk's runs of one dataset copied
 * column-wise into that dataset's region (dataset-buckets.ts): the answer comes dataset after
 * dataset in request order, each ascending by ts, with no per-row JS value.
 *
 * Cost avoided: 500 single reads of 1,440 bars pay 500 statement round trips on the reader
 * connection (~2.5 ms CPU each, bench/provider/fixed-cost.bench.ts); one query of the same rows
 * costs about the raw scan, and without its ORDER BY (which DuckDB paid as a full sort of the rows:
 * about 70 % of the storage time) less than the raw ordered scan (bench/provider/universe.bench.ts).
 * Request order also lets the universe answer reuse these columns instead of copying them again.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { InternalError } from '../../core/index.js';
import type { FrameSchema, TimeRange } from '../../core/index.js';
import type { BarTable, ManyDatasetsFrame } from '../../storage/index.js';
import { chunkColumns } from './chunk-vectors.js';
import { inTransaction } from './connection.js';
import { createBuckets, finishBuckets, placeChunk } from './dataset-buckets.js';

/** Rows allocated from the grid bounds without counting first: 4 M rows, 224 MB of OHLCV columns. */
const PREALLOCATE_BOUND_ROWS = 4_000_000;

/** An integer for the SQL text (dataset ids and times come from our own registry and request). */
function literal(n: number): string {
  if (!Number.isSafeInteger(n)) throw new InternalError(`refusing to inline ${String(n)} into SQL text`);
  return String(n);
}

/**
 * Rows of the datasets `ids[i]` (undefined: no rows stored) over `range`, dataset after dataset
 * in request order; `starts[i]`/`ends[i]` give each one's span. `bounds[i]`: the most rows
 * dataset i can hold in `range` (its bar count on the grid).
 */
export async function readManyBars(
  conn: DuckDBConnection, table: BarTable, schema: FrameSchema, ids: readonly (number | undefined)[], range: TimeRange, bounds: Float64Array,
): Promise<ManyDatasetsFrame> {
  const positionOf = new Map<number, number>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id !== undefined) positionOf.set(Number(literal(id)), i);
  }
  const sizes = new Float64Array(ids.length);
  let total = 0;
  for (const i of positionOf.values()) {
    sizes[i] = range.end > range.start ? bounds[i] : 0;
    total += sizes[i];
  }
  if (total === 0) return finishBuckets(createBuckets(schema, positionOf, sizes));
  const values = table.columns.map((c) => `coalesce(${c}, 'NaN'::DOUBLE)`).join(', ');
  const from = `FROM ${table.table} WHERE dataset_id IN (${[...positionOf.keys()].join(', ')})
    AND ts >= ${literal(range.start)}::BIGINT AND ts < ${literal(range.end)}::BIGINT`;
  const select = `SELECT dataset_id::DOUBLE, ts::DOUBLE, ${values} ${from}`;
  // Up to PREALLOCATE_BOUND_ROWS the grid bounds (rows are unique and aligned) size the regions at
  // once; above it each dataset's COUNT(*) does (a second statement, ~1/4 of the read's CPU), in
  // the SELECT's snapshot so no row committed between them overflows a region.
  if (total <= PREALLOCATE_BOUND_ROWS) return await scan(conn, select, schema, positionOf, sizes);
  return await inTransaction(conn, async () => {
    const counts = (await conn.runAndReadAll(`SELECT dataset_id::DOUBLE, count(*)::DOUBLE ${from} GROUP BY dataset_id`)).getRowsJS();
    sizes.fill(0);
    for (const [id, count] of counts) {
      const i = positionOf.get(Number(id));
      if (i !== undefined) sizes[i] = Number(count);
    }
    return await scan(conn, select, schema, positionOf, sizes);
  });
}

async function scan(conn: DuckDBConnection, select: string, schema: FrameSchema, positionOf: ReadonlyMap<number, number>, sizes: Float64Array): Promise<ManyDatasetsFrame> {
  const buckets = createBuckets(schema, positionOf, sizes);
  const width = schema.columns.length + 2;
  const result = await conn.stream(select);
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    placeChunk(buckets, chunkColumns(chunk, width), chunk.rowCount);
  }
  return finishBuckets(buckets);
}
