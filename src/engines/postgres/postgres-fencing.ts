/**
 * Fencing on PostgreSQL: a write carrying a lease's token is refused when the database has
 * already seen a newer token for that lease key. Runs inside the write's transaction and locks
 * the key's row in `fences` (SELECT … FOR UPDATE) until it commits, so concurrent writers of one
 * key — from any process — are checked one after the other: the second sees the first's token.
 * A write that loses to a newer holder rolls back with nothing written.
 */
import type { PoolClient } from 'pg';
import { StaleFencingTokenError } from '../../core/index.js';
import type { Fence } from '../../storage/index.js';

const LOCK = 'SELECT token::float8 AS token FROM fences WHERE key = $1 FOR UPDATE';
/** A new key: the inserted row stays locked until commit; a concurrent insert of the key waits for it. */
const INSERT = 'INSERT INTO fences (key, token) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING token';
const ADVANCE = 'UPDATE fences SET token = $2 WHERE key = $1';

export async function checkAndAdvanceFence(client: PoolClient, fence: Fence): Promise<void> {
  let newest = await lockedToken(client, fence.key);
  if (newest === undefined) {
    const inserted = await client.query({ name: 'seamless_fence_insert', text: INSERT, values: [fence.key, fence.token] });
    if (inserted.rows.length === 1) return;
    // Another transaction created the key meanwhile and has committed: compare with its token.
    newest = await lockedToken(client, fence.key);
    if (newest === undefined) return;
  }
  if (newest > fence.token) throw new StaleFencingTokenError(fence.key, fence.token, newest);
  if (newest < fence.token) await client.query({ name: 'seamless_fence_advance', text: ADVANCE, values: [fence.key, fence.token] });
}

async function lockedToken(client: PoolClient, key: string): Promise<number | undefined> {
  const result = await client.query<{ token: number }>({ name: 'seamless_fence_lock', text: LOCK, values: [key] });
  return result.rows.length === 0 ? undefined : result.rows[0].token;
}

/**
 * Advances the fence to `fence.token` unless the database already holds a newer token (then
 * nothing changes and the answer is false). For the lease store's claim transaction, which must
 * not roll back the other grants of its batch.
 */
export async function advanceFenceIfNewer(client: PoolClient, fence: Fence): Promise<boolean> {
  const newest = await lockedToken(client, fence.key);
  if (newest !== undefined && newest > fence.token) return false;
  await checkAndAdvanceFence(client, fence);
  return true;
}
