/**
 * Rows of `backfill_shards` and `backfill_jobs` (migration 9) as the backfill records, and the
 * records as the values the PostgreSQL lease store's statements take. Bigint columns are
 * selected as float8 (epoch ms and tokens are exact below 2^53); JSONB arrives parsed.
 */
import type { PoolClient } from 'pg';
import { parseKnownEmptyProvenance } from '../../backfill/index.js';
import type { JobRecord, KnownEmptyProvenance, ShardPriority, ShardRecord, ShardState } from '../../backfill/index.js';
import { StorageEngineError } from '../../storage/index.js';
import { ENGINE } from './postgres-errors.js';

export const SHARD_COLUMNS = `key, node_id, interval_ms::float8 AS interval_ms, start_ms::float8 AS start_ms, end_ms::float8 AS end_ms, state,
  holder, token::float8 AS token, lease_until_ms::float8 AS lease_until_ms, attempts, not_before_ms::float8 AS not_before_ms, last_error,
  rows_written::float8 AS rows_written, updated_at_ms::float8 AS updated_at_ms, priority, rank::float8 AS rank, known_empty,
  change_seq::float8 AS change_seq, changed_by`;
export const JOB_COLUMNS = 'id, node_id, interval_ms::float8 AS interval_ms, shard_keys, requested_by, created_at_ms::float8 AS created_at_ms';

export interface ShardRow extends Record<string, unknown> {
  key: string; node_id: string; interval_ms: number; start_ms: number; end_ms: number; state: string; holder: string | null;
  token: number; lease_until_ms: number | null; attempts: number; not_before_ms: number; last_error: string | null;
  rows_written: number; updated_at_ms: number; priority: number; rank: number; known_empty: unknown; change_seq: number; changed_by: string;
}

export interface JobRow extends Record<string, unknown> {
  id: string; node_id: string; interval_ms: number; shard_keys: unknown; requested_by: string; created_at_ms: number;
}

export function toShards(rows: readonly ShardRow[]): ShardRecord[] {
  const out: ShardRecord[] = [];
  for (const row of rows) out.push(toShard(row));
  return out;
}

export function toShard(row: ShardRow): ShardRecord {
  return Object.freeze({
    key: row.key, nodeId: row.node_id, intervalMs: row.interval_ms, start: row.start_ms, end: row.end_ms,
    // Only ever written from a ShardRecord.
    state: row.state as ShardState,
    holder: row.holder, token: row.token, leaseUntil: row.lease_until_ms, attempts: row.attempts, notBefore: row.not_before_ms,
    lastError: row.last_error, rowsWritten: row.rows_written, updatedAt: row.updated_at_ms,
    priority: row.priority === 0 ? 'read' : 'background',
    rank: row.rank,
    knownEmpty: knownEmptyOf(row.known_empty, row.key),
  });
}

function knownEmptyOf(value: unknown, key: string): KnownEmptyProvenance | null {
  if (value === null || value === undefined) return null;
  const parsed = parseKnownEmptyProvenance(value);
  if (parsed === undefined) throw new StorageEngineError(ENGINE, 'leases.read', `backfill_shards.known_empty of shard ${key} is malformed`);
  return parsed;
}

export function toJob(row: JobRow): JobRecord {
  const keys: string[] = [];
  if (!Array.isArray(row.shard_keys)) throw new StorageEngineError(ENGINE, 'leases.read', `backfill_jobs.shard_keys of job ${row.id} is malformed`);
  for (const k of row.shard_keys as unknown[]) keys.push(String(k));
  return Object.freeze({
    id: row.id, nodeId: row.node_id, intervalMs: row.interval_ms, shardKeys: Object.freeze(keys), requestedBy: row.requested_by,
    createdAt: row.created_at_ms,
  });
}

/** Re-creating an id replaces the record; the upsert keeps its seq (its place in `jobs`). */
export async function insertJob(client: PoolClient, job: JobRecord): Promise<void> {
  await client.query(
    `INSERT INTO backfill_jobs (id, node_id, interval_ms, shard_keys, requested_by, created_at_ms) VALUES ($1, $2, $3, $4::jsonb, $5, $6)
     ON CONFLICT (id) DO UPDATE SET node_id = excluded.node_id, interval_ms = excluded.interval_ms,
       shard_keys = excluded.shard_keys, requested_by = excluded.requested_by, created_at_ms = excluded.created_at_ms`,
    [job.id, job.nodeId, job.intervalMs, JSON.stringify([...job.shardKeys]), job.requestedBy, job.createdAt],
  );
}

const UPSERT_SHARD_SQL = `INSERT INTO backfill_shards (key, node_id, interval_ms, start_ms, end_ms, state, holder, token, lease_until_ms,
    attempts, not_before_ms, last_error, rows_written, updated_at_ms, priority, rank, known_empty, change_seq, changed_by)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17::jsonb, nextval('lease_changes'), $18)
  ON CONFLICT (key) DO UPDATE SET state = excluded.state, holder = excluded.holder, token = excluded.token,
    lease_until_ms = excluded.lease_until_ms, attempts = excluded.attempts, not_before_ms = excluded.not_before_ms,
    last_error = excluded.last_error, rows_written = excluded.rows_written, updated_at_ms = excluded.updated_at_ms,
    priority = excluded.priority, rank = excluded.rank, known_empty = excluded.known_empty,
    change_seq = excluded.change_seq, changed_by = excluded.changed_by`;

/**
 * Writes the record (insert or update; the dataset columns never change after insert), stamped
 * with the next `lease_changes` value and the writing store's id, for the watchers of other processes.
 */
export async function writeShard(client: PoolClient, s: ShardRecord, writer: string): Promise<void> {
  await client.query({
    name: 'seamless_leases_write_shard',
    text: UPSERT_SHARD_SQL,
    values: [
      s.key, s.nodeId, s.intervalMs, s.start, s.end, s.state, s.holder, s.token, s.leaseUntil, s.attempts, s.notBefore, s.lastError,
      s.rowsWritten, s.updatedAt, priorityNumber(s.priority), s.rank, s.knownEmpty === null ? null : JSON.stringify(s.knownEmpty), writer,
    ],
  });
}

export function priorityNumber(p: ShardPriority): number {
  return p === 'read' ? 0 : 1;
}
