/**
 * A LiveFeed driven by the test: `emit` hands one subscription (by symbol) the next event, as
 * a real feed would after parsing a message or losing its connection.
 */
import type { LiveEvent, LiveFeed } from '../../../../src/sources/index.js';
import type { LiveSubscription } from '../../../../src/sources/internal.js';

export interface FakeLiveFeed extends LiveFeed {
  readonly subscriptions: LiveSubscription[];
  emit(symbol: string, event: LiveEvent): void;
  readonly closed: boolean;
}

export function createFakeLiveFeed(name = 'fake'): FakeLiveFeed {
  const queues = new Map<string, { items: LiveEvent[]; wake: (() => void) | undefined; ended: boolean }>();
  const subscriptions: LiveSubscription[] = [];
  let closed = false;
  return {
    name,
    kind: 'websocket',
    subscriptions,
    get closed() { return closed; },
    emit(symbol, event) {
      const q = queues.get(symbol);
      if (!q) throw new Error(`no subscription for ${symbol}`);
      q.items.push(event);
      q.wake?.();
    },
    subscribe(subscription, signal) {
      subscriptions.push(subscription);
      const q: { items: LiveEvent[]; wake: (() => void) | undefined; ended: boolean } = { items: [], wake: undefined, ended: false };
      queues.set(subscription.symbol, q);
      signal?.addEventListener('abort', () => { q.ended = true; q.wake?.(); });
      return {
        async *[Symbol.asyncIterator]() {
          while (true) {
            while (q.items.length > 0) yield q.items.shift() as LiveEvent;
            if (q.ended || closed) return;
            await new Promise<void>((resolve) => { q.wake = resolve; });
          }
        },
      };
    },
    async close() {
      closed = true;
      for (const q of queues.values()) q.wake?.();
    },
  };
}
