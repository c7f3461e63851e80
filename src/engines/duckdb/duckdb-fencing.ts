/**
 * Fencing: a write carrying a lease's token is refused when storage has already seen a newer
 * token for that lease key. Runs inside the write's transaction, so the check and the data
 * commit together; a write that loses a race to a newer holder rolls back with nothing written.
 *
 * A lease may arm work to commit with its fenced bar write (armFencedWrite: the embedded lease
 * store's completion when bars and leases share the database): the bar store runs it
 * (runArmedWork) in the write's transaction right after the fence check, so a stale token's
 * write runs none of it, and a failure of the work rolls the write back.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { StaleFencingTokenError } from '../../core/index.js';
import type { Fence } from '../../storage/index.js';
import { readPrepared, runPrepared } from './prepared-statements.js';

type ArmedWork = (conn: DuckDBConnection) => Promise<void>;
/** Per writer connection: fence key → the token armed and its work. */
const armed = new WeakMap<DuckDBConnection, Map<string, { readonly token: number; readonly work: ArmedWork }>>();

/** Arms `work` for every fenced bar write on `conn` carrying exactly `fence`; returns the disarm. */
export function armFencedWrite(conn: DuckDBConnection, fence: Fence, work: ArmedWork): () => void {
  let byKey = armed.get(conn);
  if (byKey === undefined) armed.set(conn, (byKey = new Map()));
  const entry = { token: fence.token, work };
  byKey.set(fence.key, entry);
  return () => {
    if (byKey.get(fence.key) === entry) byKey.delete(fence.key);
  };
}

/** Inside a fenced bar write's transaction, after checkAndAdvanceFence: the work armed for this fence, if any. */
export async function runArmedWork(conn: DuckDBConnection, fence: Fence): Promise<void> {
  const entry = armed.get(conn)?.get(fence.key);
  if (entry !== undefined && entry.token === fence.token) await entry.work(conn);
}

export async function checkAndAdvanceFence(conn: DuckDBConnection, fence: Fence): Promise<void> {
  const newest = await fenceToken(conn, fence.key);
  if (newest !== undefined && newest > fence.token) throw new StaleFencingTokenError(fence.key, fence.token, newest);
  if (newest !== fence.token) await storeFence(conn, fence, newest !== undefined);
}

/**
 * Advances the fence to `fence.token` unless storage already holds a newer token (then nothing
 * changes and the answer is false: the holder's own fenced write will be refused, saying so).
 * For the lease store's claim transaction, which must not roll back the other grants of its batch.
 */
export async function advanceFenceIfNewer(conn: DuckDBConnection, fence: Fence): Promise<boolean> {
  const newest = await fenceToken(conn, fence.key);
  if (newest !== undefined && newest > fence.token) return false;
  if (newest !== fence.token) await storeFence(conn, fence, newest !== undefined);
  return true;
}

async function fenceToken(conn: DuckDBConnection, key: string): Promise<number | undefined> {
  // Prepared once (prepared-statements.ts): this runs in every fenced write and claim.
  const rows = await readPrepared(conn, 'SELECT token::DOUBLE FROM fences WHERE key = $1', [key]);
  return rows.length > 0 ? Number(rows[0][0]) : undefined;
}

/**
 * Writes the fence's token: an UPDATE when the key has a row (read just before, in the same
 * transaction on the one writer), else an INSERT. DuckDB's INSERT … ON CONFLICT DO UPDATE costs
 * three to four times either (about 2 ms against 0.5 ms here), once per claimed shard; should a
 * row appear in between anyway, the key's primary key refuses the INSERT and the transaction
 * rolls back, so nothing is ever written twice.
 */
async function storeFence(conn: DuckDBConnection, fence: Fence, exists: boolean): Promise<void> {
  if (exists) await runPrepared(conn, 'UPDATE fences SET token = $2::BIGINT WHERE key = $1', [fence.key, fence.token]);
  else await runPrepared(conn, 'INSERT INTO fences (key, token) VALUES ($1, $2::BIGINT)', [fence.key, fence.token]);
}
