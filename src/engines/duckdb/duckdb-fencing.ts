/**
 * Fencing: a write carrying a lease's token is refused when storage has already seen a newer
 * token for that lease key. Runs inside the write's transaction, so the check and the data
 * commit together; a write that loses a race to a newer holder rolls back with nothing written.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { StaleFencingTokenError } from '../../core/index.js';
import type { Fence } from '../../storage/index.js';

export async function checkAndAdvanceFence(conn: DuckDBConnection, fence: Fence): Promise<void> {
  const result = await conn.runAndReadAll('SELECT token::DOUBLE FROM fences WHERE key = $1', [fence.key]);
  const rows = result.getRowsJS();
  const newest = rows.length > 0 ? Number(rows[0][0]) : undefined;
  if (newest !== undefined && newest > fence.token) throw new StaleFencingTokenError(fence.key, fence.token, newest);
  if (newest === fence.token) return;
  await conn.run(
    'INSERT INTO fences (key, token) VALUES ($1, $2::BIGINT) ON CONFLICT (key) DO UPDATE SET token = excluded.token',
    [fence.key, fence.token],
  );
}
