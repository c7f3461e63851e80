/**
 * Rows of `backfill_shards` and `backfill_jobs` (selected with SHARD_COLUMNS / JOB_COLUMNS of
 * duckdb-lease-store.ts, in that column order) as the backfill records, and the records as the
 * values the store's statements take (new shards' JSON rows, a job's upsert).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { parseKnownEmptyProvenance } from '../../backfill/index.js';
import type { JobRecord, KnownEmptyProvenance, ShardPriority, ShardRecord, ShardState } from '../../backfill/index.js';
import { StorageEngineError } from '../../storage/index.js';
import { numberOf, optionalNumber, optionalText, stringArrayOf, textOf } from './row-values.js';

type Row = readonly unknown[];

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

/** Re-creating an id replaces the record; the upsert keeps its seq (its place in `jobs`). */
export async function insertJob(conn: DuckDBConnection, job: JobRecord): Promise<void> {
  await conn.run(
    `INSERT INTO backfill_jobs (id, node_id, interval_ms, shard_keys, requested_by, created_at_ms)
     VALUES ($1, $2, $3::BIGINT, $4, $5, $6::BIGINT)
     ON CONFLICT (id) DO UPDATE SET node_id = excluded.node_id, interval_ms = excluded.interval_ms,
       shard_keys = excluded.shard_keys, requested_by = excluded.requested_by, created_at_ms = excluded.created_at_ms`,
    [job.id, job.nodeId, job.intervalMs, JSON.stringify([...job.shardKeys]), job.requestedBy, job.createdAt],
  );
}

/** The JSON rows INSERT_NEW_SHARDS_SQL unnests. */
export function newShardsJson(created: readonly ShardRecord[]): string {
  return JSON.stringify(created.map((c) => ({ k: c.key, n: c.nodeId, i: c.intervalMs, s: c.start, e: c.end, p: priorityNumber(c.priority), r: c.rank })));
}

export function priorityNumber(p: ShardPriority): number {
  return p === 'read' ? 0 : 1;
}
