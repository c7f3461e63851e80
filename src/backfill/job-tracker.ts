/**
 * Job progress for the distributed coordinator: the newest record of every shard this process
 * has seen (from its own lease operations and from the store's watch, so changes made by other
 * processes count too), and the jobs that reference them. A job is done when every shard is
 * completed, known empty or failed; a job still running when the coordinator closes is settled
 * `interrupted` (its shards stay in the lease store, and the next start resumes it).
 *
 * A job's `rowsWritten` counts only rows written for it: a shard already completed (or known
 * empty) when the job was created counts 0 — the record this process held then, or, for a record
 * first seen later (recovery at start, another process), one last changed before the job's
 * `createdAt`; any other shard, joined ones included, counts the rows its record says it wrote.
 */
import type { Clock } from '../core/index.js';
import type { JobState, JobStatus, ShardState, ShardStatus } from './coordinator.js';
import type { JobRecord, ShardRecord } from './lease-store.js';

const TERMINAL: ReadonlySet<ShardState> = new Set(['completed', 'failed', 'known_empty']);
/** Shards whose range is settled in storage: one found so when a job is created was not written for it. */
const STORED: ReadonlySet<ShardState> = new Set(['completed', 'known_empty']);

export interface TrackedJob {
  readonly record: JobRecord;
  readonly done: Promise<JobStatus>;
  status(): JobStatus;
  shardStatuses(): ShardStatus[];
}

export interface JobTracker {
  /**
   * Starts tracking a job; `joined` names shards another job had already started. `recovered`:
   * the job was read back from the store at start, so the shard records held now may hold its own
   * work (only their `updatedAt` tells what was stored before the job).
   */
  track(record: JobRecord, joined: ReadonlySet<string>, options?: { readonly recovered?: boolean }): TrackedJob;
  /** Records a shard's newest state (ignores records older than the one held). */
  update(record: ShardRecord): void;
  /** Settles a job as failed without its shards finishing (the store could not register it). */
  abandon(jobId: string, reason: string): void;
  /** Settles every running job as `interrupted` (the coordinator is closing), shard states as they are. */
  interrupt(): void;
  job(id: string): TrackedJob | undefined;
  jobs(): TrackedJob[];
  /** Jobs that include the shard. */
  containing(key: string): TrackedJob[];
  shard(key: string): ShardRecord | undefined;
}

/**
 * `reopens` tells whether registering a job re-opens an existing shard record (the store's
 * reopenShard: `failed`, or a known-empty word due for its re-check); such a shard counts as
 * pending for the new job until its newer record arrives. Default: `failed` only.
 */
export function createJobTracker(
  clock: Clock, onFinished: (job: TrackedJob, status: JobStatus) => void, history = 1000,
  reopens: (shard: ShardRecord, now: number) => boolean = (shard) => shard.state === 'failed',
): JobTracker {
  const shards = new Map<string, ShardRecord>();
  const jobs = new Map<string, Job>();
  const byShard = new Map<string, Set<Job>>();

  class Job implements TrackedJob {
    readonly done: Promise<JobStatus>;
    finishedAt: number | undefined = undefined;
    abandoned: string | undefined = undefined;
    interrupted = false;
    /** Shard records already completed or known empty when the job was created (they count 0 rows). */
    readonly #before = new Map<string, ShardRecord>();
    /**
     * Shard records already failed when the job was created: registering the job reopens them
     * (reensureShard), so until a newer record arrives they count as pending, not as this job's failure.
     */
    readonly #reopening = new Map<string, ShardRecord>();
    #resolve: (s: JobStatus) => void = () => undefined;

    constructor(readonly record: JobRecord, readonly joined: ReadonlySet<string>, recovered: boolean) {
      this.done = new Promise<JobStatus>((resolve) => { this.#resolve = resolve; });
      if (recovered) return;
      for (const key of record.shardKeys) {
        const held = shards.get(key);
        if (held && STORED.has(held.state)) this.#before.set(key, held);
        if (held && reopens(held, clock.now())) this.#reopening.set(key, held);
      }
    }

    /** Rows the shard's record wrote for this job (see the file comment). */
    rowsFor(key: string): number {
      const s = shards.get(key);
      if (s === undefined || this.#before.get(key) === s) return 0;
      if (STORED.has(s.state) && s.updatedAt < this.record.createdAt) return 0;
      return s.rowsWritten;
    }

    stateOf(key: string): ShardState {
      const held = shards.get(key);
      // Until a record newer than the one it re-opens arrives (a copy of the same record, e.g. an
      // earlier job's registration answered late, is not newer).
      const reopening = this.#reopening.get(key);
      const state = held !== undefined && reopening !== undefined && !isOlder(reopening, held) ? 'pending' : held?.state;
      // An abandoned job's unfinished shards count as failed (with the abandon reason).
      if (this.abandoned !== undefined && (state === undefined || !TERMINAL.has(state))) return 'failed';
      return state ?? 'pending';
    }

    get settled(): boolean {
      return this.finishedAt !== undefined || this.interrupted;
    }

    settleIfDone(): void {
      if (this.settled) return;
      if (this.abandoned === undefined) for (const k of this.record.shardKeys) if (!TERMINAL.has(this.stateOf(k))) return;
      this.finishedAt = clock.now();
      this.#settle();
    }

    interrupt(): void {
      if (this.settled) return;
      this.interrupted = true;
      this.#settle();
    }

    #settle(): void {
      const status = this.status();
      this.#resolve(status);
      onFinished(this, status);
    }

    status(): JobStatus {
      const counts: Record<ShardState, number> = { pending: 0, leased: 0, completed: 0, failed: 0, known_empty: 0 };
      let rows = 0;
      const errors: { shard: string; start: number; end: number; reason: string }[] = [];
      for (const key of this.record.shardKeys) {
        const s = shards.get(key);
        const state = this.stateOf(key);
        counts[state]++;
        rows += this.rowsFor(key);
        if (state === 'failed') errors.push({ shard: key, start: s?.start ?? 0, end: s?.end ?? 0, reason: (s?.state === 'failed' ? s.lastError : this.abandoned) ?? s?.lastError ?? 'unknown' });
      }
      const total = this.record.shardKeys.length;
      let state: JobState = 'running';
      if (this.interrupted) state = 'interrupted';
      else if (this.finishedAt !== undefined) state = counts.failed > 0 || this.abandoned !== undefined ? 'failed' : 'completed';
      return {
        id: this.record.id,
        nodeId: this.record.nodeId,
        intervalMs: this.record.intervalMs,
        state,
        createdAt: this.record.createdAt,
        finishedAt: this.finishedAt,
        shards: counts,
        totalShards: total,
        completionRatio: total === 0 ? 1 : (counts.completed + counts.known_empty) / total,
        rowsWritten: rows,
        errors,
      };
    }

    shardStatuses(): ShardStatus[] {
      return this.record.shardKeys.map((key) => {
        const s = shards.get(key);
        return {
          key, start: s?.start ?? 0, end: s?.end ?? 0, state: this.stateOf(key), attempts: s?.attempts ?? 0,
          rowsWritten: this.rowsFor(key), joined: this.joined.has(key), ...(s?.lastError ? { error: s.lastError } : {}),
          ...(s?.knownEmpty ? { knownEmpty: s.knownEmpty } : {}),
        };
      });
    }
  }

  function trim(): void {
    if (jobs.size <= history) return;
    for (const [id, job] of jobs) {
      if (jobs.size <= history) break;
      if (!job.settled) continue;
      jobs.delete(id);
      for (const key of job.record.shardKeys) byShard.get(key)?.delete(job);
    }
  }

  return {
    track(record, joined, options = {}) {
      const existing = jobs.get(record.id);
      if (existing) return existing;
      const job = new Job(record, joined, options.recovered === true);
      jobs.set(record.id, job);
      for (const key of record.shardKeys) {
        let set = byShard.get(key);
        if (!set) byShard.set(key, (set = new Set()));
        set.add(job);
      }
      job.settleIfDone();
      trim();
      return job;
    },

    update(record) {
      const held = shards.get(record.key);
      if (held && isOlder(record, held)) return;
      shards.set(record.key, record);
      const set = byShard.get(record.key);
      if (set) for (const job of set) job.settleIfDone();
    },

    abandon(jobId, reason) {
      const job = jobs.get(jobId);
      if (!job || job.settled) return;
      job.abandoned = reason;
      job.settleIfDone();
    },

    interrupt() {
      for (const job of jobs.values()) job.interrupt();
    },

    job: (id) => jobs.get(id),
    jobs: () => [...jobs.values()].reverse(),
    containing: (key) => [...(byShard.get(key) ?? [])],
    shard: (key) => shards.get(key),
  };
}

/**
 * Whether `record` is older than the record `held` for the same shard. Tokens only grow. Within
 * one token the grant ends once: a grant that ended (completed, known empty, failed, re-queued) is
 * never leased again, whatever the timestamps say — a heartbeat stamped after the completion was
 * stamped can commit before it (each writer's `now` is taken before its write), and the held
 * `leased` record would then hide the completion for good. Otherwise `updatedAt` orders them.
 */
function isOlder(record: ShardRecord, held: ShardRecord): boolean {
  if (held.token !== record.token) return held.token > record.token;
  if (held.state === 'leased' && record.state !== 'leased') return false;
  if (held.state !== 'leased' && record.state === 'leased') return true;
  return held.updatedAt > record.updatedAt;
}
