/**
 * The in-process coordinator: cuts a request's ranges into aligned shards, runs each shard at
 * most once at a time (single flight: a second request for an in-flight shard joins it), bounds
 * concurrent upstream fetches, and tracks jobs. Fencing tokens grow strictly per process and
 * across restarts (they start from the wall clock in microseconds), so storage can reject the
 * write of a fetch that was superseded.
 */
import { randomUUID } from 'node:crypto';
import { AbortedError, NotFoundError, abortable, formatInterval, shardsCovering } from '../core/index.js';
import type { Clock, TimeRange } from '../core/index.js';
import type { Logger, SeamlessMetrics } from '../observability/index.js';
import type {
  BackfillCoordinator, BackfillEvent, BackfillJob, BackfillRequest, BackfillTarget, JobState, JobStatus, ShardState, ShardStatus,
} from './coordinator.js';
import type { ShardFetcher, ShardOutcome } from './shard-fetcher.js';
import { shardKey } from './shard-key.js';
import { notifyListeners } from './event-listeners.js';
import { DEFAULT_JOB_LIMITS, checkJobSize } from './job-limits.js';
import type { JobLimits } from './job-limits.js';

export interface InProcessCoordinatorOptions {
  readonly fetchShard: ShardFetcher;
  readonly barsPerShard: number;
  readonly concurrency: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: SeamlessMetrics;
  /** Finished jobs kept for status queries. */
  readonly jobHistory?: number;
  /** Size caps of one job (default DEFAULT_JOB_LIMITS). */
  readonly limits?: JobLimits;
}

interface ShardRun {
  readonly key: string;
  readonly target: BackfillTarget;
  readonly range: TimeRange;
  state: ShardState;
  attempts: number;
  readonly listeners: ((outcome: ShardOutcome | undefined, error: string | undefined) => void)[];
}

interface JobShard {
  readonly key: string;
  readonly range: TimeRange;
  /** The run while it is in flight: its state (pending → leased) is read live. */
  run: ShardRun | undefined;
  state: ShardState;
  attempts: number;
  rowsWritten: number;
  readonly joined: boolean;
  error: string | undefined;
}

const TERMINAL: ReadonlySet<ShardState> = new Set(['completed', 'failed', 'known_empty']);

function liveState(s: JobShard): ShardState {
  return s.run ? s.run.state : s.state;
}

class Job implements BackfillJob {
  readonly id: string;
  readonly done: Promise<JobStatus>;
  readonly createdAt: number;
  finishedAt: number | undefined;
  readonly shards: JobShard[] = [];
  #resolve: (s: JobStatus) => void = () => undefined;

  constructor(readonly target: BackfillTarget, createdAt: number) {
    this.id = `job_${randomUUID()}`;
    this.createdAt = createdAt;
    this.finishedAt = undefined;
    this.done = new Promise<JobStatus>((resolve) => { this.#resolve = resolve; });
  }

  get finished(): boolean {
    return this.finishedAt !== undefined;
  }

  settleIfDone(now: number): boolean {
    if (this.finished) return false;
    for (const s of this.shards) if (!TERMINAL.has(s.state)) return false;
    this.finishedAt = now;
    this.#resolve(this.status());
    return true;
  }

  status(): JobStatus {
    const counts: Record<ShardState, number> = { pending: 0, leased: 0, completed: 0, failed: 0, known_empty: 0 };
    let rows = 0;
    const errors: { shard: string; start: number; end: number; reason: string }[] = [];
    for (const s of this.shards) {
      counts[liveState(s)]++;
      rows += s.rowsWritten;
      if (s.state === 'failed') errors.push({ shard: s.key, start: s.range.start, end: s.range.end, reason: s.error ?? 'unknown' });
    }
    const total = this.shards.length;
    const ratio = total === 0 ? 1 : (counts.completed + counts.known_empty) / total;
    let state: JobState = 'running';
    if (this.finished) state = counts.failed > 0 ? 'failed' : 'completed';
    return {
      id: this.id,
      nodeId: this.target.dataset.nodeId,
      intervalMs: this.target.dataset.intervalMs,
      state,
      createdAt: this.createdAt,
      finishedAt: this.finishedAt,
      shards: counts,
      totalShards: total,
      completionRatio: ratio,
      rowsWritten: rows,
      errors,
    };
  }

  shardStatuses(): ShardStatus[] {
    return this.shards.map((s) => ({
      key: s.key, start: s.range.start, end: s.range.end, state: liveState(s), attempts: s.attempts,
      rowsWritten: s.rowsWritten, joined: s.joined, ...(s.error !== undefined ? { error: s.error } : {}),
    }));
  }
}

export function createInProcessCoordinator(options: InProcessCoordinatorOptions): BackfillCoordinator {
  const { fetchShard, clock, logger, metrics } = options;
  const historyLimit = options.jobHistory ?? 1000;
  const runs = new Map<string, ShardRun>();
  const queue: ShardRun[] = [];
  /** Shards a waiting read needs: started before any of `queue`. */
  const readQueue: ShardRun[] = [];
  const jobs = new Map<string, Job>();
  const listeners = new Set<(e: BackfillEvent) => void>();
  const controller = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let active = 0;
  let closed = false;
  // Strictly increasing fencing tokens, also across restarts: wall-clock µs, bumped when equal.
  let lastToken = 0;
  const nextToken = (): number => {
    lastToken = Math.max(lastToken + 1, clock.now() * 1000);
    return lastToken;
  };

  function emit(event: BackfillEvent): void {
    notifyListeners(listeners, event, logger);
  }

  function pump(): void {
    while (!closed && active < options.concurrency && (readQueue.length > 0 || queue.length > 0)) {
      const run = (readQueue.length > 0 ? readQueue.shift() : queue.shift()) as ShardRun;
      active++;
      metrics?.backfillShardsInFlight.set(active);
      const p = execute(run).finally(() => {
        active--;
        metrics?.backfillShardsInFlight.set(active);
        inFlight.delete(p);
        pump();
      });
      inFlight.add(p);
    }
  }

  async function execute(run: ShardRun): Promise<void> {
    const { dataset } = run.target;
    const token = nextToken();
    run.state = 'leased';
    emit({ type: 'claimed', shard: run.key, nodeId: dataset.nodeId, intervalMs: dataset.intervalMs, start: run.range.start, end: run.range.end, token, at: clock.now() });
    let outcome: ShardOutcome | undefined;
    let error: string | undefined;
    const labels = { node_id: dataset.nodeId, interval: formatInterval(dataset.intervalMs) };
    try {
      outcome = await fetchShard({ key: run.key, target: run.target, range: run.range }, { key: run.key, token }, controller.signal);
      run.state = outcome.state;
      run.attempts = outcome.attempts;
      if (outcome.fetched) metrics?.backfillShardsFetched.inc(labels);
      if (outcome.rowsWritten > 0) metrics?.backfillRowsWritten.inc(labels, outcome.rowsWritten);
      if (outcome.state === 'failed') {
        error = outcome.error ?? 'unknown';
        metrics?.backfillShardsFailed.inc(labels);
        emit({ type: 'failed', shard: run.key, nodeId: dataset.nodeId, intervalMs: dataset.intervalMs, attempts: outcome.attempts, reason: error, final: true, at: clock.now() });
        logger.warn({ shard: run.key, reason: error, attempts: outcome.attempts }, 'shard failed');
      } else {
        emit({ type: 'completed', shard: run.key, nodeId: dataset.nodeId, intervalMs: dataset.intervalMs, start: run.range.start, end: run.range.end, rowsWritten: outcome.rowsWritten, state: outcome.state, at: clock.now() });
        logger.info({ shard: run.key, rows: outcome.rowsWritten, state: outcome.state, fetched: outcome.fetched }, 'shard completed');
      }
    } catch (e) {
      // Only an abort (coordinator closing) or a storage failure outside the retry loop lands here.
      run.state = 'failed';
      error = e instanceof Error ? e.message : String(e);
      if (!(e instanceof AbortedError)) {
        metrics?.backfillShardsFailed.inc(labels);
        emit({ type: 'failed', shard: run.key, nodeId: dataset.nodeId, intervalMs: dataset.intervalMs, attempts: run.attempts, reason: error, final: true, at: clock.now() });
        logger.warn({ shard: run.key, reason: error }, 'shard failed');
      }
    } finally {
      runs.delete(run.key);
    }
    for (const l of run.listeners) l(outcome, error);
  }

  function attach(job: Job, run: ShardRun, joined: boolean): void {
    const js: JobShard = { key: run.key, range: run.range, run, state: run.state, attempts: 0, rowsWritten: 0, joined, error: undefined };
    job.shards.push(js);
    run.listeners.push((outcome, error) => {
      js.run = undefined;
      if (outcome) {
        js.state = outcome.state;
        js.attempts = outcome.attempts;
        // A joined job did not write these rows; counting them once keeps totals honest.
        js.rowsWritten = joined ? 0 : outcome.rowsWritten;
        js.error = outcome.error;
      } else {
        js.state = 'failed';
        js.attempts = run.attempts;
        js.error = error;
      }
      finishIfDone(job);
    });
  }

  function finishIfDone(job: Job): void {
    if (!job.settleIfDone(clock.now())) return;
    const status = job.status();
    const labels = { node_id: job.target.dataset.nodeId, interval: formatInterval(job.target.dataset.intervalMs) };
    for (const s of job.shards) metrics?.backfillShardsTotal.inc({ ...labels, outcome: s.state });
    metrics?.backfillJobsRunning.dec(labels);
    metrics?.backfillJobsTotal.inc({ ...labels, state: status.state });
    emit({ type: 'job_completed', jobId: job.id, state: status.state, completionRatio: status.completionRatio, at: clock.now() });
    trimHistory();
  }

  function trimHistory(): void {
    if (jobs.size <= historyLimit) return;
    for (const [id, job] of jobs) {
      if (jobs.size <= historyLimit) break;
      if (job.finished) jobs.delete(id);
    }
  }

  return {
    submit(request: BackfillRequest): BackfillJob {
      if (closed) throw new AbortedError('coordinator closed');
      const { target } = request;
      const size = checkJobSize(request.ranges, target.dataset.intervalMs, options.barsPerShard, options.limits ?? DEFAULT_JOB_LIMITS);
      const job = new Job(target, clock.now());
      jobs.set(job.id, job);
      metrics?.backfillJobsRunning.inc({ node_id: target.dataset.nodeId, interval: formatInterval(target.dataset.intervalMs) });
      const seen = new Set<string>();
      for (const range of size.ranges) {
        for (const shard of shardsCovering(range, target.dataset.intervalMs, options.barsPerShard)) {
          const key = shardKey(target.dataset, shard);
          if (seen.has(key)) continue;
          seen.add(key);
          const existing = runs.get(key);
          if (existing) {
            attach(job, existing, true);
            metrics?.backfillShardsJoined.inc({ node_id: target.dataset.nodeId, interval: formatInterval(target.dataset.intervalMs) });
            emit({ type: 'joined', shard: key, jobId: job.id, at: clock.now() });
            continue;
          }
          const run: ShardRun = { key, target, range: shard, state: 'pending', attempts: 0, listeners: [] };
          runs.set(key, run);
          attach(job, run, false);
          (request.priority === 'read' ? readQueue : queue).push(run);
        }
      }
      logger.info({ job: job.id, nodeId: target.dataset.nodeId, intervalMs: target.dataset.intervalMs, shards: job.shards.length, requestedBy: request.requestedBy }, 'backfill job submitted');
      finishIfDone(job);
      pump();
      return job;
    },

    job(id: string): JobStatus | undefined {
      return jobs.get(id)?.status();
    },

    shards(id: string): ShardStatus[] | undefined {
      return jobs.get(id)?.shardStatuses();
    },

    jobs(): JobStatus[] {
      return [...jobs.values()].reverse().map((j) => j.status());
    },

    wait(id, signal) {
      const job = jobs.get(id);
      if (!job) return Promise.reject(new NotFoundError('backfill job', id));
      // Only the wait is abortable: the job goes on for everyone else.
      return abortable(job.done, signal);
    },

    subscribe(listener: (e: BackfillEvent) => void): () => void {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      controller.abort(new AbortedError('coordinator closed'));
      // Queued runs never started: settle their jobs as failed so no waiter hangs.
      for (const run of [...readQueue.splice(0), ...queue.splice(0)]) {
        run.state = 'failed';
        runs.delete(run.key);
        for (const l of run.listeners) l(undefined, 'coordinator closed');
      }
      await Promise.allSettled([...inFlight]);
      listeners.clear();
    },
  };
}
