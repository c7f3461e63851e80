/**
 * A single-consumer async queue: the producer pushes synchronously (from socket callbacks), the
 * consumer iterates with `for await`. Ending it (producer or consumer side) lets the iteration
 * finish after the events already queued.
 */

export interface EventQueue<T> extends AsyncIterable<T> {
  push(value: T): void;
  /** No more values: the iteration ends once the queued ones are taken. */
  end(): void;
  readonly ended: boolean;
  readonly length: number;
}

/**
 * `onEnd` runs once when the queue ends for any reason (producer `end()`, consumer `break` /
 * `return`), so the producer can drop the subscription.
 */
export function createEventQueue<T>(onEnd?: () => void): EventQueue<T> {
  // Items live in `items` from `head` on; the array is swapped for a fresh one when drained
  // instead of calling shift() per item (shift is O(n) on large arrays).
  let items: T[] = [];
  let head = 0;
  let ended = false;
  let waiting: ((r: IteratorResult<T>) => void) | undefined;

  function finish(): void {
    if (ended) return;
    ended = true;
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w({ value: undefined, done: true });
    }
    onEnd?.();
  }

  const iterator: AsyncIterator<T> = {
    next(): Promise<IteratorResult<T>> {
      if (head < items.length) {
        const value = items[head++];
        if (head === items.length) {
          items = [];
          head = 0;
        }
        return Promise.resolve({ value, done: false });
      }
      if (ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => { waiting = resolve; });
    },
    return(): Promise<IteratorResult<T>> {
      items = [];
      head = 0;
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
  };

  return {
    push(value) {
      if (ended) return;
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w({ value, done: false });
        return;
      }
      items.push(value);
    },
    end: finish,
    get ended() { return ended; },
    get length() { return items.length - head; },
    [Symbol.asyncIterator]: () => iterator,
  };
}
