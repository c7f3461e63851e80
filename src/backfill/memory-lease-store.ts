/**
 * The in-process LeaseStore: the reference implementation of lease-store.ts's contract and the
 * store of unit tests. State lives in a backend object; every handle opened on one backend sees
 * the same shards, jobs and watch changes, as two processes would on one etcd cluster. Each
 * method reads and writes with no `await` in between, so every method is one atomic step.
 */
import { InternalError } from '../core/index.js';
import { OpaqueLeaseLimitError } from './errors.js';
import type { ClaimResult, EnsureOptions, JobRecord, LeaseStore, OpaqueLeasePolicy, ShardChange, ShardRecord, ShardResult, ShardSpec } from './lease-store.js';
import {
  claimShard, compareClaimOrder, completeShard, failShard, heartbeatShard, isClaimable, isOpaqueExpired, isOpaqueShard, newOpaqueRecord,
  newShardRecord, purgedShard, reensureShard, requeueExpiredShard,
} from './shard-transitions.js';

/** Shared state of memory lease stores; `open` returns a new handle on it. */
export interface MemoryLeaseBackend {
  open(): LeaseStore;
}

type Listener = (change: ShardChange) => void;

interface StoredJob {
  readonly job: JobRecord;
  /** Creation order, the tie-break among jobs created in the same millisecond. */
  readonly seq: number;
}

class MemoryLeaseState {
  /** Map iteration is insertion order; the claim order is computed, not relied on. */
  readonly shards = new Map<string, ShardRecord>();
  readonly jobs = new Map<string, StoredJob>();
  readonly listeners = new Set<Listener>();
  jobSeq = 0;

  publish(shard: ShardRecord): void {
    const change: ShardChange = Object.freeze({ key: shard.key, shard });
    for (const listener of this.listeners) {
      // Delivered after the step returns, like a watch: a throwing listener surfaces as an
      // uncaught error of its own and neither fails the step nor starves the other listeners.
      queueMicrotask(() => listener(change));
    }
  }
}

/**
 * A backend whose handles share state.
 *
 * @example
 * const backend = createMemoryLeaseBackend();
 * const coordinator = backend.open();
 * const worker = backend.open();
 * worker.watch((c) => console.log(c.key, c.shard.state));
 * await coordinator.ensureShards([spec], Date.now());
 */
export function createMemoryLeaseBackend(): MemoryLeaseBackend {
  const state = new MemoryLeaseState();
  return Object.freeze({ open: (): LeaseStore => new MemoryLeaseStore(state) });
}

/** A store on a backend of its own. */
export function createMemoryLeaseStore(): LeaseStore {
  return createMemoryLeaseBackend().open();
}

class MemoryLeaseStore implements LeaseStore {
  readonly kind = 'memory';
  readonly #state: MemoryLeaseState;
  /** This handle's listeners, removed from the backend on close. */
  readonly #own = new Set<Listener>();
  #closed = false;

  constructor(state: MemoryLeaseState) {
    this.#state = state;
  }

  async ensureShards(shards: readonly ShardSpec[], now: number, options: EnsureOptions = {}): Promise<ShardRecord[]> {
    this.#assertOpen('ensureShards');
    const out: ShardRecord[] = [];
    for (const spec of shards) {
      const existing = this.#state.shards.get(spec.key);
      if (existing === undefined) {
        out.push(this.#put(newShardRecord(spec, now)));
        continue;
      }
      const changed = reensureShard(existing, spec, now, options.knownEmptyRecheckMs);
      out.push(changed === undefined ? existing : this.#put(changed));
    }
    return out;
  }

  async ensureOpaque(key: string, now: number, policy: OpaqueLeasePolicy): Promise<ShardRecord> {
    this.#assertOpen('ensureOpaque');
    this.#prune(now, policy.graceMs);
    const existing = this.#state.shards.get(key);
    if (existing !== undefined) return existing;
    let live = 0;
    for (const shard of this.#state.shards.values()) if (isOpaqueShard(shard)) live++;
    if (live >= policy.maxKeys) throw new OpaqueLeaseLimitError(key, policy.maxKeys, Math.max(1, Math.ceil(policy.graceMs / 1000)));
    return this.#put(newOpaqueRecord(key, now));
  }

  async pruneOpaque(now: number, graceMs: number): Promise<number> {
    this.#assertOpen('pruneOpaque');
    return this.#prune(now, graceMs);
  }

  async createJob(job: JobRecord): Promise<void> {
    this.#assertOpen('createJob');
    const previous = this.#state.jobs.get(job.id);
    const frozen: JobRecord = Object.freeze({ ...job, shardKeys: Object.freeze([...job.shardKeys]) });
    // Re-creating an id replaces the record and keeps its place among same-millisecond jobs.
    this.#state.jobs.set(job.id, { job: frozen, seq: previous?.seq ?? ++this.#state.jobSeq });
  }

  async job(id: string): Promise<JobRecord | undefined> {
    this.#assertOpen('job');
    return this.#state.jobs.get(id)?.job;
  }

  async jobs(limit: number): Promise<JobRecord[]> {
    this.#assertOpen('jobs');
    const all = [...this.#state.jobs.values()];
    all.sort((a, b) => (b.job.createdAt - a.job.createdAt) || (b.seq - a.seq));
    const out: JobRecord[] = [];
    for (let i = 0; i < all.length && i < limit; i++) out.push(all[i].job);
    return out;
  }

  async shard(key: string): Promise<ShardRecord | undefined> {
    this.#assertOpen('shard');
    return this.#state.shards.get(key);
  }

  async shards(keys: readonly string[]): Promise<ShardRecord[]> {
    this.#assertOpen('shards');
    const out: ShardRecord[] = [];
    for (const key of keys) {
      const shard = this.#state.shards.get(key);
      if (shard !== undefined) out.push(shard);
    }
    return out;
  }

  async claim(key: string, holder: string, leaseMs: number, now: number): Promise<ClaimResult> {
    this.#assertOpen('claim');
    const result = claimShard(this.#state.shards.get(key), holder, leaseMs, now);
    if (result.granted) this.#put(result.shard);
    return result;
  }

  async heartbeat(key: string, token: number, leaseMs: number, now: number): Promise<ShardRecord> {
    this.#assertOpen('heartbeat');
    return this.#put(heartbeatShard(key, this.#state.shards.get(key), token, leaseMs, now));
  }

  async complete(
    key: string, token: number, result: ShardResult, now: number,
  ): Promise<ShardRecord> {
    this.#assertOpen('complete');
    return this.#put(completeShard(key, this.#state.shards.get(key), token, result, now));
  }

  async fail(
    key: string, token: number, failure: { readonly reason: string; readonly final: boolean; readonly notBefore: number }, now: number,
  ): Promise<ShardRecord> {
    this.#assertOpen('fail');
    return this.#put(failShard(key, this.#state.shards.get(key), token, failure, now));
  }

  async resetShards(shards: readonly ShardSpec[], reason: string, now: number): Promise<ShardRecord[]> {
    this.#assertOpen('resetShards');
    const out: ShardRecord[] = [];
    for (const spec of shards) out.push(this.#put(purgedShard(this.#state.shards.get(spec.key), spec, reason, now)));
    return out;
  }

  async requeueExpired(key: string, now: number): Promise<ShardRecord | undefined> {
    this.#assertOpen('requeueExpired');
    const next = requeueExpiredShard(this.#state.shards.get(key), now);
    return next === undefined ? undefined : this.#put(next);
  }

  async claimable(now: number, limit: number): Promise<ShardRecord[]> {
    this.#assertOpen('claimable');
    const out: ShardRecord[] = [];
    for (const shard of this.#state.shards.values()) if (isClaimable(shard, now)) out.push(shard);
    out.sort(compareClaimOrder);
    return out.slice(0, Math.max(0, limit));
  }

  async leased(): Promise<ShardRecord[]> {
    this.#assertOpen('leased');
    const out: ShardRecord[] = [];
    for (const shard of this.#state.shards.values()) if (shard.state === 'leased') out.push(shard);
    out.sort(compareClaimOrder);
    return out;
  }

  watch(listener: (change: ShardChange) => void): () => void {
    this.#assertOpen('watch');
    // A wrapper per call, so watching twice with one function gives two independent subscriptions.
    const subscription: Listener = (change) => listener(change);
    this.#own.add(subscription);
    this.#state.listeners.add(subscription);
    return () => {
      this.#own.delete(subscription);
      this.#state.listeners.delete(subscription);
    };
  }

  async ping(): Promise<void> {
    this.#assertOpen('ping');
  }

  /** Idempotent: removes this handle's watchers; the backend and other handles stay open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const subscription of this.#own) this.#state.listeners.delete(subscription);
    this.#own.clear();
  }

  #prune(now: number, graceMs: number): number {
    let deleted = 0;
    for (const [key, shard] of this.#state.shards) {
      if (!isOpaqueExpired(shard, now, graceMs)) continue;
      this.#state.shards.delete(key); // deleting the current entry while iterating a Map is safe
      deleted++;
    }
    return deleted;
  }

  #put(shard: ShardRecord): ShardRecord {
    this.#state.shards.set(shard.key, shard);
    this.#state.publish(shard);
    return shard;
  }

  #assertOpen(operation: string): void {
    if (this.#closed) throw new InternalError(`memory lease store ${operation}: the store is closed`, { details: { operation } });
  }
}
