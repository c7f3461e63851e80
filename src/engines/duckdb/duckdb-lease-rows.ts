/**
 * Rows of `backfill_shards` and `backfill_jobs` (selected with SHARD_COLUMNS / JOB_COLUMNS of
 * duckdb-lease-store.ts, in that column order) as the backfill records, and the records as the
 * values the store's statements take (new shards' JSON rows, a job's upsert).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { parseKnownEmptyProvenance } from '../../backfill/index.js';
import type { JobRecord, KnownEmptyProvenance, ShardPriority, ShardRecord, ShardState } from '../../backfill/index.js';
import { StorageEngineError } from '../../storage/index.js';
import { runPrepared } from './prepared-statements.js';
import { numberOf, optionalNumber, optionalText, stringArrayOf, textOf } from './row-values.js';

type Row = readonly unknown[];

/** The columns of a `backfill_shards` row in the order toShard reads them. */
export const SHARD_COLUMNS = `key, node_id, interval_ms::DOUBLE, start_ms::DOUBLE, end_ms::DOUBLE, state, holder, token::DOUBLE,
  lease_until_ms::DOUBLE, attempts::DOUBLE, not_before_ms::DOUBLE, last_error, rows_written::DOUBLE, updated_at_ms::DOUBLE,
  coalesce(priority, 1)::DOUBLE, coalesce(rank, 0)::DOUBLE, known_empty::VARCHAR`;

export function toShards(rows: readonly Row[]): ShardRecord[] {
  const out: ShardRecord[] = [];
  for (const row of rows) out.push(toShard(row));
  return out;
}

export function toShard(row: Row): ShardRecord {
  return Object.freeze({
    key: textOf(row[0]),
    nodeId: textOf(row[1]),
    intervalMs: numberOf(row[2]),
    start: numberOf(row[3]),
    end: numberOf(row[4]),
    // Only ever written from a ShardRecord.
    state: textOf(row[5]) as ShardState,
    holder: optionalText(row[6]) ?? null,
    token: numberOf(row[7]),
    leaseUntil: optionalNumber(row[8]) ?? null,
    attempts: numberOf(row[9]),
    notBefore: numberOf(row[10]),
    lastError: optionalText(row[11]) ?? null,
    rowsWritten: numberOf(row[12]),
    updatedAt: numberOf(row[13]),
    priority: numberOf(row[14]) === 0 ? 'read' : 'background',
    rank: numberOf(row[15]),
    knownEmpty: knownEmptyOf(row[16], textOf(row[0])),
  });
}

/** The `known_empty` JSON column; NULL (every state but known_empty, rows from before migration 11) is null. */
function knownEmptyOf(value: unknown, key: string): KnownEmptyProvenance | null {
  const text = optionalText(value);
  if (text === undefined) return null;
  const parsed = parseKnownEmptyProvenance(JSON.parse(text));
  if (parsed === undefined) throw new StorageEngineError('duckdb', 'leases.read', `backfill_shards.known_empty of shard ${key} is malformed`);
  return parsed;
}

export function toJob(row: Row): JobRecord {
  return Object.freeze({
    id: textOf(row[0]),
    nodeId: textOf(row[1]),
    intervalMs: numberOf(row[2]),
    shardKeys: Object.freeze(stringArrayOf(row[3], 'backfill_jobs.shard_keys')),
    requestedBy: textOf(row[4]),
    createdAt: numberOf(row[5]),
  });
}

/**
 * Re-creating an id replaces the record and keeps its seq (its place in `jobs`): an UPDATE, then an
 * INSERT when it matched nothing, both prepared once. DuckDB's INSERT … ON CONFLICT DO UPDATE of
 * the five columns cost about five times that (6–8 ms against 1.5 ms here), once per cold read's
 * job. The caller's write transaction on the one writer keeps the pair atomic.
 */
export async function insertJob(conn: DuckDBConnection, job: JobRecord): Promise<void> {
  const keys = JSON.stringify([...job.shardKeys]);
  const updated = await runPrepared(
    conn,
    `UPDATE backfill_jobs SET node_id = $2, interval_ms = $3::BIGINT, shard_keys = $4, requested_by = $5, created_at_ms = $6::BIGINT
     WHERE id = $1`,
    [job.id, job.nodeId, job.intervalMs, keys, job.requestedBy, job.createdAt],
  );
  if (updated.rowsChanged > 0) return;
  await runPrepared(
    conn,
    `INSERT INTO backfill_jobs (id, node_id, interval_ms, shard_keys, requested_by, created_at_ms)
     VALUES ($1, $2, $3::BIGINT, $4, $5, $6::BIGINT)`,
    [job.id, job.nodeId, job.intervalMs, keys, job.requestedBy, job.createdAt],
  );
}

/** The JSON rows INSERT_NEW_SHARDS_SQL unnests. */
export function newShardsJson(created: readonly ShardRecord[]): string {
  return JSON.stringify(created.map((c) => ({ k: c.key, n: c.nodeId, i: c.intervalMs, s: c.start, e: c.end, p: priorityNumber(c.priority), r: c.rank })));
}

export function priorityNumber(p: ShardPriority): number {
  return p === 'read' ? 0 : 1;
}
