/**
 * The etcd LeaseStore: shards, jobs and leases under a key prefix; claims, heartbeats and
 * completions are transactions on the shard key's revision; lease keys ride etcd leases; watches
 * report every change; every call has one deadline. The design, key layout and failure notes are
 * in README.md beside this file.
 *
 * Its options and their checks are in etcd-lease-store-options.ts; what stands alone (jobs,
 * records, buckets, watch, opaque keys, retry, errors) is in files beside it.
 */
import type { Etcd3 } from 'etcd3';
import type { IKeyValue, IRequestOp, IResponseHeader } from 'etcd3';
import type { Clock } from '../../core/index.js';
import type { Logger } from '../../observability/index.js';
import { LeaseStoreUnavailableError } from '../../backfill/index.js';
import type {
  ClaimResult, EnsureOptions, JobRecord, LeaseStore, LeaseStoreQuorum, OpaqueLeasePolicy, ShardChange, ShardRecord, ShardResult, ShardSpec,
} from '../../backfill/index.js';
import { fastWatchBackoff, openEtcdClient } from './etcd-client.js';
import { resolveEtcdLeaseStoreOptions } from './etcd-lease-store-options.js';
import type { EtcdLeaseStoreOptions } from './etcd-lease-store-options.js';
import { ETCD_STORE_NAME, isEtcdLeaseGone } from './etcd-errors.js';
import { createLeaseBuckets } from './etcd-lease-buckets.js';
import { checkEtcdQuorum } from './etcd-quorum.js';
import type { LeaseBuckets } from './etcd-lease-buckets.js';
import { getJob, listJobs, putJob } from './etcd-jobs.js';
import type { JobAccess } from './etcd-jobs.js';
import { decodeShard, encodeLeaseHolder, encodeShard, etcdKeys, prefixEnd } from './etcd-records.js';
import type { EtcdKeys } from './etcd-records.js';
import { retryEtcd } from './etcd-retry.js';
import { createShardWatchHub } from './etcd-shard-watch.js';
import type { ShardWatchHub } from './etcd-shard-watch.js';
import { compareClaimOrder, isClaimable, isOpaqueShard, newShardRecord, reensureShard } from '../../backfill/index.js';
import { createOpaqueRecord, opaqueMarkerValue, opaqueTtlMs, pruneOpaqueRecords } from './etcd-opaque.js';
import type { OpaqueAccess } from './etcd-opaque.js';
import { decideClaim, decideComplete, decideFail, decideHeartbeat, decideRequeue, decideReset } from './etcd-transitions.js';
import type { Decision } from './etcd-transitions.js';

/** Lost compare races per attempt before answering "try again" (16 claimants settle in 2). */
const CAS_ROUNDS = 8;
/** Shards per ensureShards txn: 3 ops each stay under etcd's --max-txn-ops 128. */
const ENSURE_CHUNK = 32;
/** Keys per shards() read txn. */
const READ_CHUNK = 100;
/** Shards per page of a prefix scan (keeps replies far below gRPC's 4 MB message limit). */
const SCAN_PAGE = 1_000;
/** Entries of the (record, mod_revision) cache; oldest insertion evicted first. */
const SEEN_MAX = 10_000;

interface Seen {
  readonly record: ShardRecord;
  readonly value: Buffer;
  readonly modRevision: string;
}

/** Opens an etcd-backed LeaseStore; does not fail when etcd is down (ping() reports that). */
export async function createEtcdLeaseStore(options: EtcdLeaseStoreOptions): Promise<LeaseStore> {
  const o = resolveEtcdLeaseStoreOptions(options);
  // Watch streams are long-lived; unary calls without an operation deadline get callTimeoutMs.
  const client = openEtcdClient(o.endpoints, o.callTimeoutMs, { watchBackoff: fastWatchBackoff() });
  const store = new EtcdLeaseStore(client, o.endpoints, etcdKeys(o.prefix), o.callTimeoutMs, o.clock, o.logger, o.opaqueGraceMs);
  await store.warmUp();
  return store;
}

class EtcdLeaseStore implements LeaseStore {
  readonly kind = 'etcd';
  readonly #client: Etcd3;
  readonly #endpoints: readonly string[];
  readonly #keys: EtcdKeys;
  readonly #callTimeoutMs: number;
  readonly #logger: Logger;
  readonly #buckets: LeaseBuckets;
  readonly #hub: ShardWatchHub;
  readonly #jobs: JobAccess;
  readonly #opaque: OpaqueAccess;
  readonly #opaqueGraceMs: number;
  readonly #seen = new Map<string, Seen>();
  #closed = false;
  #revision = 0;

  constructor(client: Etcd3, endpoints: readonly string[], keys: EtcdKeys, callTimeoutMs: number, clock: Clock, logger: Logger, opaqueGraceMs: number) {
    this.#client = client;
    this.#endpoints = endpoints;
    this.#keys = keys;
    this.#callTimeoutMs = callTimeoutMs;
    this.#logger = logger;
    this.#buckets = createLeaseBuckets(client, clock);
    this.#hub = createShardWatchHub(client, keys.shardsPrefix, logger, () => this.#revision);
    this.#jobs = { client, keys, note: (header) => this.#note(header) };
    this.#opaque = { client, keys, buckets: this.#buckets, note: (header) => this.#note(header), forget: (key) => this.#seen.delete(key) };
    this.#opaqueGraceMs = opaqueGraceMs;
  }

  /** Learns the current revision (the watch start point); etcd being down is not fatal here. */
  async warmUp(): Promise<void> {
    try {
      await this.ping();
    } catch (error) {
      this.#logger.warn({ err: error }, 'etcd lease store: etcd not answering at start; continuing');
    }
  }

  async ensureShards(shards: readonly ShardSpec[], now: number, options: EnsureOptions = {}): Promise<ShardRecord[]> {
    const unique = new Map<string, ShardSpec>();
    for (const spec of shards) if (!unique.has(spec.key)) unique.set(spec.key, spec);
    const specs = [...unique.values()];
    const out = new Map<string, ShardRecord>();
    for (let i = 0; i < specs.length; i += ENSURE_CHUNK) {
      const chunk = specs.slice(i, i + ENSURE_CHUNK);
      const records = await this.#run('ensureShards', (deadline) => this.#ensureChunk(chunk, now, deadline, options));
      for (const r of records) out.set(r.key, r);
    }
    const result: ShardRecord[] = [];
    for (const spec of shards) {
      const r = out.get(spec.key);
      if (r !== undefined) result.push(r);
    }
    return result;
  }

  async #ensureChunk(chunk: readonly ShardSpec[], now: number, deadline: number, options: EnsureOptions): Promise<ShardRecord[]> {
    const keys = chunk.map((s) => Buffer.from(this.#keys.shard(s.key)));
    const read = await this.#client.kv.txn({ success: keys.map((key) => ({ request_range: { key } })) }, { deadline });
    this.#note(read.header);
    const current: (Seen | undefined)[] = read.responses.map((r) => this.#remember(r.response_range.kvs[0]));
    for (let round = 0; round < CAS_ROUNDS; round++) {
      const writes: number[] = [];
      const next: ShardRecord[] = [];
      for (let i = 0; i < chunk.length; i++) {
        const seen = current[i];
        const n = seen === undefined ? newShardRecord(chunk[i], now) : reensureShard(seen.record, chunk[i], now, options.knownEmptyRecheckMs);
        if (n !== undefined) { writes.push(i); next.push(n); }
      }
      if (writes.length === 0) return current.map((s, i) => s?.record ?? this.#missing(chunk[i].key));
      const values = next.map(encodeShard);
      const res = await this.#client.kv.txn({
        compare: writes.map((i) => ({ key: keys[i], target: 'Mod' as const, result: 'Equal' as const, mod_revision: current[i]?.modRevision ?? 0 })),
        success: writes.map((i, j) => ({ request_put: { key: keys[i], value: values[j] } })),
        failure: writes.map((i) => ({ request_range: { key: keys[i] } })),
      }, { deadline });
      this.#note(res.header);
      if (res.succeeded) {
        for (let j = 0; j < writes.length; j++) {
          current[writes[j]] = this.#cache({ record: next[j], value: values[j], modRevision: res.header.revision });
        }
        return current.map((s, i) => s?.record ?? this.#missing(chunk[i].key));
      }
      for (let j = 0; j < writes.length; j++) current[writes[j]] = this.#remember(res.responses[j].response_range.kvs[0]);
    }
    throw this.#contended('ensureShards', chunk[0].key);
  }

  ensureOpaque(key: string, now: number, policy: OpaqueLeasePolicy): Promise<ShardRecord> {
    return this.#run('ensureOpaque', async (deadline) => {
      await pruneOpaqueRecords(this.#opaque, now, policy.graceMs, deadline);
      const existing = await this.#read(key, deadline);
      if (existing !== undefined) return existing.record;
      const created = await createOpaqueRecord(this.#opaque, key, now, policy, deadline);
      if (created !== undefined) return this.#cache(created).record;
      const raced = await this.#read(key, deadline);
      return raced?.record ?? this.#missing(key);
    });
  }

  pruneOpaque(now: number, graceMs: number): Promise<number> {
    return this.#run('pruneOpaque', (deadline) => pruneOpaqueRecords(this.#opaque, now, graceMs, deadline));
  }

  async createJob(job: JobRecord): Promise<void> {
    await this.#run('createJob', async (deadline) => {
      if (!(await putJob(this.#jobs, job, CAS_ROUNDS, deadline))) throw this.#contended('createJob', job.id);
    });
  }

  job(id: string): Promise<JobRecord | undefined> {
    return this.#run('job', (deadline) => getJob(this.#jobs, id, deadline));
  }

  jobs(limit: number): Promise<JobRecord[]> {
    if (limit <= 0) return Promise.resolve([]);
    return this.#run('jobs', (deadline) => listJobs(this.#jobs, limit, deadline));
  }

  shard(key: string): Promise<ShardRecord | undefined> {
    return this.#run('shard', async (deadline) => (await this.#read(key, deadline))?.record);
  }

  async shards(keys: readonly string[]): Promise<ShardRecord[]> {
    const out: ShardRecord[] = [];
    for (let i = 0; i < keys.length; i += READ_CHUNK) {
      const chunk = keys.slice(i, i + READ_CHUNK);
      const records = await this.#run('shards', async (deadline) => {
        const res = await this.#client.kv.txn({ success: chunk.map((k) => ({ request_range: { key: Buffer.from(this.#keys.shard(k)) } })) }, { deadline });
        this.#note(res.header);
        return res.responses.map((r) => this.#remember(r.response_range.kvs[0])?.record);
      });
      for (const r of records) if (r !== undefined) out.push(r);
    }
    return out;
  }

  claim(key: string, holder: string, leaseMs: number, now: number): Promise<ClaimResult> {
    return this.#mutate('claim', key, leaseMs, (r) => decideClaim(r, holder, leaseMs, now));
  }

  heartbeat(key: string, token: number, leaseMs: number, now: number): Promise<ShardRecord> {
    return this.#mutate('heartbeat', key, leaseMs, (r) => decideHeartbeat(r, key, token, leaseMs, now));
  }

  complete(key: string, token: number, result: ShardResult, now: number): Promise<ShardRecord> {
    return this.#mutate('complete', key, 0, (r) => decideComplete(r, key, token, result, now));
  }

  fail(key: string, token: number, failure: { readonly reason: string; readonly final: boolean; readonly notBefore: number }, now: number): Promise<ShardRecord> {
    return this.#mutate('fail', key, 0, (r) => decideFail(r, key, token, failure, now));
  }

  async resetShards(shards: readonly ShardSpec[], reason: string, now: number): Promise<ShardRecord[]> {
    const out: ShardRecord[] = [];
    for (const spec of shards) out.push(await this.#mutate('resetShards', spec.key, 0, (r) => decideReset(r, spec, reason, now)));
    return out;
  }

  requeueExpired(key: string, now: number): Promise<ShardRecord | undefined> {
    return this.#mutate('requeueExpired', key, 0, (r) => decideRequeue(r, now));
  }

  async claimable(now: number, limit: number): Promise<ShardRecord[]> {
    if (limit <= 0) return [];
    const found = await this.#scan('claimable', (r) => isClaimable(r, now));
    found.sort(compareClaimOrder);
    return found.length > limit ? found.slice(0, limit) : found;
  }

  async leased(): Promise<ShardRecord[]> {
    const found = await this.#scan('leased', (r) => r.state === 'leased');
    return found.sort(compareClaimOrder);
  }

  watch(listener: (change: ShardChange) => void): () => void {
    return this.#hub.subscribe(listener);
  }

  async ping(): Promise<void> {
    // A linearizable read: answered only with a quorum (a status call would answer without one).
    const key = Buffer.from(this.#keys.pingKey);
    await this.#run('ping', async (deadline) => this.#note((await this.#client.kv.range({ key, count_only: true }, { deadline })).header));
  }

  /** Members answering and the leader, asked of each member directly (etcd-quorum.ts). */
  quorum(): Promise<LeaseStoreQuorum> {
    return checkEtcdQuorum(this.#endpoints, this.#callTimeoutMs);
  }

  /** Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#hub.close();
    this.#client.close();
  }

  /** The read-modify-write loop of every lease transition (see the header). */
  #mutate<R>(what: string, key: string, leaseMs: number, decide: (record: ShardRecord | undefined) => Decision<R>): Promise<R> {
    const shardKey = Buffer.from(this.#keys.shard(key));
    const leaseKey = Buffer.from(this.#keys.lease(key));
    let ambiguous: { readonly value: Buffer; readonly result: R } | undefined;
    return this.#run(what, async (deadline) => {
      let current = this.#seen.get(key);
      let fresh = false;
      if (ambiguous !== undefined || current === undefined) { current = await this.#read(key, deadline); fresh = true; }
      for (let round = 0; round < CAS_ROUNDS; round++) {
        if (ambiguous !== undefined) {
          const landed = current !== undefined && current.value.equals(ambiguous.value);
          const result = ambiguous.result;
          ambiguous = undefined;
          if (landed) return result;
        }
        const d = decide(current?.record);
        if (d.kind === 'final') {
          if (fresh) return d.settle();
          current = await this.#read(key, deadline);
          fresh = true;
          continue;
        }
        const value = encodeShard(d.next);
        const success: IRequestOp[] = [{ request_put: { key: shardKey, value } }];
        let expiry: string | undefined;
        if (isOpaqueShard(d.next)) {
          // An opaque record and its marker ride an etcd lease until its expiry (etcd-opaque.ts).
          expiry = await this.#buckets.leaseFor(opaqueTtlMs(d.next, this.#opaqueGraceMs), deadline);
          success[0] = { request_put: { key: shardKey, value, lease: expiry } };
          success.push({ request_put: { key: Buffer.from(this.#keys.opaque(key)), value: opaqueMarkerValue(d.next), lease: expiry } });
        }
        let leaseId: string | undefined;
        if (d.leaseKey === 'attach') {
          leaseId = await this.#buckets.leaseFor(leaseMs, deadline);
          success.push({ request_put: { key: leaseKey, value: encodeLeaseHolder(d.next), lease: leaseId } });
        } else if (d.leaseKey === 'delete') {
          success.push({ request_delete_range: { key: leaseKey } });
        }
        let res;
        try {
          res = await this.#client.kv.txn({
            compare: [{ key: shardKey, target: 'Mod', result: 'Equal', mod_revision: current?.modRevision ?? 0 }],
            success,
            failure: [{ request_range: { key: shardKey } }],
          }, { deadline });
        } catch (error) {
          if ((leaseId !== undefined || expiry !== undefined) && isEtcdLeaseGone(error)) {
            // Nothing was written: try again with fresh buckets.
            if (leaseId !== undefined) this.#buckets.forget(leaseId);
            if (expiry !== undefined) this.#buckets.forget(expiry);
            continue;
          }
          this.#seen.delete(key);
          ambiguous = { value, result: d.result }; // the next attempt checks whether this landed
          throw error;
        }
        this.#note(res.header);
        if (res.succeeded) {
          this.#cache({ record: d.next, value, modRevision: res.header.revision });
          return d.result;
        }
        current = this.#remember(res.responses[0].response_range.kvs[0]);
        fresh = true;
      }
      throw this.#contended(what, key);
    });
  }

  async #read(key: string, deadline: number): Promise<Seen | undefined> {
    const res = await this.#client.kv.range({ key: Buffer.from(this.#keys.shard(key)) }, { deadline });
    this.#note(res.header);
    return this.#remember(res.kvs[0]);
  }

  /** Every shard matching `keep`, read page by page at the revision of the first page. */
  #scan(what: string, keep: (record: ShardRecord) => boolean): Promise<ShardRecord[]> {
    const end = prefixEnd(Buffer.from(this.#keys.shardsPrefix));
    return this.#run(what, async (deadline) => {
      const out: ShardRecord[] = [];
      let from = Buffer.from(this.#keys.shardsPrefix);
      let revision: string | undefined;
      for (;;) {
        const res = await this.#client.kv.range({ key: from, range_end: end, limit: SCAN_PAGE, revision }, { deadline });
        this.#note(res.header);
        revision ??= res.header.revision;
        for (const kv of res.kvs) {
          const seen = this.#remember(kv);
          if (seen !== undefined && keep(seen.record)) out.push(seen.record);
        }
        if (!res.more || res.kvs.length === 0) return out;
        from = Buffer.concat([res.kvs[res.kvs.length - 1].key, Buffer.from([0])]);
      }
    });
  }

  #run<T>(what: string, op: (deadline: number) => Promise<T>): Promise<T> {
    return retryEtcd(what, op, {
      budgetMs: this.#callTimeoutMs,
      onRetry: (error, attempt, delayMs) => this.#logger.debug({ err: error, operation: what, attempt, delayMs }, 'etcd lease store: retrying'),
    });
  }

  #remember(kv: IKeyValue | undefined): Seen | undefined {
    if (kv === undefined) return undefined;
    return this.#cache({ record: decodeShard(kv.value, kv.key.toString('utf8')), value: kv.value, modRevision: kv.mod_revision });
  }

  #cache(seen: Seen): Seen {
    const key = seen.record.key;
    this.#seen.delete(key); // re-insert: Map order is the eviction order
    this.#seen.set(key, seen);
    if (this.#seen.size > SEEN_MAX) {
      const oldest = this.#seen.keys().next();
      if (oldest.done !== true) this.#seen.delete(oldest.value);
    }
    return seen;
  }

  #note(header: IResponseHeader): void {
    const revision = Number(header.revision);
    if (revision > this.#revision) this.#revision = revision;
  }

  #missing(key: string): never {
    throw new LeaseStoreUnavailableError(ETCD_STORE_NAME, `shard ${key} vanished while being ensured`);
  }

  #contended(what: string, key: string): LeaseStoreUnavailableError {
    return new LeaseStoreUnavailableError(ETCD_STORE_NAME, `${what} ${key}: lost ${CAS_ROUNDS} compare races in a row; retry`);
  }
}
