/**
 * Raw DuckDB reads of stored bars into typed arrays through the PUBLIC @duckdb/node-api surface
 * only: what a competent engineer writes without Seamless. Three ways, measured against one
 * another in bench/storage/duckdb-read.bench.ts:
 *  - `getItemLoop`: fetch chunks, and per column a `vector.getItem(i)` loop into a preallocated
 *    Float64Array (no intermediate arrays). The fastest public approach measured here (1M bars:
 *    ~1.1–1.5× faster than getColumnsJS on this machine), so it is THE raw baseline every other
 *    bench compares with (`rawRead`).
 *  - `columnValues`: fetch chunks, `chunk.getColumnValues(c)` (a JS array per column) then `.set`.
 *  - `getColumnsJS`: the whole result as JS arrays, then `Float64Array.from`.
 * The SQL matches the engine's (src/engines/duckdb/duckdb-bar-reader.ts): same table, same
 * WHERE, ts cast to DOUBLE, NULL → NaN, ordered by ts.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBDataChunk, DuckDBResult } from '@duckdb/node-api';

export type RawColumns = Float64Array[];

const COLUMNS = ['open', 'high', 'low', 'close', 'volume'];

export const RAW_SELECT = `SELECT ts::DOUBLE, ${COLUMNS.map((c) => `coalesce("${c}", 'NaN'::DOUBLE)`).join(', ')} FROM bars_ohlcv
  WHERE dataset_id = $1 AND ts >= $2::BIGINT AND ts < $3::BIGINT ORDER BY ts`;

export interface RawDuckDb {
  readonly conn: DuckDBConnection;
  /** The dataset id of `nodeId` at `intervalMs` in the file's `datasets` table. */
  datasetId(nodeId: string, intervalMs: number): Promise<number>;
  close(): void;
}

/** Opens `path` (read-only unless told) with a plain instance and connection. */
export async function openRawDuckDb(path: string, readOnly = true): Promise<RawDuckDb> {
  const instance = await DuckDBInstance.create(path, readOnly ? { access_mode: 'READ_ONLY' } : {});
  const conn = await instance.connect();
  return {
    conn,
    async datasetId(nodeId, intervalMs) {
      const rows = (await conn.runAndReadAll('SELECT id FROM datasets WHERE node_id = $1 AND interval_ms = $2', [nodeId, intervalMs])).getRowsJS();
      if (rows.length === 0) throw new RangeError(`no dataset ${nodeId} @ ${intervalMs} ms in ${path}`);
      return Number(rows[0][0]);
    },
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

function allocate(columns: number, rows: number): RawColumns {
  return Array.from({ length: columns }, () => new Float64Array(rows));
}

function trim(cols: RawColumns, n: number): RawColumns {
  return n === cols[0].length ? cols : cols.map((c) => c.subarray(0, n));
}

/**
 * The chunks of `result`, each copied by `copy` into `columns` preallocated arrays (`capacity`: an
 * upper bound on the rows) at row `at`; the baselines below differ only in how a chunk is copied.
 */
async function copyChunks(
  result: DuckDBResult, columns: number, capacity: number,
  copy: (chunk: DuckDBDataChunk, cols: RawColumns, at: number) => void,
): Promise<RawColumns> {
  const cols = allocate(columns, capacity);
  let at = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    copy(chunk, cols, at);
    at += chunk.rowCount;
  }
  return trim(cols, at);
}

function copyItems(chunk: DuckDBDataChunk, cols: RawColumns, at: number): void {
  const n = chunk.rowCount;
  for (let c = 0; c < cols.length; c++) {
    const vector = chunk.getColumnVector(c);
    const out = cols[c];
    for (let i = 0; i < n; i++) out[at + i] = vector.getItem(i) as number;
  }
}

/**
 * Any query's numeric columns (`columns` of them, at most `capacity` rows) by the `getItem` loop
 * of `getItemLoop`: the raw baseline of a bench whose SQL is not RAW_SELECT (a GROUP BY, many datasets).
 */
export async function itemsOf(result: DuckDBResult, columns: number, capacity: number): Promise<RawColumns> {
  return await copyChunks(result, columns, capacity, copyItems);
}

/** Chunks, then `getItem` per value into preallocated arrays (`capacity`: an upper bound on the rows). */
export async function getItemLoop(conn: DuckDBConnection, datasetId: number, start: number, end: number, capacity: number): Promise<RawColumns> {
  return await itemsOf(await conn.run(RAW_SELECT, [datasetId, start, end]), COLUMNS.length + 1, capacity);
}

/** Chunks, then one JS array per column per chunk, copied with `.set`. */
export async function columnValues(conn: DuckDBConnection, datasetId: number, start: number, end: number, capacity: number): Promise<RawColumns> {
  return await copyChunks(await conn.run(RAW_SELECT, [datasetId, start, end]), COLUMNS.length + 1, capacity, (chunk, cols, at) => {
    for (let c = 0; c < cols.length; c++) cols[c].set(chunk.getColumnValues(c) as number[], at);
  });
}

/** The whole result as JS arrays, then `Float64Array.from` (the former strawman baseline). */
export async function getColumnsJS(conn: DuckDBConnection, datasetId: number, start: number, end: number): Promise<RawColumns> {
  const result = await conn.run(RAW_SELECT, [datasetId, start, end]);
  const cols = await result.getColumnsJS();
  return cols.map((c) => Float64Array.from(c as number[]));
}

/** THE raw baseline (see the header for why this one). */
export const rawRead = getItemLoop;
