/**
 * The lease authority as seen by workers and by the HTTP lease API (the original design's wire
 * protocol: claim / heartbeat / complete / fail by key, fencing tokens, 409 when held or stale).
 * The distributed coordinator implements it over a LeaseStore; `seamless worker` processes
 * reach it over HTTP.
 */
import type { ShardTrace } from './shard-span.js';
import type { Frame } from '../core/index.js';
import type { IngestFinding } from '../conformance/index.js';
import type { CoverageClaim, WriteReport } from '../storage/index.js';
import type { ShardRecord } from './lease-store.js';
import type { LeaseTokenInput } from './lease-token.js';

export interface LeaseGrant {
  readonly key: string;
  readonly token: number;
  readonly leaseUntil: number;
  readonly shard: ShardRecord;
  /** The trace of the read whose job wants the shard, when it was traced: the worker's span continues it. */
  readonly trace?: ShardTrace;
}

export type ClaimOutcome =
  | { readonly granted: true; readonly lease: LeaseGrant; readonly completionRatio: number }
  | { readonly granted: false; readonly holder: string | null; readonly leaseUntil: number | null; readonly state: ShardRecord['state'] | 'unknown' };

/** Rows of one shard range fetched by a worker, to be written with their coverage under a fence. */
export interface ShardUpload {
  readonly frame: Frame;
  readonly coverage: readonly CoverageClaim[];
  readonly findings: readonly IngestFinding[];
}

/**
 * What the upstream answered when a worker completes a shard as `known_empty`: the source asked,
 * the range it was asked for and answered empty ([start, end), epoch ms), and when. Required with
 * every known-empty completion, checked against the shard and the known-empty coverage the
 * worker uploaded, published with the `completed` event (the seamless.backfill feed) with the
 * worker's name and stored in the shard record (`knownEmpty`, lease-store.ts), so the claim can be
 * traced; known-empty shards are re-checked later (shard-transitions.ts `reopenShard`, which clears it).
 */
export interface KnownEmptyEvidence {
  readonly source: string;
  readonly start: number;
  readonly end: number;
  readonly checkedAt: number;
}

export interface ShardCompletion {
  readonly rowsWritten: number;
  readonly state: 'completed' | 'known_empty';
  /** Required when `state` is `known_empty`. */
  readonly evidence?: KnownEmptyEvidence;
}

export interface LeaseAuthority {
  /** Claims by key; an unknown key is created as an opaque lease (no dataset). */
  claim(key: string, worker: string, leaseMs: number): Promise<ClaimOutcome>;
  /**
   * StaleLeaseError (409) when the token is not the current grant. Tokens are taken as the JSON
   * number or the string a client kept (lease-token.ts); one that denotes no grant is stale too.
   */
  heartbeat(key: string, token: LeaseTokenInput, leaseMs: number): Promise<{ readonly leaseUntil: number }>;
  /** A `known_empty` completion needs `evidence` (InvalidRequestError naming the field otherwise). */
  complete(key: string, token: LeaseTokenInput, result?: ShardCompletion): Promise<{ readonly completionRatio: number }>;
  /** `retryable: false` (or no attempts left) makes the shard `failed`; else it is re-queued with backoff. */
  fail(key: string, token: LeaseTokenInput, reason: string, retryable: boolean): Promise<{ readonly completionRatio: number }>;
  inspect(key: string): Promise<ShardRecord | undefined>;
  /** The next claimable shard, leased to `worker`; waits up to `waitMs` (long-poll); undefined when none. */
  nextShard(worker: string, leaseMs: number, waitMs: number, signal?: AbortSignal): Promise<LeaseGrant | undefined>;
  /**
   * Writes a remote worker's rows under its fencing token (the coordinator owns storage). The
   * upload must be for the shard: coverage inside its range, rows on its grid, the dataset's
   * schema, findings of its dataset; InvalidRequestError naming the field otherwise, nothing written.
   */
  writeShard(key: string, token: LeaseTokenInput, upload: ShardUpload): Promise<WriteReport>;
  health(): Promise<{ readonly ok: boolean; readonly store: string; readonly detail: string }>;
}
