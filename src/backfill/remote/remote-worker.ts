/**
 * A `seamless worker` process's loops: each asks the coordinator for the next shard (long-poll),
 * heartbeats the lease while it fetches the shard's closed range from the upstream, normalises
 * the rows exactly as the in-process fetcher does (prepareBatch), uploads rows and coverage under
 * the lease's fencing token, and ends the lease with complete — or with fail, marked retryable
 * as the source's error is, so the coordinator's backoff and attempt limit decide what happens.
 *
 * A heartbeat answered stale means another worker owns the shard now: the fetch is aborted and
 * the worker stands down (a `lost` event); a write that still raced through is refused by the
 * fence. A killed worker simply stops heartbeating: its lease expires and the shard is re-queued.
 * The worker owns no storage: it never opens the data directory.
 */
import { RETRY_POLICIES, alignDown, backoffDelay, delay, formatInterval, isRetryable, isSeamlessError, toSeamlessError } from '../../core/index.js';
import type { Clock, RetryPolicy, SeamlessError } from '../../core/index.js';
import { endSpan } from '../../observability/index.js';
import type { Logger, SeamlessMetrics, Tracing } from '../../observability/index.js';
import type { SourceBatch } from '../../sources/index.js';
import type { BackfillTarget } from '../coordinator.js';
import type { ShardCompletion, ShardUpload } from '../lease-authority.js';
import type { ShardSpec } from '../lease-store.js';
import { prepareBatch } from '../shard-fetcher.js';
import { startShardSpan } from '../shard-span.js';
import type { ShardTrace } from '../shard-span.js';

/** A lease on one shard, as the coordinator grants it to a worker. */
export interface RemoteLease {
  readonly key: string;
  readonly token: number;
  readonly leaseUntil: number;
  readonly shard: ShardSpec;
  /** The trace of the read whose job wants the shard: this worker's shard span continues it. */
  readonly trace?: ShardTrace;
}

/**
 * What a worker needs of the coordinator. `createCoordinatorClient` implements it over HTTP; the
 * in-process LeaseAuthority satisfies it too (tests run workers against it directly).
 */
export interface WorkerCoordinator {
  /** Where the coordinator is (for logs), when it is remote. */
  readonly baseUrl?: string;
  /** The next claimable shard leased to `worker`, waiting up to `waitMs`; undefined when none. */
  nextShard(worker: string, leaseMs: number, waitMs: number, signal?: AbortSignal): Promise<RemoteLease | undefined>;
  /** StaleLeaseError when the token is no longer the shard's current grant. */
  heartbeat(key: string, token: number, leaseMs: number): Promise<{ readonly leaseUntil: number }>;
  /** A `known_empty` result carries the upstream's evidence (the coordinator refuses it otherwise). */
  complete(key: string, token: number, result?: ShardCompletion): Promise<{ readonly completionRatio: number }>;
  fail(key: string, token: number, reason: string, retryable: boolean): Promise<{ readonly completionRatio: number }>;
  /** StaleFencingTokenError when a newer lease was granted for the shard. */
  writeShard(key: string, token: number, upload: ShardUpload): Promise<{ readonly rowsWritten: number }>;
}

export type RemoteWorkerEvent =
  | { readonly type: 'claimed'; readonly worker: string; readonly shard: ShardSpec; readonly token: number }
  | { readonly type: 'completed'; readonly worker: string; readonly shard: ShardSpec; readonly token: number; readonly state: 'completed' | 'known_empty'; readonly rowsWritten: number; readonly ms: number }
  | { readonly type: 'failed'; readonly worker: string; readonly shard: ShardSpec; readonly token: number; readonly reason: string; readonly retryable: boolean }
  | { readonly type: 'lost'; readonly worker: string; readonly shard: ShardSpec; readonly token: number; readonly cause: SeamlessError };

export interface RemoteWorkerOptions {
  readonly client: WorkerCoordinator;
  /** This process's name in leases; loop `n` of `concurrency` > 1 holds leases as `<workerId>/<n>`. */
  readonly workerId: string;
  readonly concurrency: number;
  /** Source and schema of a dataset, from this process's configuration. */
  readonly resolveTarget: (nodeId: string, intervalMs: number) => BackfillTarget | undefined;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  /** How long one nextShard call waits for work (long-poll). */
  readonly waitMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: SeamlessMetrics;
  /** Spans of the shards this worker leases, in the trace of the read that asked (when it was traced). */
  readonly tracing?: Tracing;
  /** Progress, one event per lease step (the CLI prints them). */
  readonly onEvent?: (event: RemoteWorkerEvent) => void;
  /** Pause between attempts to reach an unreachable coordinator. */
  readonly reconnect?: RetryPolicy;
}

export interface RemoteWorker {
  /** Stops asking for shards, aborts running fetches, waits for the loops to end. Unfinished leases expire at the coordinator. */
  stop(): Promise<void>;
}

/** Floor of the reconnect pause: full jitter may draw 0, which would spin against a dead coordinator. */
const MIN_RECONNECT_MS = 100;
/** While the coordinator stays unreachable with the same reason, it is said again at most this often. */
const OUTAGE_REMINDER_MS = 60_000;

export function startRemoteWorker(o: RemoteWorkerOptions): RemoteWorker {
  const { client, clock, logger, metrics } = o;
  const stopping = new AbortController();
  const signal = stopping.signal;
  const reconnect = o.reconnect ?? RETRY_POLICIES.coordinatorReconnect;
  let inflight = 0;
  const where = client.baseUrl ?? 'the coordinator';
  // One outage for all the loops: one line when it starts (and when its reason changes, or a
  // reminder a minute on), one when it ends; the pause grows with the failures of every loop.
  const outage = { failures: 0, since: 0, reason: '', saidAt: 0 };

  function coordinatorFailed(me: string, error: unknown): number {
    const reason = toSeamlessError(error).message;
    const now = clock.now();
    if (outage.failures === 0) outage.since = now;
    outage.failures++;
    const pause = MIN_RECONNECT_MS + backoffDelay(reconnect, Math.min(outage.failures, 20));
    if (outage.failures === 1 || reason !== outage.reason || now - outage.saidAt >= OUTAGE_REMINDER_MS) {
      // The reason says it all (refused, timed out, HTTP 503): a stack per slot per retry says nothing more.
      logger.warn({ worker: me, coordinator: where, reason, attempts: outage.failures, retryInMs: pause }, `cannot get work from the coordinator at ${where}: ${reason}; retrying with backoff`);
      outage.reason = reason;
      outage.saidAt = now;
    }
    return pause;
  }

  function coordinatorAnswered(): void {
    if (outage.failures === 0) return;
    logger.info({ coordinator: where, attempts: outage.failures, downMs: clock.now() - outage.since }, `the coordinator at ${where} answers again`);
    outage.failures = 0;
    outage.reason = '';
  }

  function emit(event: RemoteWorkerEvent): void {
    try {
      o.onEvent?.(event);
    } catch (error) {
      logger.error({ err: error, event: event.type }, 'remote worker event listener threw');
    }
  }

  async function loop(n: number): Promise<void> {
    const me = o.concurrency > 1 ? `${o.workerId}/${n}` : o.workerId;
    while (!signal.aborted) {
      let lease: RemoteLease | undefined;
      try {
        lease = await client.nextShard(me, o.leaseMs, o.waitMs, signal);
        coordinatorAnswered();
        metrics?.coordinatorUp.set({ backend: 'remote' }, 1);
      } catch (error) {
        if (signal.aborted) return;
        metrics?.coordinatorUp.set({ backend: 'remote' }, 0);
        await delay(coordinatorFailed(me, error), signal).catch(() => undefined);
        continue;
      }
      if (lease !== undefined) await runLease(lease, me);
    }
  }

  /** Runs one lease to its end; never rejects (every outcome is logged and emitted). */
  async function runLease(lease: RemoteLease, me: string): Promise<void> {
    const { key, token, shard } = lease;
    const labels = { node_id: shard.nodeId, interval: formatInterval(shard.intervalMs) };
    const grantedAt = clock.now();
    emit({ type: 'claimed', worker: me, shard, token });
    inflight++;
    metrics?.backfillInflight.set(inflight);
    // Aborted when the lease is lost (a stale heartbeat) or the worker stops: ends the fetch.
    const lost = new AbortController();
    const onStop = (): void => lost.abort(signal.reason);
    signal.addEventListener('abort', onStop, { once: true });
    const span = startShardSpan(o.tracing, shard, token, me, lease.trace);
    const beat = setInterval(() => {
      client.heartbeat(key, token, o.leaseMs).then(() => undefined, (error: unknown) => {
        if (isSeamlessError(error) && error.code === 'conflict') {
          logger.warn({ shard: key, token, reason: error.message }, 'lease lost; abandoning the fetch');
          lost.abort(error);
        } else {
          logger.warn({ shard: key, token, coordinator: where, reason: toSeamlessError(error).message }, 'heartbeat failed; will try again');
        }
      });
    }, o.heartbeatMs);
    let failure: unknown;
    try {
      const done = await work(lease, me, lost.signal, labels);
      span?.setAttributes({ 'seamless.shard.state': done.state, 'seamless.shard.rows': done.rowsWritten, 'seamless.shard.upstream_rows': done.upstreamRows });
    } catch (error) {
      failure = error;
      const cause = isSeamlessError(lost.signal.reason) ? lost.signal.reason : toSeamlessError(error);
      if (cause.code === 'conflict') {
        logger.warn({ shard: key, token, reason: cause.message }, 'lease ended elsewhere; this worker stands down');
        emit({ type: 'lost', worker: me, shard, token, cause });
      } else if (!signal.aborted) {
        // The coordinator did not take the upload or the outcome (unreachable, refused): say so
        // if it listens; otherwise the lease expires and the shard is re-queued.
        logger.error({ shard: key, token, coordinator: where, reason: cause.message }, 'could not finish the shard at the coordinator');
        await client.fail(key, token, cause.message, cause.retryable).then(
          () => emit({ type: 'failed', worker: me, shard, token, reason: cause.message, retryable: cause.retryable }),
          (e: unknown) => logger.warn({ shard: key, token, coordinator: where, reason: toSeamlessError(e).message }, 'could not report the failure either; the lease will expire'),
        );
      }
    } finally {
      if (span) endSpan(span, failure);
      clearInterval(beat);
      signal.removeEventListener('abort', onStop);
      inflight--;
      metrics?.backfillInflight.set(inflight);
      metrics?.backfillLeaseSeconds.observe((clock.now() - grantedAt) / 1000);
    }
  }

  /** What one lease did, for its span. */
  interface LeaseOutcome {
    readonly state: 'completed' | 'known_empty' | 'failed';
    readonly rowsWritten: number;
    readonly upstreamRows: number;
  }

  async function work(lease: RemoteLease, me: string, lost: AbortSignal, labels: { node_id: string; interval: string }): Promise<LeaseOutcome> {
    const { key, token, shard } = lease;
    const startedAt = clock.now();
    const target = o.resolveTarget(shard.nodeId, shard.intervalMs);
    if (target === undefined) {
      const reason = `worker ${o.workerId} has no upstream source for ${shard.nodeId} ${formatInterval(shard.intervalMs)}`;
      await client.fail(key, token, reason, false);
      metrics?.backfillShardsTotal.inc({ ...labels, outcome: 'failed' });
      emit({ type: 'failed', worker: me, shard, token, reason, retryable: false });
      return { state: 'failed', rowsWritten: 0, upstreamRows: 0 };
    }
    // Only closed bars: the part of the shard after the last closed bar is left for later.
    const end = Math.min(shard.end, alignDown(clock.now(), shard.intervalMs));
    let rowsWritten = 0;
    let state: 'completed' | 'known_empty' = 'completed';
    let upstreamRows = 0;
    let evidence: ShardCompletion['evidence'];
    if (end > shard.start) {
      const range = { start: shard.start, end };
      let batch: SourceBatch;
      try {
        batch = await target.source.fetch({ nodeId: shard.nodeId, intervalMs: shard.intervalMs, range, signal: lost });
      } catch (error) {
        if (lost.aborted) throw error;
        const reason = isSeamlessError(error) ? error.message : String(error);
        const retryable = isRetryable(error);
        logger.warn({ shard: key, token, reason, retryable }, 'upstream fetch failed');
        await client.fail(key, token, reason, retryable);
        metrics?.backfillShardsTotal.inc({ ...labels, outcome: retryable ? 'retried' : 'failed' });
        emit({ type: 'failed', worker: me, shard, token, reason, retryable });
        return { state: 'failed', rowsWritten: 0, upstreamRows: 0 };
      }
      upstreamRows = batch.frame.length;
      metrics?.backfillUpstreamRows.inc(labels, upstreamRows);
      const prepared = prepareBatch(batch, range, target.dataset, clock.now(), logger, key);
      if (lost.aborted && isSeamlessError(lost.reason) && lost.reason.code === 'conflict') throw lost.reason;
      rowsWritten = (await client.writeShard(key, token, prepared)).rowsWritten;
      if (rowsWritten > 0) metrics?.backfillRowsWritten.inc(labels, rowsWritten);
      if (!prepared.stored) {
        state = 'known_empty';
        evidence = { source: target.source.name, start: range.start, end: range.end, checkedAt: clock.now() };
      }
    }
    await client.complete(key, token, { rowsWritten, state, ...(evidence ? { evidence } : {}) });
    metrics?.backfillShardsTotal.inc({ ...labels, outcome: state });
    emit({ type: 'completed', worker: me, shard, token, state, rowsWritten, ms: clock.now() - startedAt });
    return { state, rowsWritten, upstreamRows };
  }

  const loops: Promise<void>[] = [];
  for (let n = 0; n < o.concurrency; n++) loops.push(loop(n));
  return {
    async stop() {
      stopping.abort();
      await Promise.allSettled(loops);
    },
  };
}
