/**
 * Snapshot files: a frame written to Parquet, and read back, by DuckDB itself. An in-memory
 * DuckDB instance (one per call, closed after it) takes the frame's columns through the appender
 * in 2,048-row chunks (one memcpy per column, chunk-vectors.ts), then `COPY … TO … (FORMAT
 * PARQUET)` writes the file: `ts` as BIGINT epoch ms, every value column as DOUBLE, in the frame's (ascending) order.
 * Reading casts back to DOUBLE in SQL and drains chunks into typed arrays the same way, so an
 * exported frame comes back bit for bit (same fingerprint). See bench/storage/snapshot-export.bench.ts.
 */
import { DOUBLE, DuckDBDataChunk, DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { InvalidRequestError, createFrame } from '../../core/index.js';
import type { Frame, FrameSchema } from '../../core/index.js';
import { copyChunkInto, fillChunkFrom } from './chunk-vectors.js';
import { translateDuckDbError } from './duckdb-errors.js';

const CHUNK_ROWS = 2048;

/** Reads and writes snapshot Parquet files (the provider's SnapshotFiles port). */
export interface ParquetFrames {
  writeParquet(frame: Frame, path: string): Promise<void>;
  /** The file's rows as `schema`; InvalidRequestError naming `path` when its columns are not the schema's. */
  readParquet(path: string, schema: FrameSchema): Promise<Frame>;
}

export function createParquetFrames(): ParquetFrames {
  return { writeParquet: writeFrameParquet, readParquet: readFrameParquet };
}

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

async function withMemoryDb<T>(operation: string, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const conn = await instance.connect();
    try {
      return await fn(conn);
    } finally {
      conn.closeSync();
    }
  } catch (err) {
    throw translateDuckDbError(err, operation);
  } finally {
    instance.closeSync();
  }
}

export function writeFrameParquet(frame: Frame, path: string): Promise<void> {
  const names = frame.schema.columns.map((c) => c.name);
  return withMemoryDb('snapshot.export', async (conn) => {
    await conn.run(`CREATE TABLE f (ts DOUBLE, ${names.map((n) => `${ident(n)} DOUBLE`).join(', ')})`);
    const rows = frame.length;
    if (rows > 0) {
      const types = new Array(names.length + 1).fill(DOUBLE);
      const source = [frame.ts, ...frame.values];
      const appender = await conn.createAppender('f');
      try {
        for (let from = 0; from < rows; from += CHUNK_ROWS) {
          const n = Math.min(CHUNK_ROWS, rows - from);
          const chunk = DuckDBDataChunk.create(types, n);
          fillChunkFrom(chunk, source, from);
          appender.appendDataChunk(chunk);
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
    }
    const columns = ['CAST(ts AS BIGINT) AS ts', ...names.map(ident)].join(', ');
    // No ORDER BY: a frame is ascending by ts and DuckDB keeps insertion order, so the rows are
    // written sorted without a sort of the whole table (about a third of the COPY at 1M rows).
    await conn.run(`COPY (SELECT ${columns} FROM f) TO ${literal(path)} (FORMAT PARQUET)`);
  });
}

export function readFrameParquet(path: string, schema: FrameSchema): Promise<Frame> {
  const names = ['ts', ...schema.columns.map((c) => c.name)];
  return withMemoryDb('snapshot.import', async (conn) => {
    const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${literal(path)})`)).getRowsJS();
    const present = new Set(described.map((r) => String(r[0])));
    const missing = names.filter((n) => !present.has(n));
    if (missing.length > 0) throw new InvalidRequestError('path', `${path} has no column ${missing.join(', ')} of schema ${schema.name}`);
    const count = Number((await conn.runAndReadAll(`SELECT count(*)::DOUBLE FROM read_parquet(${literal(path)})`)).getRowsJS()[0][0]);
    const columns: Float64Array[] = names.map(() => new Float64Array(count));
    const result = await conn.stream(`SELECT ${names.map((n) => `CAST(${ident(n)} AS DOUBLE)`).join(', ')} FROM read_parquet(${literal(path)}) ORDER BY ts`);
    let at = 0;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (chunk === null || chunk.rowCount === 0) break;
      copyChunkInto(chunk, columns, at);
      at += chunk.rowCount;
    }
    return createFrame(schema, columns[0], columns.slice(1));
  });
}
