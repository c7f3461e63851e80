/**
 * Live updates of the chart: a `LiveBarsSource` hands the chart the newest bars of a dataset
 * after a given bar, as they close (and the building bar, which may change). This one polls
 * `GET /v1/bars` for the range [newest shown bar, now) every few seconds; the gateway's
 * subscription stream (`GET /v1/stream/sse`) can replace it behind the same interface: the chart
 * only calls `subscribe` and `stop`.
 */
import type { Api } from './api.js';
import type { BarsAnswer } from './api-types.js';
import { KeyRefusedError } from './errors.js';

/** Columnar bars, as the API answers them (ts in ms). */
export type Bars = BarsAnswer['data'];

export interface LiveBarsQuery {
  readonly node: string;
  readonly interval: string;
  readonly intervalMs: number;
  /** Open time (ms) of the newest bar the chart holds: bars from it on are delivered. */
  readonly after: number;
}

export interface LiveBarsHandlers {
  /** Bars from `after` on, oldest first (the first may update the newest bar shown). */
  onBars(bars: Bars): void;
  onError(message: string): void;
}

export interface LiveSubscription {
  stop(): void;
}

export interface LiveBarsSource {
  subscribe(query: LiveBarsQuery, handlers: LiveBarsHandlers): LiveSubscription;
}

export const DEFAULT_POLL_MS = 5_000;

export function pollingLiveBars(api: Api, periodMs: number = DEFAULT_POLL_MS): LiveBarsSource {
  return {
    subscribe(query, handlers) {
      let after = query.after;
      let stopped = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      async function poll(): Promise<void> {
        const now = Date.now();
        // Closed bars only: the range ends at the open time of the bar still building. partial_ok:
        // the newest bars are shown even when conformance flags them (the report says why).
        const end = Math.floor(now / query.intervalMs) * query.intervalMs;
        if (end <= after) {
          timer = setTimeout(() => { void poll(); }, periodMs);
          return;
        }
        try {
          const answer = await api.get<BarsAnswer>('/v1/bars', { node: query.node, interval: query.interval, start: after, end, partial_ok: 'true' });
          if (stopped) return;
          const n = answer.data.ts.length;
          if (n > 0) {
            after = answer.data.ts[n - 1];
            handlers.onBars(answer.data);
          }
        } catch (error) {
          if (stopped) return;
          handlers.onError(error instanceof Error ? error.message : String(error));
          if (error instanceof KeyRefusedError) return;
        }
        if (!stopped) timer = setTimeout(() => { void poll(); }, periodMs);
      }
      timer = setTimeout(() => { void poll(); }, periodMs);
      return {
        stop() {
          stopped = true;
          if (timer !== undefined) clearTimeout(timer);
        },
      };
    },
  };
}
