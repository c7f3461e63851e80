/**
 * The per-dataset state of the live hub: buffer, writer, connection state, gap bookkeeping and
 * the waiters of `waitForClosed`, plus how a feed's datasets read in health().
 */
import type { TimeRange } from '../../core/index.js';
import type { LiveBuffer } from './live-buffer.js';
import type { LiveDatasetSpec } from './live-hub.js';
import type { LiveWriter } from './live-write-scheduler.js';

/**
 * Told of each bar the hub accepts, synchronously: `closed` bars once held by the buffer, building
 * updates once they are the current building bar. `values` is the feed's own array, valid during
 * the call only: copy what must outlive it.
 */
export type LiveBarListener = (ts: number, values: Float64Array, closed: boolean) => void;

export interface Waiter {
  readonly ts: number;
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/** A gauge child with its labels resolved once. */
export interface LagGauge {
  set(value: number): void;
}

export interface DatasetState {
  readonly spec: LiveDatasetSpec;
  readonly buffer: LiveBuffer;
  readonly writer: LiveWriter | undefined;
  readonly lag: LagGauge;
  readonly labels: { readonly node_id: string; readonly interval: string };
  readonly waiters: Set<Waiter>;
  /** Subscribers to this dataset's bars as they arrive (subscriptions, provider/stream). */
  readonly observers: Set<LiveBarListener>;
  connected: boolean;
  /** The next bar delivered is the first after a (re)connect: it may open a gap. */
  awaitingFirst: boolean;
  /** End of stored coverage at start: the gap anchor until the first closed bar arrives. */
  frontier: number | undefined;
  gapsInFlight: TimeRange[];
  lastError: string | undefined;
  /** When the next reconnect attempt is due (disconnected only). */
  retryAt: number | undefined;
  attempt: number;
}

export function createDatasetState(
  spec: LiveDatasetSpec, buffer: LiveBuffer, writer: LiveWriter | undefined, lag: LagGauge, labels: DatasetState['labels'],
): DatasetState {
  return {
    spec, buffer, writer, lag, labels, waiters: new Set(), observers: new Set(),
    connected: false, awaitingFirst: true, frontier: undefined, gapsInFlight: [], lastError: undefined, retryAt: undefined, attempt: 0,
  };
}

/** Resolves every waiter for a bar at or before `lastClosedTs`. */
export function resolveWaiters(s: DatasetState, lastClosedTs: number): void {
  if (s.waiters.size === 0) return;
  for (const w of s.waiters) {
    if (w.ts > lastClosedTs) continue;
    s.waiters.delete(w);
    w.signal?.removeEventListener('abort', w.onAbort);
    w.resolve();
  }
}

export function rejectWaiters(s: DatasetState, reason: unknown): void {
  for (const w of s.waiters) {
    w.signal?.removeEventListener('abort', w.onAbort);
    w.reject(reason);
  }
  s.waiters.clear();
}

/** One feed's health from its datasets: ok when every subscription is connected. */
export function feedHealth(states: readonly DatasetState[], now: number, closed: boolean): { ok: boolean; detail: string } {
  if (closed) return { ok: false, detail: 'closed' };
  const down = states.filter((s) => !s.connected);
  if (down.length === 0) {
    let worst = -1;
    for (const s of states) {
      const last = s.buffer.lastClosedTs;
      if (last !== undefined) worst = Math.max(worst, now - (last + s.spec.dataset.intervalMs));
    }
    const lag = worst < 0 ? 'no closed bar yet' : `newest closed bar ${(Math.max(0, worst) / 1000).toFixed(1)} s old at most`;
    return { ok: true, detail: `connected; ${states.length} dataset${states.length === 1 ? '' : 's'}; ${lag}` };
  }
  const s = down[0];
  if (s.lastError === undefined) return { ok: false, detail: `connecting (${down.length} of ${states.length} not connected)` };
  const retry = s.retryAt === undefined ? 'not retrying' : `reconnect attempt ${s.attempt} in ${Math.max(0, s.retryAt - now)} ms`;
  return { ok: false, detail: `disconnected: ${s.lastError}; ${retry} (${down.length} of ${states.length} not connected)` };
}
