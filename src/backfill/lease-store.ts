/**
 * The durable state of distributed backfill: shards with their leases and fencing tokens, and
 * jobs. Every method is one atomic step (a DuckDB transaction, an etcd transaction on revisions),
 * so any number of coordinators and workers can share one store. The lease authority
 * (lease-authority.ts) and the distributed coordinator own scheduling; the store owns atomicity.
 *
 * Shard state machine (docs/backfill-coordinator.md has the diagram):
 *   pending --claim--> leased --complete--> completed | known_empty
 *   leased --fail (retryable, attempts left)--> pending (notBefore = now + backoff)
 *   leased --fail (final)--> failed
 *   leased --lease expires--> pending (a stale claim: `requeue` with reason `expired`)
 *   failed --ensureShards (a new job wants it)--> pending (attempts reset)
 *   known_empty --ensureShards, knownEmptyRecheckMs (default KNOWN_EMPTY_RECHECK_MS) after it was decided--> pending (re-checked;
 *     its provenance, `knownEmpty`, is cleared); never when the provenance is a calendar's (`calendar:XNYS`)
 *   completed with upstream known-empty provenance --the same re-check--> pending
 *   pending/leased background --ensureShards by a read--> priority `read` (state unchanged)
 * Opaque records (wire-protocol keys no job created, nodeId ''): created by ensureOpaque, bounded
 * in number, and deleted `graceMs` after their lease ended or they were released (pruneOpaque).
 * Claim order (claimable): `read` before `background`, then rank (the k-th shard of every job
 * before any job's (k+1)-th: jobs progress in step), then the oldest change first.
 * Tokens grow strictly per shard: every grant returns a token greater than any earlier grant.
 */

import type { ShardPriority, ShardState } from './coordinator.js';

/** What a job needs filled: a dataset and an aligned range, identified by its structured key. */
export interface ShardSpec {
  /** Structured key (JSON array), see shard-key.ts; never parsed by splitting. */
  readonly key: string;
  readonly nodeId: string;
  readonly intervalMs: number;
  readonly start: number;
  readonly end: number;
  /** `read`: a waiting read needs it (served first); default `background`. */
  readonly priority?: ShardPriority;
  /** Its place in the job that asked for it (0, 1, …); default 0. Claim order serves rank k of every job before rank k + 1. */
  readonly rank?: number;
}

/**
 * Why a shard is `known_empty`: the upstream's evidence given with the completion (the source
 * asked, the range it answered empty, when it answered), the lease holder that completed it and
 * when the store recorded the decision. Kept on the record while the shard is `known_empty`
 * and cleared when it is re-opened for a re-check (reopenShard), so the record always tells
 * who said the range is empty, from which source, and when.
 */
export interface KnownEmptyProvenance {
  /** The upstream source that answered empty (its configured name, e.g. `binance`). */
  readonly source: string;
  /** The worker holding the lease that completed the shard. */
  readonly worker: string | null;
  /** The range the source answered empty, [start, end) epoch ms. */
  readonly start: number;
  readonly end: number;
  /** When the source answered (epoch ms). */
  readonly checkedAt: number;
  /** When the store recorded the known-empty completion (epoch ms); the re-check counts from it. */
  readonly decidedAt: number;
}

/** What `complete` records: the end state, the rows written and, for `known_empty`, the upstream's evidence. */
export interface ShardResult {
  readonly state: 'completed' | 'known_empty';
  readonly rowsWritten: number;
  /**
   * With `known_empty`: what the upstream (or the calendar) answered, stored as the record's
   * `knownEmpty` (with the holder as `worker` and `now` as `decidedAt`); with `completed`: the part
   * of open time the upstream answered empty, kept so the shard is re-checked. Without it `knownEmpty` is null.
   */
  readonly evidence?: Pick<KnownEmptyProvenance, 'source' | 'start' | 'end' | 'checkedAt'>;
}

export interface ShardRecord extends ShardSpec {
  readonly priority: ShardPriority;
  readonly rank: number;
  readonly state: ShardState;
  /** Worker holding the lease (or that last held it). */
  readonly holder: string | null;
  /** Last granted fencing token; 0 before the first grant. */
  readonly token: number;
  /** Lease expiry (epoch ms) while `leased`. */
  readonly leaseUntil: number | null;
  /** Failed attempts so far. */
  readonly attempts: number;
  /** Not claimable before this time (retry backoff). */
  readonly notBefore: number;
  readonly lastError: string | null;
  readonly rowsWritten: number;
  readonly updatedAt: number;
  /**
   * While `known_empty` (or `completed` with part of it answered empty by the upstream): who decided it
   * and on what evidence; null otherwise (and for records from before provenance was stored).
   */
  readonly knownEmpty: KnownEmptyProvenance | null;
}

export interface JobRecord {
  readonly id: string;
  readonly nodeId: string;
  readonly intervalMs: number;
  readonly shardKeys: readonly string[];
  readonly requestedBy: string;
  readonly createdAt: number;
  /** W3C traceparent of the read that created the job, when it was traced (may not be persisted). */
  readonly traceparent?: string;
}

export type ClaimResult =
  | { readonly granted: true; readonly shard: ShardRecord; readonly token: number; readonly leaseUntil: number; readonly stale: boolean;
      /** On a stale claim, who held the expired lease (the new record names the new holder). */
      readonly staleHolder: string | null }
  | { readonly granted: false; readonly shard: ShardRecord | undefined; readonly reason: 'held' | 'done' | 'backoff' | 'unknown' };

/** A granted claim. */
export type ClaimGrant = Extract<ClaimResult, { readonly granted: true }>;

/** A free worker slot asking for a shard (claimBatch): its holder name, and whether it takes only `read` shards. */
export interface ClaimSlot {
  readonly holder: string;
  readonly readsOnly: boolean;
}

/** What claimBatch may also do in its step. */
export interface ClaimBatchOptions {
  /**
   * Also advance each grant's storage fence (key = shard key, token = grant token) in the same
   * transaction: only for a store that holds the fences of the bar store the workers write to
   * (embedded DuckDB for both). A grant whose fence storage already holds newer is not fenced (`fenced: false`).
   */
  readonly fence?: boolean;
}

/** A completion armed to commit with the lease's fenced bar write (LeaseStore.armCompletion). */
export interface ArmedCompletion {
  /**
   * Disarms it (idempotent). `committed`: the caller's last fenced write committed; then the
   * completed record that write committed (published to watchers now), or undefined when it did
   * not run (the caller completes the usual way).
   */
  settle(committed: boolean): ShardRecord | undefined;
}

export interface ShardChange {
  readonly key: string;
  readonly shard: ShardRecord;
}

/** A replicated store's quorum, for health (the etcd store's; the embedded and memory stores have none). */
export interface LeaseStoreQuorum {
  /** A majority of the voting members answers and agrees on a leader among them. */
  readonly ok: boolean;
  /** Voting members of the cluster. */
  readonly members: number;
  readonly answering: number;
  /** Members needed for a majority. */
  readonly quorum: number;
  /** The leader the answering members name (id in hex, as etcdctl prints it). */
  readonly leader: { readonly id: string; readonly name: string } | undefined;
  /** One line, e.g. `quorum: 3/3 members answering, leader m0 (8e9e05c52164694d)`. */
  readonly detail: string;
}

/** Bounds of opaque lease records (wire-protocol keys no job created, see isOpaqueShard). */
export interface OpaqueLeasePolicy {
  /** Live opaque records the store may hold; a new key beyond it is refused (OpaqueLeaseLimitError). */
  readonly maxKeys: number;
  /** How long an opaque record outlives its lease or its release before it is deleted. */
  readonly graceMs: number;
}

/** What ensureShards may be told (defaults: shard-transitions.ts). */
export interface EnsureOptions {
  /** A `known_empty` shard decided this long ago or longer is re-checked (default KNOWN_EMPTY_RECHECK_MS). */
  readonly knownEmptyRecheckMs?: number;
}

export interface LeaseStore {
  readonly kind: 'embedded' | 'etcd' | 'memory';
  /**
   * Creates missing shards as `pending`; `failed` ones go back to `pending` with attempts reset;
   * a `read` spec raises an unfinished `background` shard to `read`. Stores write in short
   * transactions of a bounded number of shards, so other writes never wait behind a long job.
   */
  ensureShards(shards: readonly ShardSpec[], now: number, options?: EnsureOptions): Promise<ShardRecord[]>;
  /**
   * The record of `key`, created as a pending opaque record (newOpaqueRecord) when absent. In one
   * step it first deletes the opaque records expired at `now`, then refuses a new key with
   * OpaqueLeaseLimitError when `policy.maxKeys` opaque records remain (an existing key is returned
   * as it is, opaque or not). etcd counts without a lock, so concurrent creators may pass the limit
   * by at most their number.
   */
  ensureOpaque(key: string, now: number, policy: OpaqueLeasePolicy): Promise<ShardRecord>;
  /** Deletes every opaque record expired at `now` (isOpaqueExpired); returns how many. Watchers are not told. */
  pruneOpaque(now: number, graceMs: number): Promise<number>;
  /**
   * `priority` says whether a waiting read needs the job (default `background`): a store with one
   * write path may register a `background` job after the writes of everything else.
   */
  createJob(job: JobRecord, priority?: ShardPriority): Promise<void>;
  /**
   * Optional: `createJob` then `ensureShards(shards)` as one step (one transaction where the
   * store has them), so registering a small job costs one commit.
   */
  createJobWithShards?(job: JobRecord, priority: ShardPriority, shards: readonly ShardSpec[], now: number, options?: EnsureOptions): Promise<ShardRecord[]>;
  job(id: string): Promise<JobRecord | undefined>;
  /** Newest first. */
  jobs(limit: number): Promise<JobRecord[]>;
  shard(key: string): Promise<ShardRecord | undefined>;
  shards(keys: readonly string[]): Promise<ShardRecord[]>;
  /**
   * Grants the lease when the shard is `pending` (and `notBefore <= now`) or `leased` with an
   * expired lease (then `stale: true`); the token is strictly greater than any earlier one.
   */
  claim(key: string, holder: string, leaseMs: number, now: number): Promise<ClaimResult>;
  /**
   * Optional: in one atomic step, claims for each free slot the next claimable shard in claim
   * order that the slot takes (assignClaims, shard-transitions.ts), as `claim` would grant it.
   * Workers without it claim candidates one by one.
   */
  claimBatch?(slots: readonly ClaimSlot[], leaseMs: number, now: number, options?: ClaimBatchOptions): Promise<(ClaimGrant & { readonly holder: string; readonly fenced: boolean })[]>;
  /**
   * Optional: arms `complete(key, token, result, now)` to run inside the next bar write fenced
   * with (key, token) when the bars live in this store's database, so the completion commits with
   * the rows (one transaction, not two); StaleLeaseError there rolls the write back. The caller
   * reads `record` after its write committed and falls back to `complete` when it is undefined.
   */
  armCompletion?(key: string, token: number, result: ShardResult, now: number): ArmedCompletion;
  /** Extends a lease; StaleLeaseError (conflict) when `token` is not the current grant. */
  heartbeat(key: string, token: number, leaseMs: number, now: number): Promise<ShardRecord>;
  /** Ends a lease with success; StaleLeaseError when `token` is not the current grant. A `known_empty` result keeps its evidence (ShardResult). */
  complete(key: string, token: number, result: ShardResult, now: number): Promise<ShardRecord>;
  /** Ends a lease with failure: back to `pending` after `notBefore`, or `failed` when `final`. */
  fail(key: string, token: number, failure: { readonly reason: string; readonly final: boolean; readonly notBefore: number }, now: number): Promise<ShardRecord>;
  /**
   * A purge of the shards' ranges (repair): each becomes `failed` with `reason` and its token
   * raised by one (purgedShard, shard-transitions.ts), created so when absent, any lease ended;
   * returns the records written, in `shards` order. The purge fences storage with these tokens.
   */
  resetShards(shards: readonly ShardSpec[], reason: string, now: number): Promise<ShardRecord[]>;
  /** Returns an expired lease to `pending` (a stale claim); no-op unless still leased and expired. */
  requeueExpired(key: string, now: number): Promise<ShardRecord | undefined>;
  /** Shards a worker may claim now, in claim order (compareClaimOrder): pending past their backoff, or leased and expired. */
  claimable(now: number, limit: number): Promise<ShardRecord[]>;
  /** Shards in `leased` state (for expiry checks and recovery). */
  leased(): Promise<ShardRecord[]>;
  /** Calls `listener` on every shard change (from any process); returns the unsubscribe. */
  watch(listener: (change: ShardChange) => void): () => void;
  /** Throws when the store does not answer (health). */
  ping(): Promise<void>;
  /** Members answering out of all and the leader, for replicated stores (health); never rejects. */
  quorum?(): Promise<LeaseStoreQuorum>;
  close(): Promise<void>;
}
