/**
 * The embedded LeaseStore (src/backfill/lease-store.ts) in the embedded DuckDB database, durable
 * across restarts so recovery can re-queue unfinished shards. Tables (migration 7):
 * `backfill_shards`, `backfill_jobs`.
 *
 * Every write is one transaction on the database's write queue that reads the row, applies the
 * backfill state machine (shard-transitions.ts: the same functions as every other store) and
 * writes it back; the queue serialises transactions, so the read-modify-write is atomic and two
 * concurrent claims of a shard cannot both be granted. Reads are one statement each on the reader
 * connection (committed data only). Tokens are the row's `token + 1` inside the claim's
 * transaction. Watches are in-process (DuckDB lets one process open a file) and fire after commit.
 *
 * Backfill is imported through its door: values (the state machine, StaleLeaseError) load only
 * `src/backfill` modules that import `core` at runtime, so there is no runtime import cycle.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  claimShard, completeShard, failShard, heartbeatShard, newShardRecord, reopenShard, requeueExpiredShard,
} from '../../backfill/index.js';
import type { ClaimResult, JobRecord, LeaseStore, ShardChange, ShardRecord, ShardSpec, ShardState } from '../../backfill/index.js';
import type { DatabaseHandle } from './database-handle.js';
import { numberOf, optionalNumber, optionalText, stringArrayOf, textOf } from './row-values.js';

const SHARD_COLUMNS = `key, node_id, interval_ms::DOUBLE, start_ms::DOUBLE, end_ms::DOUBLE, state, holder, token::DOUBLE,
  lease_until_ms::DOUBLE, attempts::DOUBLE, not_before_ms::DOUBLE, last_error, rows_written::DOUBLE, updated_at_ms::DOUBLE`;
const SHARD_BY_KEY_SQL = `SELECT ${SHARD_COLUMNS} FROM backfill_shards WHERE key = $1`;
// The same order as compareClaimOrder in src/backfill/shard-transitions.ts.
const CLAIM_ORDER = 'ORDER BY updated_at_ms, start_ms, key';
const CLAIMABLE_SQL = `SELECT ${SHARD_COLUMNS} FROM backfill_shards
  WHERE (state = 'pending' AND not_before_ms <= $1::DOUBLE) OR (state = 'leased' AND lease_until_ms <= $1::DOUBLE)
  ${CLAIM_ORDER} LIMIT $2::BIGINT`;
const LEASED_SQL = `SELECT ${SHARD_COLUMNS} FROM backfill_shards WHERE state = 'leased' ${CLAIM_ORDER}`;
const INSERT_SHARD_SQL = `INSERT INTO backfill_shards (key, node_id, interval_ms, start_ms, end_ms, state, holder, token,
    lease_until_ms, attempts, not_before_ms, last_error, rows_written, updated_at_ms)
  VALUES ($1, $2, $3::BIGINT, $4::BIGINT, $5::BIGINT, $6, $7::VARCHAR, $8::BIGINT, $9::BIGINT, $10, $11::BIGINT, $12::VARCHAR,
    $13::BIGINT, $14::BIGINT)`;
// The dataset columns never change after insert; `seq` keeps the row's creation order.
const UPDATE_SHARD_SQL = `UPDATE backfill_shards SET state = $2, holder = $3::VARCHAR, token = $4::BIGINT,
  lease_until_ms = $5::BIGINT, attempts = $6, not_before_ms = $7::BIGINT, last_error = $8::VARCHAR,
  rows_written = $9::BIGINT, updated_at_ms = $10::BIGINT WHERE key = $1`;

const JOB_COLUMNS = 'id, node_id, interval_ms::DOUBLE, shard_keys::VARCHAR, requested_by, created_at_ms::DOUBLE';

type Listener = (change: ShardChange) => void;
type Row = readonly unknown[];

/** The lease store of an open database; it shares the database's connections and write queue. */
export function leaseStoreOn(db: DatabaseHandle): LeaseStore {
  return new DuckDbLeaseStore(db);
}

class DuckDbLeaseStore implements LeaseStore {
  readonly kind = 'embedded';
  readonly #db: DatabaseHandle;
  readonly #listeners = new Set<Listener>();

  constructor(db: DatabaseHandle) {
    this.#db = db;
  }

  async ensureShards(shards: readonly ShardSpec[], now: number): Promise<ShardRecord[]> {
    const changed: ShardRecord[] = [];
    const out = await this.#write('leases.ensureShards', async (conn) => {
      const records: ShardRecord[] = [];
      for (const spec of shards) {
        const existing = await readShard(conn, spec.key);
        if (existing === undefined) {
          const created = newShardRecord(spec, now);
          await insertShard(conn, created);
          changed.push(created);
          records.push(created);
          continue;
        }
        const reopened = reopenShard(existing, now);
        if (reopened !== undefined) {
          await updateShard(conn, reopened);
          changed.push(reopened);
        }
        records.push(reopened ?? existing);
      }
      return records;
    });
    this.#publish(changed);
    return out;
  }

  async createJob(job: JobRecord): Promise<void> {
    await this.#write('leases.createJob', async (conn) => {
      // Re-creating an id replaces the record; the upsert keeps its seq (its place in `jobs`).
      await conn.run(
        `INSERT INTO backfill_jobs (id, node_id, interval_ms, shard_keys, requested_by, created_at_ms)
         VALUES ($1, $2, $3::BIGINT, $4, $5, $6::BIGINT)
         ON CONFLICT (id) DO UPDATE SET node_id = excluded.node_id, interval_ms = excluded.interval_ms,
           shard_keys = excluded.shard_keys, requested_by = excluded.requested_by, created_at_ms = excluded.created_at_ms`,
        [job.id, job.nodeId, job.intervalMs, JSON.stringify([...job.shardKeys]), job.requestedBy, job.createdAt],
      );
    });
  }

  job(id: string): Promise<JobRecord | undefined> {
    return this.#read('leases.job', async (conn) => {
      const rows = (await conn.runAndReadAll(`SELECT ${JOB_COLUMNS} FROM backfill_jobs WHERE id = $1`, [id])).getRowsJS();
      return rows.length === 0 ? undefined : toJob(rows[0]);
    });
  }

  jobs(limit: number): Promise<JobRecord[]> {
    return this.#read('leases.jobs', async (conn) => {
      const rows = (await conn.runAndReadAll(
        `SELECT ${JOB_COLUMNS} FROM backfill_jobs ORDER BY created_at_ms DESC, seq DESC LIMIT $1::BIGINT`, [Math.max(0, limit)],
      )).getRowsJS();
      const out: JobRecord[] = [];
      for (const row of rows) out.push(toJob(row));
      return out;
    });
  }

  shard(key: string): Promise<ShardRecord | undefined> {
    return this.#read('leases.shard', (conn) => readShard(conn, key));
  }

  shards(keys: readonly string[]): Promise<ShardRecord[]> {
    return this.#read('leases.shards', async (conn) => {
      if (keys.length === 0) return [];
      const rows = (await conn.runAndReadAll(
        `SELECT ${SHARD_COLUMNS} FROM backfill_shards WHERE key IN (SELECT unnest($1::JSON::VARCHAR[]))`, [JSON.stringify(keys)],
      )).getRowsJS();
      const byKey = new Map<string, ShardRecord>();
      for (const row of rows) byKey.set(textOf(row[0]), toShard(row));
      // Input order, unknown keys left out.
      const out: ShardRecord[] = [];
      for (const key of keys) {
        const shard = byKey.get(key);
        if (shard !== undefined) out.push(shard);
      }
      return out;
    });
  }

  async claim(key: string, holder: string, leaseMs: number, now: number): Promise<ClaimResult> {
    const result = await this.#write('leases.claim', async (conn) => {
      const decided = claimShard(await readShard(conn, key), holder, leaseMs, now);
      if (decided.granted) await updateShard(conn, decided.shard);
      return decided;
    });
    if (result.granted) this.#publish([result.shard]);
    return result;
  }

  heartbeat(key: string, token: number, leaseMs: number, now: number): Promise<ShardRecord> {
    return this.#transition('leases.heartbeat', key, (shard) => heartbeatShard(key, shard, token, leaseMs, now));
  }

  complete(
    key: string, token: number, result: { readonly state: 'completed' | 'known_empty'; readonly rowsWritten: number }, now: number,
  ): Promise<ShardRecord> {
    return this.#transition('leases.complete', key, (shard) => completeShard(key, shard, token, result, now));
  }

  fail(
    key: string, token: number, failure: { readonly reason: string; readonly final: boolean; readonly notBefore: number }, now: number,
  ): Promise<ShardRecord> {
    return this.#transition('leases.fail', key, (shard) => failShard(key, shard, token, failure, now));
  }

  async requeueExpired(key: string, now: number): Promise<ShardRecord | undefined> {
    const next = await this.#write('leases.requeueExpired', async (conn) => {
      const requeued = requeueExpiredShard(await readShard(conn, key), now);
      if (requeued !== undefined) await updateShard(conn, requeued);
      return requeued;
    });
    if (next !== undefined) this.#publish([next]);
    return next;
  }

  claimable(now: number, limit: number): Promise<ShardRecord[]> {
    return this.#read('leases.claimable', async (conn) => {
      const rows = (await conn.runAndReadAll(CLAIMABLE_SQL, [now, Math.max(0, limit)])).getRowsJS();
      return toShards(rows);
    });
  }

  leased(): Promise<ShardRecord[]> {
    return this.#read('leases.leased', async (conn) => toShards((await conn.runAndReadAll(LEASED_SQL)).getRowsJS()));
  }

  watch(listener: (change: ShardChange) => void): () => void {
    this.#db.assertOpen('leases.watch');
    // A wrapper per call, so watching twice with one function gives two independent subscriptions.
    const subscription: Listener = (change) => listener(change);
    this.#listeners.add(subscription);
    return () => {
      this.#listeners.delete(subscription);
    };
  }

  ping(): Promise<void> {
    return this.#read('leases.ping', async (conn) => {
      await conn.run('SELECT 1');
    });
  }

  /**
   * Idempotent: drops the watchers. The store lives as long as the database (one object per
   * EmbeddedDatabase, shared by its users), so its calls keep working until
   * `EmbeddedDatabase.close()`, after which they throw StorageEngineError (`internal`).
   */
  async close(): Promise<void> {
    this.#listeners.clear();
  }

  async #transition(operation: string, key: string, apply: (shard: ShardRecord | undefined) => ShardRecord): Promise<ShardRecord> {
    const next = await this.#write(operation, async (conn) => {
      const updated = apply(await readShard(conn, key));
      await updateShard(conn, updated);
      return updated;
    });
    this.#publish([next]);
    return next;
  }

  #write<T>(operation: string, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.#db.transact(operation, fn);
  }

  #read<T>(operation: string, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.#db.query(operation, fn);
  }

  /** After commit only; delivered asynchronously like a watch, so a throwing listener fails alone. */
  #publish(shards: readonly ShardRecord[]): void {
    for (const shard of shards) {
      const change: ShardChange = Object.freeze({ key: shard.key, shard });
      for (const listener of this.#listeners) queueMicrotask(() => listener(change));
    }
  }
}

async function readShard(conn: DuckDBConnection, key: string): Promise<ShardRecord | undefined> {
  const rows = (await conn.runAndReadAll(SHARD_BY_KEY_SQL, [key])).getRowsJS();
  return rows.length === 0 ? undefined : toShard(rows[0]);
}

async function insertShard(conn: DuckDBConnection, s: ShardRecord): Promise<void> {
  await conn.run(INSERT_SHARD_SQL, [
    s.key, s.nodeId, s.intervalMs, s.start, s.end, s.state, s.holder, s.token, s.leaseUntil, s.attempts, s.notBefore,
    s.lastError, s.rowsWritten, s.updatedAt,
  ]);
}

async function updateShard(conn: DuckDBConnection, s: ShardRecord): Promise<void> {
  await conn.run(UPDATE_SHARD_SQL, [
    s.key, s.state, s.holder, s.token, s.leaseUntil, s.attempts, s.notBefore, s.lastError, s.rowsWritten, s.updatedAt,
  ]);
}

function toShards(rows: readonly Row[]): ShardRecord[] {
  const out: ShardRecord[] = [];
  for (const row of rows) out.push(toShard(row));
  return out;
}

function toShard(row: Row): ShardRecord {
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
  });
}

function toJob(row: Row): JobRecord {
  return Object.freeze({
    id: textOf(row[0]),
    nodeId: textOf(row[1]),
    intervalMs: numberOf(row[2]),
    shardKeys: Object.freeze(stringArrayOf(row[3], 'backfill_jobs.shard_keys')),
    requestedBy: textOf(row[4]),
    createdAt: numberOf(row[5]),
  });
}
