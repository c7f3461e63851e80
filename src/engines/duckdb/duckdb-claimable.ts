/**
 * Which shards of the embedded lease store can be claimed now, in claim order: `pending` ones
 * whose retry delay has passed and `leased` ones whose lease ran out, ordered as
 * compareClaimOrder orders them (src/backfill/shard-transitions.ts: reads first, then rank, then
 * the longest waiting).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { compareClaimOrder } from '../../backfill/index.js';
import type { ShardRecord } from '../../backfill/index.js';
import { SHARD_COLUMNS, toShards } from './duckdb-lease-rows.js';
import { readPrepared } from './prepared-statements.js';
import { numberOf } from './row-values.js';

/** compareClaimOrder in SQL (priority 0 = read). */
export const CLAIM_ORDER = 'ORDER BY priority, rank, updated_at_ms, start_ms, key';
const CLAIMABLE_WHERE = `WHERE (state = 'pending' AND not_before_ms <= $1::DOUBLE) OR (state = 'leased' AND lease_until_ms <= $1::DOUBLE)`;
/** The first $2 claimable shards at $1, in claim order. */
export const CLAIMABLE_SQL = `SELECT ${SHARD_COLUMNS} FROM backfill_shards ${CLAIMABLE_WHERE} ${CLAIM_ORDER} LIMIT $2::BIGINT`;
const CLAIMABLE_COUNT_SQL = `SELECT count(*)::DOUBLE FROM backfill_shards ${CLAIMABLE_WHERE}`;
const CLAIMABLE_ALL_SQL = `SELECT ${SHARD_COLUMNS} FROM backfill_shards ${CLAIMABLE_WHERE}`;

/**
 * Up to this many claimable shards are read whole and put in claim order here: DuckDB's ordered
 * top-N over the whole row costs about 3 ms even for none or a handful (its sort), a count and a
 * plain scan about 1 ms together. A longer queue (a large background job) takes the top-N.
 */
export const SHORT_QUEUE = 64;

/** The first `limit` claimable shards at `now` in claim order, read on the writer (inside the claim's transaction). */
export async function claimableOnWriter(conn: DuckDBConnection, now: number, limit: number): Promise<ShardRecord[]> {
  const count = numberOf((await readPrepared(conn, CLAIMABLE_COUNT_SQL, [now]))[0]?.[0]);
  if (count === 0) return [];
  if (count > SHORT_QUEUE) return toShards(await readPrepared(conn, CLAIMABLE_SQL, [now, limit]));
  return toShards(await readPrepared(conn, CLAIMABLE_ALL_SQL, [now])).sort(compareClaimOrder).slice(0, limit);
}
