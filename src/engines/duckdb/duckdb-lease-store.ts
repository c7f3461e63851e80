/**
 * The embedded LeaseStore (src/backfill/lease-store.ts) in the embedded DuckDB database, durable
 * across restarts so recovery can re-queue unfinished shards. Tables (migration 7):
 * `backfill_shards` (priority and rank since migration 10, known-empty provenance since 11), `backfill_jobs`.
 *
 * ensureShards writes in chunks of ENSURE_CHUNK shards, one short transaction each (one read,
 * one multi-row INSERT). Every other write is one transaction on the database's write queue that reads the row, applies the
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
  OpaqueLeaseLimitError, assignClaims, claimShard, completeShard, failShard, heartbeatShard, newOpaqueRecord, newShardRecord,
  purgedShard, reensureShard, requeueExpiredShard,
} from '../../backfill/index.js';
import type {
  ArmedCompletion, ClaimBatchOptions, ClaimGrant, ClaimResult, ClaimSlot, EnsureOptions, JobRecord, LeaseStore, OpaqueLeasePolicy, ShardChange, ShardPriority, ShardRecord, ShardResult, ShardSpec,
} from '../../backfill/index.js';
import type { WriteLane } from './connection.js';
import type { DatabaseHandle } from './duckdb-database.js';
import { numberOf, textOf } from './row-values.js';
import { SHARD_COLUMNS, insertJob, newShardsJson, priorityNumber, toJob, toShard, toShards } from './duckdb-lease-rows.js';
import { CLAIMABLE_SQL, CLAIM_ORDER, claimableOnWriter } from './duckdb-claimable.js';
import { readPrepared, runPrepared } from './prepared-statements.js';
import { advanceFenceIfNewer, armFencedWrite } from './duckdb-fencing.js';

const SHARD_BY_KEY_SQL = `SELECT ${SHARD_COLUMNS} FROM backfill_shards WHERE key = $1`;
/**
 * Shards per ensureShards transaction. Each chunk is one read of the existing rows and one
 * multi-row INSERT, a few milliseconds; between chunks the write queue serves everyone else's
 * writes (bars, registry), so a large job never holds the writer for long.
 */
export const ENSURE_CHUNK = 256;

const LEASED_SQL = `SELECT ${SHARD_COLUMNS} FROM backfill_shards WHERE state = 'leased' ${CLAIM_ORDER}`;
// New shards of one chunk as one JSON parameter (binding thousands of parameters is far slower).
// Only their dataset, range, priority and rank vary; the rest is a new record (newShardRecord).
const INSERT_NEW_SHARDS_SQL = `INSERT INTO backfill_shards (key, node_id, interval_ms, start_ms, end_ms, state, holder, token,
    lease_until_ms, attempts, not_before_ms, last_error, rows_written, updated_at_ms, priority, rank)
  SELECT r.k, r.n, r.i, r.s, r.e, 'pending', NULL, 0, NULL, 0, 0, NULL, 0, $2::BIGINT, r.p, r.r
  FROM (SELECT unnest(from_json($1::JSON, '[{"k":"VARCHAR","n":"VARCHAR","i":"BIGINT","s":"BIGINT","e":"BIGINT","p":"INTEGER","r":"BIGINT"}]')) AS r)`;
const SHARDS_BY_KEYS_SQL = `SELECT ${SHARD_COLUMNS} FROM backfill_shards WHERE key IN (SELECT unnest($1::JSON::VARCHAR[]))`;
// The dataset columns never change after insert; `seq` keeps the row's creation order.
const UPDATE_SHARD_SQL = `UPDATE backfill_shards SET state = $2, holder = $3::VARCHAR, token = $4::BIGINT,
  lease_until_ms = $5::BIGINT, attempts = $6, not_before_ms = $7::BIGINT, last_error = $8::VARCHAR,
  rows_written = $9::BIGINT, updated_at_ms = $10::BIGINT, priority = $11, rank = $12::BIGINT, known_empty = $13::JSON WHERE key = $1`;

// Opaque records (node_id '') expired at $1 with grace $2: the SQL form of isOpaqueExpired.
const PRUNE_OPAQUE_SQL = `DELETE FROM backfill_shards WHERE node_id = '' AND
  (CASE WHEN state = 'leased' AND lease_until_ms IS NOT NULL THEN lease_until_ms ELSE updated_at_ms END) + $2::BIGINT <= $1::BIGINT`;
const COUNT_OPAQUE_SQL = `SELECT count(*)::DOUBLE FROM backfill_shards WHERE node_id = ''`;
const INSERT_OPAQUE_SQL = `INSERT INTO backfill_shards (key, node_id, interval_ms, start_ms, end_ms, state, holder, token,
    lease_until_ms, attempts, not_before_ms, last_error, rows_written, updated_at_ms, priority, rank)
  VALUES ($1, '', 0, 0, 0, 'pending', NULL, $2::BIGINT, NULL, 0, 0, NULL, 0, $3::BIGINT, 1, 0)`;

const JOB_COLUMNS = 'id, node_id, interval_ms::DOUBLE, shard_keys::VARCHAR, requested_by, created_at_ms::DOUBLE';

type Listener = (change: ShardChange) => void;

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

  ensureShards(shards: readonly ShardSpec[], now: number, options: EnsureOptions = {}): Promise<ShardRecord[]> {
    return this.#ensure(shards, now, options, undefined);
  }

  /** The job record and the first chunk of its shards in one transaction (one commit, not two). */
  createJobWithShards(job: JobRecord, priority: ShardPriority, shards: readonly ShardSpec[], now: number, options: EnsureOptions = {}): Promise<ShardRecord[]> {
    return this.#ensure(shards, now, options, { job, priority });
  }

  async #ensure(shards: readonly ShardSpec[], now: number, options: EnsureOptions, withJob: { job: JobRecord; priority: ShardPriority } | undefined): Promise<ShardRecord[]> {
    const byKey = new Map<string, ShardRecord>();
    for (let i = 0; i < Math.max(shards.length, withJob === undefined ? 0 : 1); i += ENSURE_CHUNK) {
      const chunk = shards.slice(i, i + ENSURE_CHUNK);
      const changed: ShardRecord[] = [];
      const job = i === 0 ? withJob : undefined;
      // Background registration waits until no other write is queued: a read's shards, claims and
      // bars never queue behind a burst of background jobs' bookkeeping.
      const lane = chunk.some((s) => s.priority === 'read') || job?.priority === 'read' ? 'normal' : 'background';
      await this.#write('leases.ensureShards', async (conn) => {
        if (job !== undefined) await insertJob(conn, job.job);
        await ensureChunk(conn, chunk, now, byKey, changed, options);
      }, lane);
      this.#publish(changed);
    }
    const out: ShardRecord[] = [];
    for (const spec of shards) {
      const r = byKey.get(spec.key);
      if (r !== undefined) out.push(r);
    }
    return out;
  }

  async ensureOpaque(key: string, now: number, policy: OpaqueLeasePolicy): Promise<ShardRecord> {
    const { record, created } = await this.#write('leases.ensureOpaque', async (conn) => {
      await conn.run(PRUNE_OPAQUE_SQL, [now, policy.graceMs]);
      const existing = await readShard(conn, key);
      if (existing !== undefined) return { record: existing, created: false };
      const live = numberOf((await conn.runAndReadAll(COUNT_OPAQUE_SQL)).getRowsJS()[0][0]);
      if (live >= policy.maxKeys) throw new OpaqueLeaseLimitError(key, policy.maxKeys, Math.max(1, Math.ceil(policy.graceMs / 1000)));
      const fresh = newOpaqueRecord(key, now);
      await conn.run(INSERT_OPAQUE_SQL, [key, fresh.token, now]);
      return { record: fresh, created: true };
    });
    if (created) this.#publish([record]);
    return record;
  }

  pruneOpaque(now: number, graceMs: number): Promise<number> {
    return this.#write('leases.pruneOpaque', async (conn) => {
      const result = await conn.run(PRUNE_OPAQUE_SQL, [now, graceMs]);
      return result.rowsChanged;
    }, 'background');
  }

  async createJob(job: JobRecord, priority: ShardPriority = 'background'): Promise<void> {
    await this.#write('leases.createJob', (conn) => insertJob(conn, job), priority === 'read' ? 'normal' : 'background');
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
    return this.#read('leases.shard', (conn) => readShard(conn, key, false));
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

  /**
   * One transaction: the claimable rows (read on the writer, so no other claim commits between
   * the read and the grants), the grants of assignClaims, and with `fence` each grant's storage
   * fence (the `fences` table of this same database) — one commit for a worker's free slots
   * instead of a claim and a fence transaction per shard.
   */
  async claimBatch(slots: readonly ClaimSlot[], leaseMs: number, now: number, options: ClaimBatchOptions = {}): Promise<(ClaimGrant & { readonly holder: string; readonly fenced: boolean })[]> {
    if (slots.length === 0) return [];
    const grants = await this.#write('leases.claimBatch', async (conn) => {
      const candidates = await claimableOnWriter(conn, now, slots.length * 4);
      const out: (ClaimGrant & { readonly holder: string; readonly fenced: boolean })[] = [];
      for (const { shard, slot } of assignClaims(candidates, slots)) {
        const decided = claimShard(shard, slot.holder, leaseMs, now);
        if (!decided.granted) continue;
        await updateShard(conn, decided.shard);
        const fenced = options.fence === true && await advanceFenceIfNewer(conn, { key: decided.shard.key, token: decided.token });
        out.push({ ...decided, holder: slot.holder, fenced });
      }
      return out;
    });
    this.#publish(grants.map((g) => g.shard));
    return grants;
  }

  /** The completion as work of the writer connection's next bar write fenced with (key, token) (duckdb-fencing.ts). */
  armCompletion(key: string, token: number, result: ShardResult, now: number): ArmedCompletion {
    this.#db.assertOpen('leases.armCompletion');
    // Set by the last write that ran it; a rolled-back write's caller never reports `committed`.
    let record: ShardRecord | undefined = undefined;
    const disarm = armFencedWrite(this.#db.conns.writer, { key, token }, async (conn) => {
      record = undefined;
      const next = completeShard(key, await readShard(conn, key), token, result, now);
      await updateShard(conn, next);
      record = next;
    });
    const publish = (shards: readonly ShardRecord[]): void => this.#publish(shards);
    return {
      settle(committed) {
        disarm();
        const done = committed ? record : undefined;
        record = undefined;
        if (done !== undefined) publish([done]);
        return done;
      },
    };
  }

  heartbeat(key: string, token: number, leaseMs: number, now: number): Promise<ShardRecord> {
    return this.#transition('leases.heartbeat', key, (shard) => heartbeatShard(key, shard, token, leaseMs, now));
  }

  complete(
    key: string, token: number, result: ShardResult, now: number,
  ): Promise<ShardRecord> {
    return this.#transition('leases.complete', key, (shard) => completeShard(key, shard, token, result, now));
  }

  fail(
    key: string, token: number, failure: { readonly reason: string; readonly final: boolean; readonly notBefore: number }, now: number,
  ): Promise<ShardRecord> {
    return this.#transition('leases.fail', key, (shard) => failShard(key, shard, token, failure, now));
  }

  async resetShards(shards: readonly ShardSpec[], reason: string, now: number): Promise<ShardRecord[]> {
    // One transaction (a purge's shards are bounded by the job limits); an unknown key is inserted first.
    const written = await this.#write('leases.resetShards', async (conn) => {
      const records: ShardRecord[] = [];
      for (const spec of shards) {
        const existing = await readShard(conn, spec.key);
        if (existing === undefined) await conn.run(INSERT_NEW_SHARDS_SQL, [newShardsJson([newShardRecord(spec, now)]), now]);
        records.push(purgedShard(existing, spec, reason, now));
        await updateShard(conn, records[records.length - 1]);
      }
      return records;
    });
    this.#publish(written);
    return written;
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

  #write<T>(operation: string, fn: (conn: DuckDBConnection) => Promise<T>, lane: WriteLane = 'normal'): Promise<T> {
    return this.#db.transact(operation, fn, lane);
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

/** On the writer (inside a write) through its prepared statement; on the reader with a fresh one. */
async function readShard(conn: DuckDBConnection, key: string, onWriter = true): Promise<ShardRecord | undefined> {
  const rows = onWriter ? await readPrepared(conn, SHARD_BY_KEY_SQL, [key]) : (await conn.runAndReadAll(SHARD_BY_KEY_SQL, [key])).getRowsJS();
  return rows.length === 0 ? undefined : toShard(rows[0]);
}

/** One transaction: the chunk's existing rows in one read, its new rows in one INSERT. */
async function ensureChunk(
  conn: DuckDBConnection, chunk: readonly ShardSpec[], now: number, byKey: Map<string, ShardRecord>, changed: ShardRecord[],
  options: EnsureOptions,
): Promise<void> {
  if (chunk.length === 0) return;
  const keys = chunk.map((s) => s.key);
  // Both statements prepared once per writer (prepared-statements.ts): every cold read's job runs them.
  const rows = await readPrepared(conn, SHARDS_BY_KEYS_SQL, [JSON.stringify(keys)]);
  for (const row of rows) byKey.set(textOf(row[0]), toShard(row));
  const created: ShardRecord[] = [];
  const createdKeys = new Set<string>();
  for (const spec of chunk) {
    const existing = byKey.get(spec.key);
    if (existing === undefined) {
      const record = newShardRecord(spec, now);
      byKey.set(spec.key, record);
      created.push(record);
      createdKeys.add(spec.key);
      continue;
    }
    if (createdKeys.has(spec.key)) continue; // the same key twice in one chunk
    const next = reensureShard(existing, spec, now, options.knownEmptyRecheckMs);
    if (next === undefined) continue;
    await updateShard(conn, next);
    byKey.set(spec.key, next);
    changed.push(next);
  }
  if (created.length === 0) return;
  await runPrepared(conn, INSERT_NEW_SHARDS_SQL, [newShardsJson(created), now]);
  changed.push(...created);
}

async function updateShard(conn: DuckDBConnection, s: ShardRecord): Promise<void> {
  await runPrepared(conn, UPDATE_SHARD_SQL, [
    s.key, s.state, s.holder, s.token, s.leaseUntil, s.attempts, s.notBefore, s.lastError, s.rowsWritten, s.updatedAt,
    priorityNumber(s.priority), s.rank, s.knownEmpty === null ? null : JSON.stringify(s.knownEmpty),
  ]);
}
