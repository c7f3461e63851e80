/**
 * Workers inside a coordinator process: worker slots, filled by one claimer that takes shards
 * for every free slot in one step (claimBatch; stores without it are asked candidate by
 * candidate), so slots woken together never race for the same shard. Each lease fences storage
 * with the grant's token (in the claim's own transaction when the lease store holds the fences),
 * heartbeats while it fetches, and ends the lease with complete or fail (failures go back to pending with backoff until the attempt limit).
 * A worker that loses its lease (a heartbeat answers stale) aborts its fetch: its write, if any
 * were still in flight, is refused by storage's fencing check.
 */
import { backoffDelay, delay, formatInterval, isSeamlessError } from '../core/index.js';
import type { Clock, RetryPolicy } from '../core/index.js';
import type { Logger, SeamlessMetrics, Span } from '../observability/index.js';
import type { BarStore } from '../storage/index.js';
import type { BackfillEvent, BackfillTarget } from './coordinator.js';
import { StaleLeaseError } from './errors.js';
import type { ArmedCompletion, ClaimGrant, LeaseStore, ShardRecord, ShardResult } from './lease-store.js';
import { assignClaims } from './shard-transitions.js';
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
  /**
   * The lease store holds the fences of `store` (embedded DuckDB for both): claims advance the
   * fence in their own transaction (claimBatch `fence`), with no fence step per shard.
   */
  readonly claimFences?: boolean;
  /** A span for the lease, continuing the trace of the read that created the shard's job. */
  readonly traceShard?: (shard: ShardRecord, token: number, worker: string) => Span | undefined;
}

interface Slot {
  readonly holder: string;
  readonly readsOnly: boolean;
  busy: boolean;
}

type Grant = ClaimGrant & { readonly holder: string; readonly fenced: boolean };

export interface LeaseWorkers {
  /** Wakes idle workers (new claimable shards). */
  wake(): void;
  /** Stops claiming, aborts running fetches and waits for the loops to end. */
  stop(): Promise<void>;
}

/** How long after a claim found nothing more a slot coming free does not claim again (see `drained`). */
export const DRAINED_GRACE_MS = 250;

export function startLeaseWorkers(o: LeaseWorkerOptions): LeaseWorkers {
  const controller = new AbortController();
  const signal = controller.signal;
  const waiting = new Set<() => void>();
  let inflight = 0;
  /** Set by every wake: a wake that came while the dispatcher was claiming is not lost. */
  let woken = false;
  /**
   * Set when a claim left a slot that takes any shard without one: nothing was claimable then.
   * For `DRAINED_GRACE_MS` after that claim, a slot coming free does not claim again (the leases
   * of one claim end close together, and on the embedded store an empty claim is still a write
   * transaction); a wake from outside (new, requeued or released shards: `wake`) or an idle
   * timeout does. Later, a slot coming free claims as before: leases of dead workers and retry
   * delays run out with time, with no wake.
   */
  let drained = false;
  let drainedAt = 0;
  const holdsClaims = (): boolean => drained && o.clock.now() - drainedAt < DRAINED_GRACE_MS;
  const resume = (): void => {
    woken = true;
    const all = [...waiting];
    waiting.clear();
    for (const resolve of all) resolve();
  };
  const wake = (): void => {
    drained = false;
    resume();
  };
  // Worker slots: `count` that take any shard, then `readSlots` that take only `read` shards.
  const slots: Slot[] = Array.from({ length: o.count + (o.readSlots ?? 0) }, (_, n) => ({ holder: `${o.workerId}/${n}`, readsOnly: n >= o.count, busy: false }));
  const leases = new Set<Promise<void>>();

  /** Waits until woken or `idleMs` passes, whichever is first. */
  async function idle(): Promise<void> {
    let resolveWake = (): void => undefined;
    const woke = new Promise<void>((resolve) => { resolveWake = resolve; });
    waiting.add(resolveWake);
    const timer = new AbortController();
    const onStop = (): void => timer.abort();
    signal.addEventListener('abort', onStop, { once: true });
    try {
      const timedOut = await Promise.race([woke.then(() => false), delay(o.idleMs, timer.signal).then(() => true, () => false)]);
      if (timedOut) drained = false;
    } finally {
      timer.abort(); // stops the delay's timer when the wake came first
      waiting.delete(resolveWake);
      signal.removeEventListener('abort', onStop);
    }
  }

  /**
   * The one claimer: claims for every free slot at once (one claimBatch step where the store has
   * it), so idle slots woken together never race each other for the same shard, then waits for
   * a wake (new claimable shards, or a slot that came free).
   */
  async function dispatch(): Promise<void> {
    while (!signal.aborted) {
      woken = false;
      const free = slots.filter((s) => !s.busy);
      if (free.length > 0 && !holdsClaims()) {
        try {
          const grants = await claimFor(free);
          for (const grant of grants) {
            const slot = free.find((s) => s.holder === grant.holder);
            if (slot !== undefined) startLease(slot, grant);
          }
          const taken = new Set(grants.map((g) => g.holder));
          // `wake` while claiming: shards may have come after the claim's read.
          drained = !woken && free.some((s) => !s.readsOnly && !taken.has(s.holder));
          if (drained) drainedAt = o.clock.now();
        } catch (error) {
          if (signal.aborted) return;
          o.logger.warn({ worker: o.workerId, err: error }, 'backfill worker error; retrying after a pause');
          await delay(o.idleMs, signal).catch(() => undefined);
          continue;
        }
      }
      if (!woken && !signal.aborted) await idle();
    }
  }

  async function claimFor(free: readonly Slot[]): Promise<Grant[]> {
    const now = o.clock.now();
    const asked = free.map((s) => ({ holder: s.holder, readsOnly: s.readsOnly }));
    if (o.leases.claimBatch) return await o.leases.claimBatch(asked, o.leaseMs, now, { fence: o.claimFences === true });
    // Candidate by candidate, each to a free slot that takes it; one taken elsewhere meanwhile
    // leaves its slot free for the next candidate.
    const out: Grant[] = [];
    let remaining = asked;
    for (const candidate of await o.leases.claimable(now, o.count * 4)) {
      if (signal.aborted || remaining.length === 0) break;
      const [pick] = assignClaims([candidate], remaining);
      if (pick === undefined) continue;
      const r = await o.leases.claim(candidate.key, pick.slot.holder, o.leaseMs, o.clock.now());
      if (!r.granted) continue;
      out.push({ ...r, holder: pick.slot.holder, fenced: false });
      remaining = remaining.filter((s) => s !== pick.slot);
    }
    return out;
  }

  function startLease(slot: Slot, grant: Grant): void {
    slot.busy = true;
    const run = runLease(grant.shard, grant.token, grant.stale, grant.staleHolder, slot.holder, grant.fenced)
      .catch(async (error: unknown) => {
        if (signal.aborted) return;
        o.logger.warn({ worker: slot.holder, err: error }, 'backfill worker error; retrying after a pause');
        // The slot pauses: a store that fails every call is not hammered.
        await delay(o.idleMs, signal).catch(() => undefined);
      })
      .finally(() => {
        slot.busy = false;
        leases.delete(run);
        resume();
      });
    leases.add(run);
  }

  async function runLease(shard: ShardRecord, token: number, stale: boolean, staleHolder: string | null, me: string, fenced: boolean): Promise<void> {
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
    const armed: { current?: ArmedCompletion } = {};
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
      // A grant fenced by its claim's transaction (the lease store holds the bars' fences) needs no step of its own.
      if (!fenced) await o.store.advanceFence(fence);
      // Bars in the lease store's database: the completion commits with the shard's last write.
      const armCompletion = o.claimFences === true ? o.leases.armCompletion?.bind(o.leases) : undefined;
      const arm = armCompletion === undefined ? undefined : (result: ShardResult): void => {
        armed.current?.settle(false);
        armed.current = armCompletion(shard.key, token, result, o.clock.now());
      };
      const outcome = await o.fetchShard({ key: shard.key, target, range: { start: shard.start, end: shard.end } }, fence, lease.signal, arm);
      if (outcome.upstreamRows) o.metrics?.backfillUpstreamRows.inc(labels, outcome.upstreamRows);
      span?.setAttributes({ 'seamless.shard.state': outcome.state, 'seamless.shard.rows': outcome.rowsWritten, 'seamless.shard.upstream_rows': outcome.upstreamRows ?? 0 });
      if (outcome.rowsWritten > 0) o.metrics?.backfillRowsWritten.inc(labels, outcome.rowsWritten);
      if (outcome.rowsWritten > 0) o.emit({ type: 'rows_written', shard: shard.key, nodeId: shard.nodeId, intervalMs: shard.intervalMs, rows: outcome.rowsWritten, token, at: o.clock.now() });
      const now = o.clock.now();
      if (outcome.state === 'completed' || outcome.state === 'known_empty') {
        // For a completed shard: what its upstream answered empty in open time (re-checked later).
        const evidence = outcome.evidence;
        const done = armed.current?.settle(true)
          ?? await o.leases.complete(shard.key, token, { state: outcome.state, rowsWritten: outcome.rowsWritten, ...(evidence ? { evidence } : {}) }, now);
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
      armed.current?.settle(false);
      span?.end();
      clearInterval(beat);
      signal.removeEventListener('abort', onStop);
      inflight--;
      o.metrics?.backfillInflight.set(inflight);
      o.metrics?.backfillLeaseSeconds.observe((o.clock.now() - grantedAt) / 1000);
    }
  }

  const dispatcher = dispatch();
  return {
    wake,
    async stop() {
      controller.abort();
      wake();
      await dispatcher;
      await Promise.allSettled([...leases]);
    },
  };
}
