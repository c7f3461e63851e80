/**
 * The subscriptions of one feed: each with its event queue and bar closer, bound to its
 * AbortSignal, plus the one owned timer that applies the clock rule of closedness to all of
 * them. Both feed kinds keep their subscriptions here.
 */
import { createBarCloser } from './bar-closer.js';
import type { BarCloser } from './bar-closer.js';
import { createEventQueue } from './event-queue.js';
import type { LiveEvent, LiveSubscription } from './live-feed.js';

export interface SubscriptionEntry<X> {
  readonly subscription: LiveSubscription;
  /** Feed-specific state (a compiled mapping, a watch loop). */
  readonly extra: X;
  readonly closer: BarCloser;
  push(event: LiveEvent): void;
  readonly ended: boolean;
}

export interface SubscriptionSet<X> extends Iterable<SubscriptionEntry<X>> {
  /** Registers a subscription; the returned iterable yields its events until it ends. */
  add(subscription: LiveSubscription, extra: X, signal?: AbortSignal): { entry: SubscriptionEntry<X>; events: AsyncIterable<LiveEvent> };
  readonly size: number;
  /** Ends one subscription (its iteration finishes after the queued events). */
  end(entry: SubscriptionEntry<X>): void;
  /** Sends `event` to every subscription (connection state). */
  broadcast(event: LiveEvent): void;
  /** Ends every subscription and stops the timer. */
  endAll(): void;
}

export interface SubscriptionSetOptions<X> {
  readonly closeGraceMs: number;
  readonly now: () => number;
  readonly onAdd?: (entry: SubscriptionEntry<X>) => void;
  readonly onRemove?: (entry: SubscriptionEntry<X>) => void;
}

export function createSubscriptionSet<X>(options: SubscriptionSetOptions<X>): SubscriptionSet<X> {
  // Each entry with the queue that ends it.
  const entries = new Map<SubscriptionEntry<X>, { end(): void }>();
  let timer: NodeJS.Timeout | undefined;
  // Often enough that a bar closes by the clock within ~a quarter of the grace after its time.
  const tickMs = Math.max(50, Math.min(1_000, Math.floor(options.closeGraceMs / 4)));

  function syncTimer(): void {
    if (entries.size > 0 && timer === undefined) {
      timer = setInterval(() => {
        const now = options.now();
        for (const e of entries.keys()) e.closer.tick(now);
      }, tickMs);
      timer.unref();
    } else if (entries.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  return {
    add(subscription, extra, signal) {
      const onAbort = (): void => queue.end();
      const queue = createEventQueue<LiveEvent>(() => {
        signal?.removeEventListener('abort', onAbort);
        // Only ever called after `created` exists: nobody holds the queue before.
        if (entries.delete(created)) {
          syncTimer();
          options.onRemove?.(created);
        }
      });
      const closer = createBarCloser(subscription.intervalMs, options.closeGraceMs, (event) => queue.push(event));
      const created: SubscriptionEntry<X> = {
        subscription, extra, closer,
        push: (event) => queue.push(event),
        get ended() { return queue.ended; },
      };
      entries.set(created, queue);
      syncTimer();
      if (signal?.aborted) queue.end();
      else {
        signal?.addEventListener('abort', onAbort, { once: true });
        options.onAdd?.(created);
      }
      return { entry: created, events: queue };
    },
    get size() { return entries.size; },
    end(entry) {
      entries.get(entry)?.end();
    },
    broadcast(event) {
      for (const e of entries.keys()) e.push(event);
    },
    endAll() {
      // Ending a queue runs its onEnd, which removes the entry and calls onRemove.
      for (const queue of [...entries.values()]) queue.end();
      entries.clear();
      syncTimer();
    },
    [Symbol.iterator]: () => entries.keys(),
  };
}
