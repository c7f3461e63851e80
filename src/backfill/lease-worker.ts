/**
 * Workers inside a coordinator process: each loop claims a claimable shard from the lease
 * store, fences storage with the grant's token, heartbeats while it fetches, and ends the lease
 * with complete or fail (failures go back to pending with backoff until the attempt limit).
 * A worker that loses its lease (a heartbeat answers stale) aborts its fetch: its write, if any
 * were still in flight, is refused by storage's fencing check.
 */
import { backoffDelay, delay, formatInterval, isSeamlessError } from '../core/index.js';
import type { Clock, RetryPolicy } from '../core/index.js';
import type { Logger, SeamlessMetrics, Span } from '../observability/index.js';
import type { BarStore } from '../storage/index.js';
import type { BackfillEvent, BackfillTarget } from './coordinator.js';
import { StaleLeaseError } from './errors.js';
import type { LeaseStore, ShardRecord } from './lease-store.js';
import type { ShardFetcher } from './shard-fetcher.js';

export interface LeaseWorkerOptions {
  readonly count: number;
  /**
   * Extra loops that claim only `read` shards (default 0): a waiting read's shard is taken at once
   * even while every other loop is busy with a long background shard.
   */
  readonly readSlots?: number;
  readonly workerId: string;
  readonly leases: LeaseStore;
  readonly store: BarStore;
  readonly fetchShard: ShardFetcher;
  readonly resolveTarget: (nodeId: string, intervalMs: number) => BackfillTarget | undefined;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  /** How long an idle worker waits before looking again (a store change wakes it sooner). */
  readonly idleMs: number;
  readonly retry: RetryPolicy;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: SeamlessMetrics | undefined;
  readonly emit: (event: BackfillEvent) => void;
  readonly onRecord: (record: ShardRecord) => void;
  /** A span for the lease, continuing the trace of the read that created the shard's job. */
  readonly traceShard?: (shard: ShardRecord, token: number, worker: string) => Span | undefined;
}

export interface LeaseWorkers {
  /** Wakes idle workers (new claimable shards). */
  wake(): void;
  /** Stops claiming, aborts running fetches and waits for the loops to end. */
  stop(): Promise<void>;
}

export function startLeaseWorkers(o: LeaseWorkerOptions): LeaseWorkers {
  const controller = new AbortController();
  const signal = controller.signal;
  const waiting = new Set<() => void>();
  let inflight = 0;
  const wake = (): void => {
    const all = [...waiting];
    waiting.clear();
    for (const resolve of all) resolve();
  };

  /** Waits until woken or `idleMs` passes, whichever is first. */
  async function idle(): Promise<void> {
    let resolveWake = (): void => undefined;
    const woken = new Promise<void>((resolve) => { resolveWake = resolve; });
    waiting.add(resolveWake);
    const timer = new AbortController();
    const onStop = (): void => timer.abort();
    signal.addEventListener('abort', onStop, { once: true });
    try {
      await Promise.race([woken, delay(o.idleMs, timer.signal).catch(() => undefined)]);
    } finally {
      timer.abort(); // stops the delay's timer when the wake came first
      waiting.delete(resolveWake);
      signal.removeEventListener('abort', onStop);
    }
  }

  async function loop(n: number, readsOnly: boolean): Promise<void> {
    const me = `${o.workerId}/${n}`;
    while (!signal.aborted) {
      try {
        const grant = await claimNext(me, readsOnly);
        if (grant) await runLease(grant.shard, grant.token, grant.stale, grant.staleHolder, me);
        else await idle();
      } catch (error) {
        if (signal.aborted) return;
        o.logger.warn({ worker: me, err: error }, 'backfill worker error; retrying after a pause');
        await delay(o.idleMs, signal).catch(() => undefined);
      }
    }
  }

  async function claimNext(me: string, readsOnly: boolean): Promise<{ shard: ShardRecord; token: number; stale: boolean; staleHolder: string | null } | undefined> {
    const candidates = await o.leases.claimable(o.clock.now(), o.count * 4);
    for (const c of candidates) {
      if (signal.aborted) return undefined;
      // Claim order puts `read` shards first: the first background one ends a reserved loop's turn.
      if (readsOnly && c.priority !== 'read') return undefined;
      const r = await o.leases.claim(c.key, me, o.leaseMs, o.clock.now());
      if (r.granted) return { shard: r.shard, token: r.token, stale: r.stale, staleHolder: r.staleHolder };
    }
    return undefined;
  }

  async function runLease(shard: ShardRecord, token: number, stale: boolean, staleHolder: string | null, me: string): Promise<void> {
    const labels = { node_id: shard.nodeId, interval: formatInterval(shard.intervalMs) };
    const grantedAt = o.clock.now();
    o.onRecord(shard);
    if (stale) {
      o.metrics?.backfillStaleClaims.inc(labels);
      o.emit({ type: 'expired', shard: shard.key, nodeId: shard.nodeId, intervalMs: shard.intervalMs, holder: staleHolder, token: token - 1, at: grantedAt });
    }
    o.emit({ type: 'claimed', shard: shard.key, nodeId: shard.nodeId, intervalMs: shard.intervalMs, start: shard.start, end: shard.end, token, worker: me, at: grantedAt });
    inflight++;
    o.metrics?.backfillInflight.set(inflight);
    const span = o.traceShard?.(shard, token, me);
    const lease = new AbortController();
    const onStop = (): void => lease.abort(signal.reason);
    signal.addEventListener('abort', onStop, { once: true });
    const beat = setInterval(() => {
      o.leases.heartbeat(shard.key, token, o.leaseMs, o.clock.now()).then((r) => {
        o.emit({ type: 'heartbeat', shard: shard.key, token, leaseUntil: r.leaseUntil ?? 0, at: o.clock.now() });
      }, (error: unknown) => {
        if (error instanceof StaleLeaseError) {
          o.logger.warn({ shard: shard.key, token }, 'lease lost; abandoning the fetch');
          lease.abort(error);
        } else {
          o.logger.warn({ shard: shard.key, err: error }, 'heartbeat failed; will try again');
        }
      });
    }, o.heartbeatMs);
    try {
      const target = o.resolveTarget(shard.nodeId, shard.intervalMs);
      if (!target) {
        o.onRecord(await o.leases.fail(shard.key, token, { reason: `no upstream source for ${shard.nodeId} ${formatInterval(shard.intervalMs)} in this process`, final: true, notBefore: 0 }, o.clock.now()));
        return;
      }
      const fence = { key: shard.key, token };
      await o.store.advanceFence(fence);
      const outcome = await o.fetchShard({ key: shard.key, target, range: { start: shard.start, end: shard.end } }, fence, lease.signal);
      if (outcome.upstreamRows) o.metrics?.backfillUpstreamRows.inc(labels, outcome.upstreamRows);
      span?.setAttributes({ 'seamless.shard.state': outcome.state, 'seamless.shard.rows': outcome.rowsWritten, 'seamless.shard.upstream_rows': outcome.upstreamRows ?? 0 });
      if (outcome.rowsWritten > 0) o.metrics?.backfillRowsWritten.inc(labels, outcome.rowsWritten);
      if (outcome.rowsWritten > 0) o.emit({ type: 'rows_written', shard: shard.key, nodeId: shard.nodeId, intervalMs: shard.intervalMs, rows: outcome.rowsWritten, token, at: o.clock.now() });
      const now = o.clock.now();
      if (outcome.state === 'completed' || outcome.state === 'known_empty') {
        const evidence = outcome.state === 'known_empty' ? outcome.evidence : undefined;
        const done = await o.leases.complete(shard.key, token, { state: outcome.state, rowsWritten: outcome.rowsWritten, ...(evidence ? { evidence } : {}) }, now);
        o.metrics?.backfillShardsTotal.inc({ ...labels, outcome: outcome.state });
        // The shard's own event first: recording it may finish a job (job_completed comes last).
        o.emit({
          type: 'completed', shard: shard.key, nodeId: shard.nodeId, intervalMs: shard.intervalMs, start: shard.start, end: shard.end,
          rowsWritten: outcome.rowsWritten, state: outcome.state, ...(evidence ? { evidence: { ...evidence, worker: me } } : {}), at: now,
        });
        o.onRecord(done);
      } else {
        const attempts = shard.attempts + 1;
        const final = outcome.retryable !== true || attempts >= o.retry.maxAttempts;
        const reason = outcome.error ?? 'unknown';
        const failed = await o.leases.fail(shard.key, token, { reason, final, notBefore: now + backoffDelay(o.retry, attempts) }, now);
        o.metrics?.backfillShardsTotal.inc({ ...labels, outcome: final ? 'failed' : 'retried' });
        o.emit({ type: 'failed', shard: shard.key, nodeId: shard.nodeId, intervalMs: shard.intervalMs, attempts, reason, final, at: now });
        if (!final) o.emit({ type: 'requeued', shard: shard.key, reason: 'retry', at: now });
        o.onRecord(failed);
      }
    } catch (error) {
      if (error instanceof StaleLeaseError || (isSeamlessError(error) && error.code === 'conflict')) {
        o.logger.warn({ shard: shard.key, token, reason: error.message }, 'lease ended elsewhere; this worker stands down');
      } else if (!signal.aborted) {
        throw error;
      }
    } finally {
      span?.end();
      clearInterval(beat);
      signal.removeEventListener('abort', onStop);
      inflight--;
      o.metrics?.backfillInflight.set(inflight);
      o.metrics?.backfillLeaseSeconds.observe((o.clock.now() - grantedAt) / 1000);
    }
  }

  const loops = Array.from({ length: o.count + (o.readSlots ?? 0) }, (_, n) => loop(n, n >= o.count));
  return {
    wake,
    async stop() {
      controller.abort();
      wake();
      await Promise.allSettled(loops);
    },
  };
}
