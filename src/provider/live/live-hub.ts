/**
 * The live hub: subscribes every dataset that has a live feed, keeps each one's LiveBuffer,
 * writes closed bars through to storage with their coverage (one scheduler for all datasets: a
 * flush writes every dataset's closed bars in one transaction, live-write-scheduler.ts), and
 * recovers gaps. The read path
 * asks it for a snapshot of a range (closed bars + the building bar) and can wait for a closed
 * bar (the SLA `live` phase is measured on that wait).
 *
 * Gaps: on start, the newest end of stored coverage is the anchor; after that, the newest closed
 * bar received. The first bar after a (re)connect — or any closed bar that skips ahead of the
 * anchor — opens a gap [anchor, ts), which is backfilled with the dataset's source and verified
 * by reading coverage (gap-recovery.ts). After the job, the closed live bars from the gap's end on
 * are written again, so a backfill that raced the write-through never outlives the live values.
 */
import { setMaxListeners } from 'node:events';
import { AbortedError, NotFoundError, formatInterval, subtractRanges } from '../../core/index.js';
import type { Clock, Frame, FrameSchema, TimeRange } from '../../core/index.js';
import type { Logger, SeamlessMetrics } from '../../observability/index.js';
import type { LiveEvent, LiveFeed } from '../../sources/index.js';
import type { BarStore, DatasetKey } from '../../storage/index.js';
import { recoverGap } from './gap-recovery.js';
import type { GapRecovery, LiveGapBackfill } from './gap-recovery.js';
import { createLiveBuffer } from './live-buffer.js';
import { coverageFrontier, gapBefore } from './live-gaps.js';
import { createLiveWriteScheduler } from './live-write-scheduler.js';
import { createDatasetState, feedHealth, rejectWaiters, resolveWaiters } from './live-state.js';
import type { DatasetState, LiveBarListener, Waiter } from './live-state.js';

export type { LiveBarListener };

export const DEFAULT_LIVE_FLUSH_MS = 250;
export const DEFAULT_LIVE_FLUSH_BARS = 100;
export const DEFAULT_LIVE_MAX_GAP_BARS = 10_000;
/** How often the lag gauges are refreshed between bars. */
const LAG_REFRESH_MS = 1_000;

export interface LiveSnapshot {
  /** Closed bars in the buffer with range.start <= ts < range.end, ascending (columnar, dataset schema). */
  readonly closed: Frame;
  /** The still-building bar when its ts lies in range (never written to storage), else undefined (1-row frame). */
  readonly building: Frame | undefined;
  /** ts of the newest closed bar received, undefined before the first. */
  readonly lastClosedTs: number | undefined;
  readonly connected: boolean;
}

export interface LiveHub {
  has(dataset: DatasetKey): boolean;
  snapshot(dataset: DatasetKey, range: TimeRange): LiveSnapshot;
  /** Resolves once the closed bar at `ts` (or a newer one) was received; rejects with the signal's reason on abort. */
  waitForClosed(dataset: DatasetKey, ts: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `listener` with each bar of `dataset` the hub accepts from now on (closed bars once
   * buffered, building updates once current); returns the unsubscribe. Throws NotFoundError for a
   * dataset without a live feed.
   */
  observe(dataset: DatasetKey, listener: LiveBarListener): () => void;
  /** Per-feed connection state and lag for health(). */
  health(): Record<string, { ok: boolean; detail: string }>;
  close(): Promise<void>;
}

/** One dataset fed live. */
export interface LiveDatasetSpec {
  readonly dataset: DatasetKey;
  readonly schema: FrameSchema;
  /** Name of the feed in `feeds`. */
  readonly feed: string;
  /** The instrument as the feed names it. */
  readonly symbol: string;
}

export interface LiveHubDeps {
  readonly feeds: ReadonlyMap<string, LiveFeed>;
  readonly datasets: readonly LiveDatasetSpec[];
  readonly store: BarStore;
  /** Starts the backfill of a gap (the dataset's configured source); absent: gaps are only reported. */
  readonly backfill?: LiveGapBackfill;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: SeamlessMetrics;
  /** Closed bars kept per dataset. */
  readonly bufferBars: number;
  readonly writeThrough: boolean;
  readonly flushMs?: number;
  readonly flushBars?: number;
  /** Longest gap backfilled on a reconnect or start (newest bars kept). */
  readonly maxGapBars?: number;
  /** Closed bars of [start, end) were written to storage (cached reads of that range are stale). */
  readonly onWritten?: (dataset: DatasetKey, range: TimeRange) => void;
  /** Each gap's outcome after recovery (tests, events). */
  readonly onGapRecovered?: (dataset: DatasetKey, recovery: GapRecovery) => void;
}

const keyOf = (d: DatasetKey): string => JSON.stringify([d.nodeId, d.intervalMs]);

export function createLiveHub(deps: LiveHubDeps): LiveHub {
  const { store, clock, logger, metrics } = deps;
  const maxGapBars = deps.maxGapBars ?? DEFAULT_LIVE_MAX_GAP_BARS;
  const closing = new AbortController();
  // One listener per followed dataset (its feed subscription ends on close): 1,000 is no leak.
  setMaxListeners(0, closing.signal);
  const states = new Map<string, DatasetState>();
  const tasks = new Set<Promise<void>>();
  let closed = false;
  // One write-through for every dataset: a flush of all their closed bars is one storage transaction (live-write-scheduler.ts).
  const writes = deps.writeThrough
    ? createLiveWriteScheduler({
      store, logger, flushMs: deps.flushMs ?? DEFAULT_LIVE_FLUSH_MS, flushBars: deps.flushBars ?? DEFAULT_LIVE_FLUSH_BARS,
      maxPendingBars: Math.max(deps.bufferBars, deps.flushBars ?? DEFAULT_LIVE_FLUSH_BARS),
    })
    : undefined;

  function track(task: Promise<void>): void {
    tasks.add(task);
    void task.finally(() => tasks.delete(task));
  }

  // Everything is checked as it subscribes: an unserviceable dataset fails the start, and the
  // subscriptions made before it are ended (their connections close with their last subscriber).
  try {
    for (const spec of deps.datasets) subscribe(spec);
  } catch (error) {
    closing.abort();
    throw error;
  }

  function subscribe(spec: LiveDatasetSpec): void {
    const feed = deps.feeds.get(spec.feed);
    if (!feed) throw new NotFoundError('live feed', spec.feed, { nodeId: spec.dataset.nodeId });
    const k = keyOf(spec.dataset);
    const labels = { node_id: spec.dataset.nodeId, interval: formatInterval(spec.dataset.intervalMs) };
    const writer = writes?.add({
      dataset: spec.dataset, schema: spec.schema,
      onWritten: (rows, start, end) => {
        metrics.liveRowsWritten.inc(labels, rows);
        deps.onWritten?.(spec.dataset, { start, end });
      },
      onFailed: () => metrics.liveWriteFailures.inc(labels),
    });
    const state = createDatasetState(spec, createLiveBuffer(spec.schema, deps.bufferBars), writer, metrics.liveLag.labels(labels), labels);
    const events = feed.subscribe({ symbol: spec.symbol, intervalMs: spec.dataset.intervalMs, columns: spec.schema.columns.map((c) => c.name) }, closing.signal);
    states.set(k, state);
    track(consume(state, events));
  }

  for (const feed of new Set(deps.datasets.map((d) => d.feed))) metrics.liveConnected.set({ feed }, 0);

  const lagTimer = setInterval(() => {
    for (const s of states.values()) refreshLag(s);
  }, LAG_REFRESH_MS);
  lagTimer.unref();

  function refreshLag(s: DatasetState): void {
    const last = s.buffer.lastClosedTs;
    if (last !== undefined) s.lag.set(Math.max(0, clock.now() - (last + s.spec.dataset.intervalMs)) / 1000);
  }

  async function consume(s: DatasetState, events: AsyncIterable<LiveEvent>): Promise<void> {
    try {
      // The anchor of the first gap: where stored knowledge of the dataset ends.
      s.frontier = coverageFrontier(await store.coverage(s.spec.dataset));
    } catch (error) {
      logger.warn({ err: error, nodeId: s.spec.dataset.nodeId }, 'live: could not read coverage; no gap recovery until the first closed bar');
    }
    try {
      for await (const event of events) onEvent(s, event);
    } catch (error) {
      logger.error({ err: error, nodeId: s.spec.dataset.nodeId }, 'live: subscription failed');
    }
    s.connected = false;
    updateConnected(s.spec.feed);
  }

  function onEvent(s: DatasetState, event: LiveEvent): void {
    switch (event.type) {
      case 'connected':
        s.connected = true;
        s.awaitingFirst = true;
        s.lastError = undefined;
        updateConnected(s.spec.feed);
        return;
      case 'disconnected':
        s.connected = false;
        s.lastError = event.reason;
        s.retryAt = event.retryInMs >= 0 ? event.at + event.retryInMs : undefined;
        s.attempt = event.attempt;
        // Its values are no longer current, and it is never written: readers must not see it.
        s.buffer.clearBuilding();
        updateConnected(s.spec.feed);
        return;
      case 'bar':
        onBar(s, event.ts, event.values, event.closed);
        return;
      default: {
        const never: never = event;
        return never;
      }
    }
  }

  function onBar(s: DatasetState, ts: number, values: Float64Array, closedBar: boolean): void {
    const iv = s.spec.dataset.intervalMs;
    const last = s.buffer.lastClosedTs;
    if (s.awaitingFirst || (closedBar && last !== undefined && ts > last + iv)) {
      s.awaitingFirst = false;
      openGap(s, last !== undefined ? last + iv : s.frontier, ts);
    }
    const outcome = s.buffer.update(ts, values, closedBar);
    if (outcome === 'too_old' || outcome === 'stale') return;
    notify(s, ts, values, closedBar);
    if (!closedBar) return;
    s.writer?.enqueue(ts, values);
    refreshLag(s);
    resolveWaiters(s, s.buffer.lastClosedTs ?? ts);
  }

  function notify(s: DatasetState, ts: number, values: Float64Array, closedBar: boolean): void {
    for (const listener of s.observers) {
      try {
        listener(ts, values, closedBar);
      } catch (error) {
        // One subscriber's failure must not stop the feed or the others: it is logged and dropped.
        s.observers.delete(listener);
        logger.error({ err: error, nodeId: s.spec.dataset.nodeId }, 'live: a bar observer failed; it is unsubscribed');
      }
    }
  }

  function openGap(s: DatasetState, anchor: number | undefined, firstTs: number): void {
    const found = gapBefore(anchor, firstTs, s.spec.dataset.intervalMs, maxGapBars);
    if (!found) return;
    const { nodeId, intervalMs } = s.spec.dataset;
    if (found.clipped) {
      logger.warn({ nodeId, intervalMs, bars: found.bars, kept: maxGapBars }, 'live gap longer than live.maxGapBars; only its newest bars are recovered here (reads backfill the rest)');
    }
    for (const gap of subtractRanges([found.range], s.gapsInFlight)) {
      s.gapsInFlight.push(gap);
      logger.info({ nodeId, intervalMs, start: gap.start, end: gap.end, bars: (gap.end - gap.start) / intervalMs }, 'live gap detected; backfilling it');
      track(recover(s, gap));
    }
  }

  async function recover(s: DatasetState, gap: TimeRange): Promise<void> {
    const { dataset } = s.spec;
    // Rejects only when the hub closes: the gap then stays missing in coverage and reads backfill it.
    const result = await recoverGap({ store, backfill: deps.backfill, signal: closing.signal }, dataset, gap).catch(() => undefined);
    s.gapsInFlight = s.gapsInFlight.filter((g) => g !== gap);
    if (!result) return;
    metrics.liveGapRecoveries.inc({ ...s.labels, outcome: result.outcome });
    const fields = { nodeId: dataset.nodeId, intervalMs: dataset.intervalMs, start: gap.start, end: gap.end, jobId: result.jobId, outcome: result.outcome };
    if (result.outcome === 'recovered') logger.info(fields, 'live gap recovered and verified by coverage');
    else logger.warn({ ...fields, missing: result.missing, ...(result.error !== undefined ? { err: result.error } : {}) }, 'live gap not recovered: bars still missing');
    deps.onGapRecovered?.(dataset, result);
    if (result.jobId !== undefined && s.writer) {
      // Live wins: a backfill shard may have written bars the write-through had just stored.
      const again = s.buffer.closed({ start: gap.end, end: Number.POSITIVE_INFINITY });
      for (let i = 0; i < again.length; i++) s.writer.enqueue(again.ts[i], rowOf(again, i));
    }
  }

  function updateConnected(feed: string): void {
    let all = true;
    for (const s of states.values()) if (s.spec.feed === feed && !s.connected) all = false;
    metrics.liveConnected.set({ feed }, all ? 1 : 0);
  }

  function stateOf(dataset: DatasetKey): DatasetState {
    const s = states.get(keyOf(dataset));
    if (!s) throw new NotFoundError('live dataset', `${dataset.nodeId} ${formatInterval(dataset.intervalMs)}`);
    return s;
  }

  return {
    has: (dataset) => states.has(keyOf(dataset)),

    snapshot(dataset, range) {
      const s = stateOf(dataset);
      return { closed: s.buffer.closed(range), building: s.buffer.building(range), lastClosedTs: s.buffer.lastClosedTs, connected: s.connected };
    },

    observe(dataset, listener) {
      const s = stateOf(dataset);
      s.observers.add(listener);
      return () => { s.observers.delete(listener); };
    },

    waitForClosed(dataset, ts, signal) {
      const s = stateOf(dataset);
      const last = s.buffer.lastClosedTs;
      if (last !== undefined && last >= ts) return Promise.resolve();
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (closed) return Promise.reject(new AbortedError('live hub closed'));
      return new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          s.waiters.delete(waiter);
          reject(signal?.reason);
        };
        const waiter: Waiter = { ts, resolve, reject, signal, onAbort };
        signal?.addEventListener('abort', onAbort, { once: true });
        s.waiters.add(waiter);
      });
    },

    health() {
      const now = clock.now();
      const out: Record<string, { ok: boolean; detail: string }> = {};
      for (const name of deps.feeds.keys()) {
        const mine = [...states.values()].filter((s) => s.spec.feed === name);
        if (mine.length > 0) out[name] = feedHealth(mine, now, closed);
      }
      return out;
    },

    async close() {
      if (closed) return;
      closed = true;
      closing.abort();
      clearInterval(lagTimer);
      for (const feed of deps.feeds.values()) await feed.close();
      await Promise.allSettled([...tasks]);
      for (const s of states.values()) rejectWaiters(s, new AbortedError('live hub closed'));
      await writes?.close();
    },
  };
}

function rowOf(frame: Frame, i: number): Float64Array {
  const row = new Float64Array(frame.values.length);
  for (let c = 0; c < frame.values.length; c++) row[c] = frame.values[c][i];
  return row;
}
