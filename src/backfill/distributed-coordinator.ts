/**
 * The distributed coordinator: the BackfillCoordinator the read path uses, over a LeaseStore
 * shared by any number of processes (embedded DuckDB for one process, etcd for a cluster).
 * A job is registered in the store and its aligned shards are created if absent, so overlapping
 * jobs anywhere share shards; workers — in this process (startLeaseWorkers) or remote (HTTP,
 * through `leaseAuthority`) — claim shards with leases and fencing tokens. A sweeper returns expired
 * leases to pending (stale claims); at start it does so at once (recovery), and jobs recorded in
 * the store are tracked again, so a restarted coordinator completes what was running.
 */
import { randomUUID } from 'node:crypto';
import { AbortedError, NotFoundError, abortable, delay, formatInterval, shardsCovering } from '../core/index.js';
import type { Clock, RetryPolicy, TimeRange } from '../core/index.js';
import type { IngestFinding } from '../conformance/index.js';
import type { Logger, SeamlessMetrics, Span, Tracing } from '../observability/index.js';
import type { BarStore, DatasetKey, Fence } from '../storage/index.js';
import type {
  BackfillCoordinator, BackfillEvent, BackfillJob, BackfillRequest, BackfillTarget,
} from './coordinator.js';
import type { LeaseAuthority } from './lease-authority.js';
import { createLeaseAuthority } from './lease-authority-impl.js';
import { createJobTracker } from './job-tracker.js';
import type { JobRecord, LeaseStore, OpaqueLeasePolicy, ShardRecord, ShardSpec } from './lease-store.js';
import { DEFAULT_OPAQUE_LEASE_GRACE_MS, DEFAULT_OPAQUE_LEASE_MAX_KEYS, KNOWN_EMPTY_RECHECK_MS, reopenShard } from './shard-transitions.js';
import { startLeaseWorkers } from './lease-worker.js';
import { shardTrace, startShardSpan } from './shard-span.js';
import type { LeaseWorkers } from './lease-worker.js';
import type { ShardFetcher } from './shard-fetcher.js';
import { shardKey } from './shard-key.js';
import { notifyListeners } from './event-listeners.js';
import { DEFAULT_JOB_LIMITS, checkJobSize } from './job-limits.js';
import type { JobLimits } from './job-limits.js';
import type { ShardSizer } from './shard-size.js';

export const DEFAULT_LEASE_MS = 15_000;
export const DEFAULT_HEARTBEAT_MS = 5_000;
/**
 * Shards registered per ensureShards call: each batch is recorded and wakes the workers, so the
 * first claim of a large job waits for one batch, not for the whole job.
 */
export const REGISTER_BATCH = 64;

export interface DistributedCoordinatorOptions {
  readonly leases: LeaseStore;
  readonly store: BarStore;
  readonly fetchShard: ShardFetcher;
  /** Source and schema of a dataset, for shards claimed by this process's workers. */
  readonly resolveTarget: (nodeId: string, intervalMs: number) => BackfillTarget | undefined;
  /** Bars per aligned shard: one size, or per interval (shard-size.ts, createShardSizer). */
  readonly barsPerShard: number | ShardSizer;
  /** Size caps of one job (default DEFAULT_JOB_LIMITS). */
  readonly limits?: JobLimits;
  readonly leaseMs?: number;
  readonly heartbeatMs?: number;
  /** How often expired leases are looked for. */
  readonly sweepMs?: number;
  /**
   * `leases` holds the fences of `store` (the embedded DuckDB database holds both): local claims
   * advance the fence in the claim's transaction (lease-worker.ts).
   */
  readonly claimFences?: boolean;
  /** Workers in this process (0: only remote workers fetch). */
  readonly localWorkers: number;
  readonly retry: RetryPolicy;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: SeamlessMetrics;
  /** This process's name in leases (`holder`). */
  readonly workerId?: string;
  /** Subscribed before start, so it also sees the recovery events of the first sweep. */
  readonly onEvent?: (event: BackfillEvent) => void;
  /** Ingest findings committed with rows that remote workers uploaded. */
  readonly onFindings?: (findings: readonly IngestFinding[]) => void;
  /** When enabled, each lease of a local worker is a span in the trace of the read that asked. */
  readonly tracing?: Tracing;
  /** Bound and expiry of wire-protocol lease keys no job created (default 10 000 keys, 60 s grace). */
  readonly opaqueLeases?: OpaqueLeasePolicy;
  /** A `known_empty` shard decided this long ago or longer is re-checked when a job wants it (default KNOWN_EMPTY_RECHECK_MS). */
  readonly knownEmptyRecheckMs?: number;
}

export interface DistributedCoordinator extends BackfillCoordinator {
  /** The lease authority over `leases`: the lease API remote workers and the HTTP routes use. */
  readonly leaseAuthority: LeaseAuthority;
  /**
   * Settles every running job as `failed` with `reason` (the storage under it failed, so its
   * shards could not even be marked failed). The shards stay as the store holds them: a restart
   * recovers them. Returns how many jobs it failed.
   */
  failRunning(reason: string): number;
  /**
   * Repair: every shard covering `range` (at this coordinator's shard size) is reset in the lease
   * store (LeaseStore.resetShards: `failed` with `reason`, token raised, lease ended), so no lease
   * holder's older write lands after the purge and the next job re-fetches them. Returns the
   * fences the purge carries into storage. A range over the job limits is refused like a job.
   */
  resetRange(dataset: DatasetKey, range: TimeRange, reason: string): Promise<Fence[]>;
}

export async function createDistributedCoordinator(o: DistributedCoordinatorOptions): Promise<DistributedCoordinator> {
  const leaseMs = o.leaseMs ?? DEFAULT_LEASE_MS;
  const heartbeatMs = o.heartbeatMs ?? Math.min(DEFAULT_HEARTBEAT_MS, Math.floor(leaseMs / 3));
  const sweepMs = o.sweepMs ?? Math.max(250, Math.floor(leaseMs / 4));
  const workerId = o.workerId ?? `coordinator-${randomUUID().slice(0, 8)}`;
  const { leases, clock, logger, metrics } = o;
  const opaqueLeases = o.opaqueLeases ?? { maxKeys: DEFAULT_OPAQUE_LEASE_MAX_KEYS, graceMs: DEFAULT_OPAQUE_LEASE_GRACE_MS };
  const ensureOptions = { knownEmptyRecheckMs: o.knownEmptyRecheckMs ?? KNOWN_EMPTY_RECHECK_MS };
  const listeners = new Set<(e: BackfillEvent) => void>(o.onEvent ? [o.onEvent] : []);
  const changeWaiters = new Set<() => void>();
  const stopping = new AbortController();
  let closed = false;
  /** Job registrations with the lease store still running (close waits for them). */
  const registrations = new Set<Promise<void>>();

  function emit(event: BackfillEvent): void {
    notifyListeners(listeners, event, logger);
  }

  // Jobs already finished when recovered at start finished before this process: they are not
  // counted, emitted or logged as finishing again.
  let recovering = false;
  // Declared before anything that may record a shard (recovery does, before the workers start).
  let workers: LeaseWorkers | undefined = undefined;
  const jobLabels = (r: JobRecord): { node_id: string; interval: string } => ({ node_id: r.nodeId, interval: formatInterval(r.intervalMs) });
  const tracker = createJobTracker(clock, (job, status) => {
    metrics?.backfillCompletionRatio.remove({ node_id: job.record.nodeId, interval: formatInterval(job.record.intervalMs), job: job.record.id });
    metrics?.backfillJobsRunning.dec(jobLabels(job.record));
    if (recovering) return;
    metrics?.backfillJobsTotal.inc({ ...jobLabels(job.record), state: status.state });
    if (status.state === 'interrupted') {
      // At close, after the workers stopped: reported now, while the listeners are still there.
      emit({ type: 'job_completed', jobId: status.id, state: status.state, completionRatio: status.completionRatio, at: clock.now() });
      logger.warn({ job: status.id, state: status.state, completionRatio: status.completionRatio, rows: status.rowsWritten }, 'backfill job interrupted by shutdown; its unfinished shards stay in the lease store and the next start resumes it');
      return;
    }
    // After the current turn: a store's watch may report the last shard before the worker has
    // emitted that shard's own event, and job_completed must come after it in the stream.
    setImmediate(() => {
      emit({ type: 'job_completed', jobId: status.id, state: status.state, completionRatio: status.completionRatio, at: clock.now() });
      logger.info({ job: status.id, state: status.state, completionRatio: status.completionRatio, rows: status.rowsWritten }, 'backfill job finished');
    });
  }, undefined, (shard, now) => reopenShard(shard, now, ensureOptions.knownEmptyRecheckMs) !== undefined);

  /** The tracker's update, counted in seamless_backfill_shards_in_state (opaque wire-protocol keys are not). */
  function update(shard: ShardRecord): void {
    const before = tracker.shard(shard.key)?.state;
    tracker.update(shard);
    const after = tracker.shard(shard.key)?.state;
    if (!metrics || before === after || shard.nodeId === '') return;
    const labels = { node_id: shard.nodeId, interval: formatInterval(shard.intervalMs) };
    if (before !== undefined) metrics.backfillShardsInState.dec({ ...labels, state: before });
    if (after !== undefined) metrics.backfillShardsInState.inc({ ...labels, state: after });
  }

  function record(shard: ShardRecord): void {
    update(shard);
    for (const job of tracker.containing(shard.key)) {
      const s = job.status();
      if (s.state === 'running') metrics?.backfillCompletionRatio.set({ node_id: s.nodeId, interval: formatInterval(s.intervalMs), job: s.id }, s.completionRatio);
    }
    if (shard.state === 'pending') {
      workers?.wake();
      const all = [...changeWaiters];
      changeWaiters.clear();
      for (const w of all) w();
    }
  }

  /** Resolves on the next pending shard anywhere, or after `ms`. */
  async function changeOrTimeout(ms: number, signal?: AbortSignal): Promise<void> {
    let wake = (): void => undefined;
    const woken = new Promise<void>((resolve) => { wake = resolve; });
    changeWaiters.add(wake);
    const timer = new AbortController();
    const stop = (): void => timer.abort();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      await Promise.race([woken, delay(ms, timer.signal).catch(() => undefined)]);
    } finally {
      timer.abort();
      changeWaiters.delete(wake);
      signal?.removeEventListener('abort', stop);
    }
  }

  async function sweep(reason: 'expired' | 'recovery'): Promise<void> {
    const now = clock.now();
    // The sweep doubles as the lease store's liveness probe (seamless_coordinator_up).
    const leased = await leases.leased().then((all) => {
      metrics?.coordinatorUp.set({ backend: leases.kind }, 1);
      return all;
    }, (error: unknown) => {
      metrics?.coordinatorUp.set({ backend: leases.kind }, 0);
      throw error;
    });
    for (const shard of leased) {
      if (shard.leaseUntil === null || shard.leaseUntil > now) continue;
      const back = await leases.requeueExpired(shard.key, now);
      if (!back) continue;
      metrics?.backfillStaleClaims.inc({ node_id: shard.nodeId, interval: formatInterval(shard.intervalMs) });
      emit({ type: 'expired', shard: shard.key, nodeId: shard.nodeId, intervalMs: shard.intervalMs, holder: shard.holder, token: shard.token, at: now });
      emit({ type: 'requeued', shard: shard.key, reason, at: now });
      logger.warn({ shard: shard.key, holder: shard.holder, token: shard.token }, reason === 'recovery' ? 'unfinished shard re-queued after restart' : 'stale claim: lease expired, shard re-queued');
      record(back);
    }
    await resyncLeased(leased);
    // Wire-protocol keys no job created are deleted once expired (lease-store.ts, pruneOpaque).
    const pruned = await leases.pruneOpaque(now, opaqueLeases.graceMs);
    if (pruned > 0) logger.debug({ pruned }, 'expired opaque lease keys deleted');
  }

  /**
   * Watches are hints: etcd's can lose changes (a watcher cancelled after a compaction re-attaches
   * at the current revision). A shard this process still sees `leased` that the store no longer
   * lists as leased changed unseen (completed, failed, re-queued): it is read again and recorded,
   * so its job does not wait for ever. Cheap: only shards leased in our view (about one per worker).
   */
  async function resyncLeased(fresh: readonly ShardRecord[]): Promise<void> {
    const leasedNow = new Set<string>();
    for (const shard of fresh) leasedNow.add(shard.key);
    const unseen: string[] = [];
    for (const job of tracker.jobs()) {
      if (job.status().state !== 'running') continue;
      for (const key of job.record.shardKeys) {
        if (!leasedNow.has(key) && tracker.shard(key)?.state === 'leased') unseen.push(key);
      }
    }
    if (unseen.length === 0) return;
    for (const shard of await leases.shards([...new Set(unseen)])) record(shard);
  }

  // Recovery: jobs the store remembers are tracked again, expired leases go back to pending.
  let finishedBefore = 0;
  try {
    for (const job of await leases.jobs(200)) {
      for (const shard of await leases.shards(job.shardKeys)) update(shard);
      metrics?.backfillJobsRunning.inc(jobLabels(job));
      recovering = true;
      if (tracker.track(job, new Set(), { recovered: true }).status().state !== 'running') finishedBefore++;
      recovering = false;
    }
    await sweep('recovery');
    const recovered = tracker.jobs().length;
    if (recovered > 0) logger.info({ jobs: recovered, finishedBefore }, 'backfill jobs recovered from the lease store');
  } catch (error) {
    recovering = false;
    logger.error({ err: error }, 'could not recover backfill state from the lease store; it will be retried by the sweeper');
  }
  const unwatch = leases.watch((change) => record(change.shard));
  const sweeper = (async () => {
    while (!stopping.signal.aborted) {
      await delay(sweepMs, stopping.signal).catch(() => undefined);
      if (stopping.signal.aborted) break;
      await sweep('expired').catch((error: unknown) => logger.warn({ err: error }, 'lease sweep failed; will retry'));
    }
  })();

  workers = o.localWorkers > 0
    ? startLeaseWorkers({
      // One more loop for `read` shards only: a read waits for no background shard to finish.
      count: o.localWorkers, readSlots: 1, workerId, leases, store: o.store, fetchShard: o.fetchShard, resolveTarget: o.resolveTarget,
      leaseMs, heartbeatMs, idleMs: sweepMs, retry: o.retry, clock, logger, metrics, emit, onRecord: record, claimFences: o.claimFences === true,
      ...(o.tracing?.enabled ? { traceShard } : {}),
    })
    : undefined;

  /** The span of a lease, in the trace of the newest job (of this process) that wants the shard. */
  function traceShard(shard: ShardRecord, token: number, worker: string): Span | undefined {
    return startShardSpan(o.tracing, shard, token, worker, shardTrace(tracker, shard.key));
  }

  const leaseAuthority = createLeaseAuthority({
    leases, store: o.store, tracker, resolveTarget: o.resolveTarget, maxAttempts: o.retry.maxAttempts, retry: o.retry,
    clock, emit, record, waitForChange: changeOrTimeout, opaqueLeases,
    onStale: (shard) => metrics?.backfillStaleClaims.inc({ node_id: shard.nodeId, interval: formatInterval(shard.intervalMs) }),
    ...(o.onFindings ? { onFindings: o.onFindings } : {}),
  });

  return {
    leaseAuthority,

    submit(request: BackfillRequest): BackfillJob {
      if (closed) throw new AbortedError('coordinator closed');
      const { dataset } = request.target;
      // Refused before any shard is built (job-limits.ts).
      const barsPerShard = typeof o.barsPerShard === 'number' ? o.barsPerShard : o.barsPerShard(dataset.intervalMs);
      const size = checkJobSize(request.ranges, dataset.intervalMs, barsPerShard, o.limits ?? DEFAULT_JOB_LIMITS);
      const priority = request.priority ?? 'background';
      const specs: ShardSpec[] = [];
      const seen = new Set<string>();
      for (const range of size.ranges) {
        for (const shard of shardsCovering(range, dataset.intervalMs, barsPerShard)) {
          const key = shardKey(dataset, shard);
          if (seen.has(key)) continue;
          seen.add(key);
          specs.push({ key, nodeId: dataset.nodeId, intervalMs: dataset.intervalMs, start: shard.start, end: shard.end, priority, rank: specs.length });
        }
      }
      const now = clock.now();
      const jobRecord: JobRecord = {
        id: `job_${randomUUID()}`, nodeId: dataset.nodeId, intervalMs: dataset.intervalMs,
        shardKeys: specs.map((s) => s.key), requestedBy: request.requestedBy ?? 'library', createdAt: now,
        ...(request.traceparent ? { traceparent: request.traceparent } : {}),
      };
      const joined = new Set<string>();
      for (const s of specs) {
        const state = tracker.shard(s.key)?.state;
        if (state === 'leased' || state === 'pending') {
          joined.add(s.key);
          emit({ type: 'joined', shard: s.key, jobId: jobRecord.id, at: now });
          metrics?.backfillShardsJoined.inc({ node_id: dataset.nodeId, interval: formatInterval(dataset.intervalMs) });
        }
      }
      metrics?.backfillJobsRunning.inc(jobLabels(jobRecord));
      const job = tracker.track(jobRecord, joined);
      logger.info({ job: jobRecord.id, nodeId: dataset.nodeId, intervalMs: dataset.intervalMs, shards: specs.length, bars: size.bars, priority, requestedBy: request.requestedBy }, 'backfill job submitted');
      const registration = (async () => {
        // The job with its first batch in one step where the store can (one commit for a small job).
        let from = 0;
        if (leases.createJobWithShards) {
          from = Math.min(REGISTER_BATCH, specs.length);
          for (const shard of await leases.createJobWithShards(jobRecord, priority, specs.slice(0, from), clock.now(), ensureOptions)) record(shard);
          workers?.wake();
        } else {
          await leases.createJob(jobRecord, priority);
        }
        // In batches: workers start on the first batch while the rest is registered.
        for (let i = from; i < specs.length && !closed; i += REGISTER_BATCH) {
          for (const shard of await leases.ensureShards(specs.slice(i, i + REGISTER_BATCH), clock.now(), ensureOptions)) record(shard);
          workers?.wake();
        }
      })().catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        logger.error({ job: jobRecord.id, err: error }, 'could not register the backfill job with the lease store');
        tracker.abandon(jobRecord.id, `lease store unavailable: ${reason}`);
      });
      registrations.add(registration);
      void registration.finally(() => registrations.delete(registration));
      return { id: jobRecord.id, status: () => job.status(), done: job.done };
    },

    job: (id) => tracker.job(id)?.status(),
    shards: (id) => tracker.job(id)?.shardStatuses(),
    jobs: () => tracker.jobs().map((j) => j.status()),

    wait(id, signal) {
      const job = tracker.job(id);
      if (!job) return Promise.reject(new NotFoundError('backfill job', id));
      // Only the wait is abortable: the job goes on for everyone else.
      return abortable(job.done, signal);
    },

    async resetRange(dataset, range, reason) {
      const barsPerShard = typeof o.barsPerShard === 'number' ? o.barsPerShard : o.barsPerShard(dataset.intervalMs);
      checkJobSize([range], dataset.intervalMs, barsPerShard, o.limits ?? DEFAULT_JOB_LIMITS);
      const specs: ShardSpec[] = [];
      for (const shard of shardsCovering(range, dataset.intervalMs, barsPerShard)) {
        specs.push({ key: shardKey(dataset, shard), nodeId: dataset.nodeId, intervalMs: dataset.intervalMs, start: shard.start, end: shard.end });
      }
      const records = await leases.resetShards(specs, reason, clock.now());
      for (const shard of records) record(shard);
      return records.map((r) => ({ key: r.key, token: r.token }));
    },

    failRunning(reason) {
      let failed = 0;
      for (const job of tracker.jobs()) {
        if (job.status().state !== 'running') continue;
        tracker.abandon(job.record.id, reason);
        failed++;
      }
      return failed;
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },

    async close() {
      if (closed) return;
      closed = true;
      stopping.abort();
      unwatch();
      await workers?.stop();
      await sweeper;
      // A registration in flight stops at its next batch; waited for, so the store is not closed
      // under it (that failed the job with "the store is closed" instead of interrupting it).
      await Promise.all(registrations);
      tracker.interrupt();
      listeners.clear();
    },
  };
}
