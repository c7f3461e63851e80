/**
 * Fencing: a write carrying a lease's token is refused when storage has already seen a newer
 * token for that lease key. Runs inside the write's transaction, so the check and the data
 * commit together; a write that loses a race to a newer holder rolls back with nothing written.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { StaleFencingTokenError } from '../../core/index.js';
import type { Fence } from '../../storage/index.js';
import { readPrepared, runPrepared } from './prepared-statements.js';

export async function checkAndAdvanceFence(conn: DuckDBConnection, fence: Fence): Promise<void> {
  const newest = await fenceToken(conn, fence.key);
  if (newest !== undefined && newest > fence.token) throw new StaleFencingTokenError(fence.key, fence.token, newest);
  if (newest !== fence.token) await storeFence(conn, fence);
}

/**
 * Advances the fence to `fence.token` unless storage already holds a newer token (then nothing
 * changes and the answer is false: the holder's own fenced write will be refused, saying so).
 * For the lease store's claim transaction, which must not roll back the other grants of its batch.
 */
export async function advanceFenceIfNewer(conn: DuckDBConnection, fence: Fence): Promise<boolean> {
  const newest = await fenceToken(conn, fence.key);
  if (newest !== undefined && newest > fence.token) return false;
  if (newest !== fence.token) await storeFence(conn, fence);
  return true;
}

async function fenceToken(conn: DuckDBConnection, key: string): Promise<number | undefined> {
  // Prepared once (prepared-statements.ts): this runs in every fenced write and claim.
  const rows = await readPrepared(conn, 'SELECT token::DOUBLE FROM fences WHERE key = $1', [key]);
  return rows.length > 0 ? Number(rows[0][0]) : undefined;
}

async function storeFence(conn: DuckDBConnection, fence: Fence): Promise<void> {
  await runPrepared(
    conn,
    'INSERT INTO fences (key, token) VALUES ($1, $2::BIGINT) ON CONFLICT (key) DO UPDATE SET token = excluded.token',
    [fence.key, fence.token],
  );
}
