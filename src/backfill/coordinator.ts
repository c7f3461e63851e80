/**
 * The backfill coordinator interface, implemented by the distributed coordinator (over a memory,
 * embedded or etcd lease store) and by the remote coordinator (the HTTP client of another
 * process's), so the provider never knows which one it talks to.
 */
import type { FrameSchema, TimeRange, TradingCalendar } from '../core/index.js';
import type { BarSource } from '../sources/index.js';
import type { DatasetKey } from '../storage/index.js';
import type { KnownEmptyEvidence } from './lease-authority.js';
import type { KnownEmptyProvenance } from './lease-store.js';

/** What a backfill fetches into: a dataset, its frame schema and the upstream to ask. */
export interface BackfillTarget {
  readonly dataset: DatasetKey;
  readonly schema: FrameSchema;
  readonly source: BarSource;
  /** When the market is open (docs/calendars.md); default 24/7. Closed bars are known empty without asking the source. */
  readonly calendar?: TradingCalendar;
}

/** `read`: a read is waiting for the job (its shards are served first); `background`: everything else. */
export type ShardPriority = 'read' | 'background';

export interface BackfillRequest {
  readonly target: BackfillTarget;
  /** Ranges to fill; each is widened to the aligned shards that cover it. */
  readonly ranges: readonly TimeRange[];
  /** Identity of the caller (API key name, `cli`, `provider`), for logs and events. */
  readonly requestedBy?: string;
  /** W3C traceparent of the read that asked: the shards' spans continue that trace. */
  readonly traceparent?: string;
  /** Default `background`. */
  readonly priority?: ShardPriority;
}

export type ShardState = 'pending' | 'leased' | 'completed' | 'failed' | 'known_empty';
/**
 * `interrupted`: the process stopped (coordinator closed) before every shard finished. The
 * distributed coordinator's lease store keeps the job and its unfinished shards, and a
 * coordinator starting on that store resumes it (recovery), where it finishes `completed`/`failed`.
 */
export type JobState = 'running' | 'completed' | 'failed' | 'interrupted';

export interface ShardStatus {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly state: ShardState;
  readonly attempts: number;
  readonly rowsWritten: number;
  /** True when this job joined a fetch another job had started (single flight). */
  readonly joined: boolean;
  readonly error?: string;
  /** For a `known_empty` shard of a lease store: who decided it, from which source, on what evidence, when (lease-store.ts). */
  readonly knownEmpty?: KnownEmptyProvenance;
}

export interface JobStatus {
  readonly id: string;
  readonly nodeId: string;
  readonly intervalMs: number;
  readonly state: JobState;
  readonly createdAt: number;
  readonly finishedAt: number | undefined;
  /** Shard counts by state. */
  readonly shards: Readonly<Record<ShardState, number>>;
  readonly totalShards: number;
  /** (completed + known_empty) / total; 1 for a job with no shards. */
  readonly completionRatio: number;
  /** Rows written for this job: shards already stored when it was created count 0, joined shards count what they wrote. */
  readonly rowsWritten: number;
  readonly errors: readonly { readonly shard: string; readonly start: number; readonly end: number; readonly reason: string }[];
}

export type BackfillEvent =
  | { readonly type: 'claimed'; readonly shard: string; readonly nodeId: string; readonly intervalMs: number; readonly start: number; readonly end: number; readonly token: number; readonly worker?: string; readonly at: number }
  | { readonly type: 'heartbeat'; readonly shard: string; readonly token: number; readonly leaseUntil: number; readonly at: number }
  | { readonly type: 'joined'; readonly shard: string; readonly jobId: string; readonly at: number }
  | { readonly type: 'rows_written'; readonly shard: string; readonly nodeId: string; readonly intervalMs: number; readonly rows: number; readonly token: number; readonly at: number }
  | { readonly type: 'completed'; readonly shard: string; readonly nodeId: string; readonly intervalMs: number; readonly start: number; readonly end: number; readonly rowsWritten: number; readonly state: ShardState; readonly evidence?: KnownEmptyEvidence & { readonly worker: string | null }; readonly at: number }
  | { readonly type: 'failed'; readonly shard: string; readonly nodeId: string; readonly intervalMs: number; readonly attempts: number; readonly reason: string; readonly final: boolean; readonly at: number }
  | { readonly type: 'expired'; readonly shard: string; readonly nodeId: string; readonly intervalMs: number; readonly holder: string | null; readonly token: number; readonly at: number }
  | { readonly type: 'requeued'; readonly shard: string; readonly reason: 'expired' | 'retry' | 'recovery'; readonly at: number }
  | { readonly type: 'job_completed'; readonly jobId: string; readonly state: JobState; readonly completionRatio: number; readonly at: number };

export type BackfillEventType = BackfillEvent['type'];

export interface BackfillJob {
  readonly id: string;
  status(): JobStatus;
  /** Settles when every shard is completed, known empty or failed; never rejects. */
  readonly done: Promise<JobStatus>;
}

export interface BackfillCoordinator {
  /**
   * Registers a job; its shards start (or join in-flight fetches) at once. A job over the size
   * caps (bars, shards) is refused with InvalidRequestError naming the field and the limit,
   * before any shard is built.
   */
  submit(request: BackfillRequest): BackfillJob;
  /** Status of a job, or undefined for an unknown id. */
  job(id: string): JobStatus | undefined;
  /** Jobs newest first (bounded history). */
  jobs(): JobStatus[];
  /** Each shard of a job, or undefined for an unknown id. */
  shards(jobId: string): ShardStatus[] | undefined;
  /** Waits for a job; rejects with AbortedError when `signal` fires (the job keeps going). */
  wait(id: string, signal?: AbortSignal): Promise<JobStatus>;
  /** Receives every event of the `seamless.backfill` stream; returns the unsubscribe function. */
  subscribe(listener: (event: BackfillEvent) => void): () => void;
  /** Stops taking work, aborts in-flight fetches and waits for them to settle. */
  close(): Promise<void>;
}
