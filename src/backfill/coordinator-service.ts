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

export interface CoordinatorService {
  /** Claims by key; an unknown key is created as an opaque lease (no dataset). */
  claim(key: string, worker: string, leaseMs: number): Promise<ClaimOutcome>;
  /**
   * StaleLeaseError (409) when the token is not the current grant. Tokens are taken as the JSON
   * number or the string a client kept (lease-token.ts); one that denotes no grant is stale too.
   */
  heartbeat(key: string, token: LeaseTokenInput, leaseMs: number): Promise<{ readonly leaseUntil: number }>;
  complete(key: string, token: LeaseTokenInput, result?: { readonly rowsWritten: number; readonly state: 'completed' | 'known_empty' }): Promise<{ readonly completionRatio: number }>;
  /** `retryable: false` (or no attempts left) makes the shard `failed`; else it is re-queued with backoff. */
  fail(key: string, token: LeaseTokenInput, reason: string, retryable: boolean): Promise<{ readonly completionRatio: number }>;
  inspect(key: string): Promise<ShardRecord | undefined>;
  /** The next claimable shard, leased to `worker`; waits up to `waitMs` (long-poll); undefined when none. */
  nextShard(worker: string, leaseMs: number, waitMs: number, signal?: AbortSignal): Promise<LeaseGrant | undefined>;
  /** Writes a remote worker's rows under its fencing token (the coordinator owns storage). */
  writeShard(key: string, token: LeaseTokenInput, upload: ShardUpload): Promise<WriteReport>;
  health(): Promise<{ readonly ok: boolean; readonly store: string; readonly detail: string }>;
}
