/**
 * One appender's life for a write: rows appended in data chunks of DuckDB's vector size, flushed
 * once, closed always; on a failure the buffered rows are dropped first, so closing does not
 * retry the failed flush. The appender joins the connection's open transaction (a ROLLBACK
 * removes what it appended).
 */
import { DuckDBDataChunk } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBType } from '@duckdb/node-api';

/** DuckDB's standard vector size: the most rows one data chunk holds. */
export const CHUNK_ROWS = 2048;

/**
 * Appends `rows` rows to `table` in chunks of `types`; `fill(chunk, from)` sets the chunk's
 * columns from row `from` (the chunk holds min(CHUNK_ROWS, rows − from) rows).
 */
export async function appendInChunks(
  conn: DuckDBConnection, table: string, types: readonly DuckDBType[], rows: number,
  fill: (chunk: DuckDBDataChunk, from: number) => void,
): Promise<void> {
  if (rows === 0) return;
  const appender = await conn.createAppender(table);
  try {
    for (let from = 0; from < rows; from += CHUNK_ROWS) {
      const chunk = DuckDBDataChunk.create([...types], Math.min(CHUNK_ROWS, rows - from));
      fill(chunk, from);
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } catch (err) {
    appender.clear();
    throw err;
  } finally {
    appender.closeSync();
  }
}
