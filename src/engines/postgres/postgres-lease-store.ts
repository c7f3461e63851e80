/**
 * The LeaseStore (src/backfill/lease-store.ts) in PostgreSQL (migration 9): the lease store of
 * every gateway, coordinator and worker on one database when no etcd is configured
 * (`seamless.backfill.store: embedded` with `storage.engine: postgres`).
 *
 * Atomicity: every write is one transaction that first locks the one `lease_lock` row
 * (SELECT … FOR UPDATE), then reads the rows it changes, applies the backfill state machine
 * (shard-transitions.ts: the same functions as every other store) and writes them back. The
 * lock is held until commit, so lease writes of all processes run one at a time, exactly as
 * the embedded store's one write queue runs them: two claims of a shard are never both granted
 * and a token (the row's `token + 1` inside the claim) is never handed out twice. ensureShards
 * writes in chunks of ENSURE_CHUNK shards, one short transaction each.
 *
 * Watches: changes made through this handle are published after commit; changes made by other
 * processes are found by polling `backfill_shards.change_seq > last seen` every
 * LEASE_WATCH_POLL_MS while anyone watches. Stamps come from the `lease_changes` sequence
 * under the lock, so they follow commit order and the poll misses nothing; rows this handle
 * wrote (`changed_by`) are skipped (already published). A watcher gets the shard's newest
 * record: two changes between polls arrive as the second.
 */
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import {
  OpaqueLeaseLimitError, assignClaims, claimShard, completeShard, failShard, heartbeatShard, newOpaqueRecord, newShardRecord,
  purgedShard, reensureShard, requeueExpiredShard,
} from '../../backfill/index.js';
import type {
  ClaimBatchOptions, ClaimGrant, ClaimResult, ClaimSlot, EnsureOptions, JobRecord, LeaseStore, OpaqueLeasePolicy, ShardChange,
  ShardPriority, ShardRecord, ShardResult, ShardSpec,
} from '../../backfill/index.js';
import type { PgDatabase } from './postgres-database.js';
import { JOB_COLUMNS, SHARD_COLUMNS, insertJob, toJob, toShard, toShards, writeShard } from './postgres-lease-rows.js';
import type { JobRow, ShardRow } from './postgres-lease-rows.js';
import { advanceFenceIfNewer } from './postgres-fencing.js';
import { translatePgError } from './postgres-errors.js';

/** Shards per ensureShards transaction: a large job never holds the lease lock for long. */
export const ENSURE_CHUNK = 256;
/** How often a watching store looks for changes other processes committed. */
export const LEASE_WATCH_POLL_MS = 100;
/** Changes read per poll query (a poll continues until it has read them all). */
const POLL_BATCH = 1_000;

const LOCK_SQL = 'SELECT id FROM lease_lock WHERE id = 1 FOR UPDATE';
// The same order as compareClaimOrder in src/backfill/shard-transitions.ts (priority 0 = read).
const CLAIM_ORDER = 'ORDER BY priority, rank, updated_at_ms, start_ms, key';
const BY_KEY_SQL = `SELECT ${SHARD_COLUMNS} FROM backfill_shards WHERE key = $1`;
const BY_KEYS_SQL = `SELECT ${SHARD_COLUMNS} FROM backfill_shards WHERE key = ANY($1::text[])`;
const CLAIMABLE_SQL = `SELECT ${SHARD_COLUMNS} FROM backfill_shards
  WHERE (state = 'pending' AND not_before_ms <= $1) OR (state = 'leased' AND lease_until_ms <= $1) ${CLAIM_ORDER} LIMIT $2`;
const LEASED_SQL = `SELECT ${SHARD_COLUMNS} FROM backfill_shards WHERE state = 'leased' ${CLAIM_ORDER}`;
const CHANGES_SQL = `SELECT ${SHARD_COLUMNS} FROM backfill_shards WHERE change_seq > $1 ORDER BY change_seq LIMIT ${POLL_BATCH}`;
// Opaque records (node_id '') expired at $1 with grace $2: the SQL form of isOpaqueExpired.
const PRUNE_OPAQUE_SQL = `DELETE FROM backfill_shards WHERE node_id = '' AND
  (CASE WHEN state = 'leased' AND lease_until_ms IS NOT NULL THEN lease_until_ms ELSE updated_at_ms END) + $2 <= $1`;

type Listener = (change: ShardChange) => void;

/** A lease store on the open database; `lastChange` is the newest change stamp when it opened. */
export async function createPgLeaseStore(db: PgDatabase): Promise<LeaseStore> {
  const newest = await db.query('leases.open', async (client) =>
    (await client.query<{ seq: number }>('SELECT coalesce(max(change_seq), 0)::float8 AS seq FROM backfill_shards')).rows[0].seq);
  return new PgLeaseStore(db, newest);
}

class PgLeaseStore implements LeaseStore {
  readonly kind = 'embedded';
  readonly #db: PgDatabase;
  /** This handle's name in `changed_by`. */
  readonly #id = randomUUID();
  readonly #listeners = new Set<Listener>();
  #lastSeen: number;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #closed = false;
  /** The last poll's failure (cleared by a successful poll), for inspection in tests and debugging. */
  #pollFailure: unknown = undefined;

  constructor(db: PgDatabase, lastSeen: number) {
    this.#db = db;
    this.#lastSeen = lastSeen;
  }

  ensureShards(shards: readonly ShardSpec[], now: number, options: EnsureOptions = {}): Promise<ShardRecord[]> {
    return this.#ensure(shards, now, options, undefined);
  }

  createJobWithShards(job: JobRecord, priority: ShardPriority, shards: readonly ShardSpec[], now: number, options: EnsureOptions = {}): Promise<ShardRecord[]> {
    return this.#ensure(shards, now, options, job);
  }

  async #ensure(shards: readonly ShardSpec[], now: number, options: EnsureOptions, job: JobRecord | undefined): Promise<ShardRecord[]> {
    const byKey = new Map<string, ShardRecord>();
    for (let i = 0; i < Math.max(shards.length, job === undefined ? 0 : 1); i += ENSURE_CHUNK) {
      const chunk = shards.slice(i, i + ENSURE_CHUNK);
      const changed = await this.#write('leases.ensureShards', async (client) => {
        if (i === 0 && job !== undefined) await insertJob(client, job);
        return await this.#ensureChunk(client, chunk, now, byKey, options);
      });
      this.#publish(changed);
    }
    const out: ShardRecord[] = [];
    for (const spec of shards) {
      const r = byKey.get(spec.key);
      if (r !== undefined) out.push(r);
    }
    return out;
  }

  async #ensureChunk(client: PoolClient, chunk: readonly ShardSpec[], now: number, byKey: Map<string, ShardRecord>, options: EnsureOptions): Promise<ShardRecord[]> {
    const changed: ShardRecord[] = [];
    if (chunk.length === 0) return changed;
    const keys: string[] = [];
    for (const s of chunk) keys.push(s.key);
    for (const record of toShards((await client.query<ShardRow>(BY_KEYS_SQL, [keys])).rows)) byKey.set(record.key, record);
    const created = new Set<string>();
    for (const spec of chunk) {
      const existing = byKey.get(spec.key);
      let next: ShardRecord | undefined;
      if (existing === undefined) {
        next = newShardRecord(spec, now);
        created.add(spec.key);
      } else if (!created.has(spec.key)) {
        next = reensureShard(existing, spec, now, options.knownEmptyRecheckMs);
      }
      if (next === undefined) continue;
      await writeShard(client, next, this.#id);
      byKey.set(spec.key, next);
      changed.push(next);
    }
    return changed;
  }

  async ensureOpaque(key: string, now: number, policy: OpaqueLeasePolicy): Promise<ShardRecord> {
    const { record, created } = await this.#write('leases.ensureOpaque', async (client) => {
      await client.query(PRUNE_OPAQUE_SQL, [now, policy.graceMs]);
      const existing = await readShard(client, key);
      if (existing !== undefined) return { record: existing, created: false };
      const live = (await client.query<{ n: number }>("SELECT count(*)::float8 AS n FROM backfill_shards WHERE node_id = ''")).rows[0].n;
      if (live >= policy.maxKeys) throw new OpaqueLeaseLimitError(key, policy.maxKeys, Math.max(1, Math.ceil(policy.graceMs / 1000)));
      const fresh = newOpaqueRecord(key, now);
      await writeShard(client, fresh, this.#id);
      return { record: fresh, created: true };
    });
    if (created) this.#publish([record]);
    return record;
  }

  pruneOpaque(now: number, graceMs: number): Promise<number> {
    return this.#write('leases.pruneOpaque', async (client) => (await client.query(PRUNE_OPAQUE_SQL, [now, graceMs])).rowCount ?? 0);
  }

  async createJob(job: JobRecord): Promise<void> {
    await this.#db.transact('leases.createJob', (client) => insertJob(client, job));
  }

  async job(id: string): Promise<JobRecord | undefined> {
    const rows = await this.#read<JobRow>('leases.job', `SELECT ${JOB_COLUMNS} FROM backfill_jobs WHERE id = $1`, [id]);
    return rows.length === 0 ? undefined : toJob(rows[0]);
  }

  async jobs(limit: number): Promise<JobRecord[]> {
    const rows = await this.#read<JobRow>('leases.jobs', `SELECT ${JOB_COLUMNS} FROM backfill_jobs ORDER BY created_at_ms DESC, seq DESC LIMIT $1`, [Math.max(0, limit)]);
    const out: JobRecord[] = [];
    for (const row of rows) out.push(toJob(row));
    return out;
  }

  async shard(key: string): Promise<ShardRecord | undefined> {
    const rows = await this.#read<ShardRow>('leases.shard', BY_KEY_SQL, [key]);
    return rows.length === 0 ? undefined : toShard(rows[0]);
  }

  async shards(keys: readonly string[]): Promise<ShardRecord[]> {
    if (keys.length === 0) return [];
    const byKey = new Map<string, ShardRecord>();
    for (const r of toShards(await this.#read<ShardRow>('leases.shards', BY_KEYS_SQL, [[...keys]]))) byKey.set(r.key, r);
    // Input order, unknown keys left out.
    const out: ShardRecord[] = [];
    for (const key of keys) {
      const shard = byKey.get(key);
      if (shard !== undefined) out.push(shard);
    }
    return out;
  }

  async claim(key: string, holder: string, leaseMs: number, now: number): Promise<ClaimResult> {
    const result = await this.#write('leases.claim', async (client) => {
      const decided = claimShard(await readShard(client, key), holder, leaseMs, now);
      if (decided.granted) await writeShard(client, decided.shard, this.#id);
      return decided;
    });
    if (result.granted) this.#publish([result.shard]);
    return result;
  }

  /** One transaction: the claimable rows, the grants of assignClaims and, with `fence`, each grant's storage fence (same database). */
  async claimBatch(slots: readonly ClaimSlot[], leaseMs: number, now: number, options: ClaimBatchOptions = {}): Promise<(ClaimGrant & { readonly holder: string; readonly fenced: boolean })[]> {
    if (slots.length === 0) return [];
    const grants = await this.#write('leases.claimBatch', async (client) => {
      const candidates = toShards((await client.query<ShardRow>(CLAIMABLE_SQL, [now, slots.length * 4])).rows);
      const out: (ClaimGrant & { readonly holder: string; readonly fenced: boolean })[] = [];
      for (const { shard, slot } of assignClaims(candidates, slots)) {
        const decided = claimShard(shard, slot.holder, leaseMs, now);
        if (!decided.granted) continue;
        await writeShard(client, decided.shard, this.#id);
        const fenced = options.fence === true && await advanceFenceIfNewer(client, { key: decided.shard.key, token: decided.token });
        out.push({ ...decided, holder: slot.holder, fenced });
      }
      return out;
    });
    this.#publish(grants.map((g) => g.shard));
    return grants;
  }

  heartbeat(key: string, token: number, leaseMs: number, now: number): Promise<ShardRecord> {
    return this.#transition('leases.heartbeat', key, (shard) => heartbeatShard(key, shard, token, leaseMs, now));
  }

  complete(key: string, token: number, result: ShardResult, now: number): Promise<ShardRecord> {
    return this.#transition('leases.complete', key, (shard) => completeShard(key, shard, token, result, now));
  }

  fail(key: string, token: number, failure: { readonly reason: string; readonly final: boolean; readonly notBefore: number }, now: number): Promise<ShardRecord> {
    return this.#transition('leases.fail', key, (shard) => failShard(key, shard, token, failure, now));
  }

  async resetShards(shards: readonly ShardSpec[], reason: string, now: number): Promise<ShardRecord[]> {
    const written = await this.#write('leases.resetShards', async (client) => {
      const records: ShardRecord[] = [];
      for (const spec of shards) {
        const next = purgedShard(await readShard(client, spec.key), spec, reason, now);
        await writeShard(client, next, this.#id);
        records.push(next);
      }
      return records;
    });
    this.#publish(written);
    return written;
  }

  async requeueExpired(key: string, now: number): Promise<ShardRecord | undefined> {
    const next = await this.#write('leases.requeueExpired', async (client) => {
      const requeued = requeueExpiredShard(await readShard(client, key), now);
      if (requeued !== undefined) await writeShard(client, requeued, this.#id);
      return requeued;
    });
    if (next !== undefined) this.#publish([next]);
    return next;
  }

  async claimable(now: number, limit: number): Promise<ShardRecord[]> {
    return toShards(await this.#read<ShardRow>('leases.claimable', CLAIMABLE_SQL, [now, Math.max(0, limit)]));
  }

  async leased(): Promise<ShardRecord[]> {
    return toShards(await this.#read<ShardRow>('leases.leased', LEASED_SQL, []));
  }

  watch(listener: (change: ShardChange) => void): () => void {
    this.#db.assertOpen('leases.watch');
    // A wrapper per call, so watching twice with one function gives two independent subscriptions.
    const subscription: Listener = (change) => listener(change);
    this.#listeners.add(subscription);
    this.#schedule();
    return () => {
      this.#listeners.delete(subscription);
    };
  }

  /** Throws when the database does not answer, or when the watch's last poll failed (its error as the cause). */
  async ping(): Promise<void> {
    await this.#read('leases.ping', 'SELECT 1', []);
    if (this.#pollFailure !== undefined) throw translatePgError(this.#pollFailure, 'leases.watch');
  }

  /** Idempotent: stops polling and drops the watchers; the pool is the storage's (closed with it). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#polling;
  }

  /** Polls again in LEASE_WATCH_POLL_MS while someone watches (one timer at a time, stopped by close). */
  #schedule(): void {
    if (this.#closed || this.#timer !== undefined || this.#polling !== undefined || this.#listeners.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const polling = this.#poll().finally(() => {
        this.#polling = undefined;
        this.#schedule();
      });
      this.#polling = polling;
    }, LEASE_WATCH_POLL_MS);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    try {
      for (;;) {
        const rows = await this.#read<ShardRow>('leases.watch', CHANGES_SQL, [this.#lastSeen]);
        for (const row of rows) {
          this.#lastSeen = row.change_seq;
          if (row.changed_by !== this.#id) this.#publish([toShard(row)]);
        }
        this.#pollFailure = undefined;
        if (rows.length < POLL_BATCH || this.#closed) return;
      }
    } catch (error) {
      // The database is unreachable or closing: the next poll asks again from the same stamp, so
      // no change is lost; health (ping) reports the database's state, and the last failure is kept.
      this.#pollFailure = error;
    }
  }

  async #transition(operation: string, key: string, apply: (shard: ShardRecord | undefined) => ShardRecord): Promise<ShardRecord> {
    const next = await this.#write(operation, async (client) => {
      const updated = apply(await readShard(client, key));
      await writeShard(client, updated, this.#id);
      return updated;
    });
    this.#publish([next]);
    return next;
  }

  /** One transaction holding the lease lock: lease writes of every process run one at a time. */
  #write<T>(operation: string, fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.#db.transact(operation, async (client) => {
      await client.query({ name: 'seamless_leases_lock', text: LOCK_SQL });
      return await fn(client);
    });
  }

  async #read<R extends Record<string, unknown>>(operation: string, text: string, values: readonly unknown[]): Promise<R[]> {
    return await this.#db.query(operation, async (client) => (await client.query<R>(text, [...values])).rows);
  }

  /** After commit only; delivered asynchronously like a watch, so a throwing listener fails alone. */
  #publish(shards: readonly ShardRecord[]): void {
    for (const shard of shards) {
      const change: ShardChange = Object.freeze({ key: shard.key, shard });
      for (const listener of this.#listeners) queueMicrotask(() => listener(change));
    }
  }
}

async function readShard(client: PoolClient, key: string): Promise<ShardRecord | undefined> {
  const rows = (await client.query<ShardRow>({ name: 'seamless_leases_by_key', text: BY_KEY_SQL, values: [key] })).rows;
  return rows.length === 0 ? undefined : toShard(rows[0]);
}
