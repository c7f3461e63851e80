/**
 * A typed, bounded, in-process fan-out of events (the `seamless.backfill` stream). Each
 * published event gets the next id of a strictly increasing sequence and is kept in a ring
 * buffer of the last `bufferSize` events, so a subscriber that reconnects (an SSE client with
 * `Last-Event-ID`) can replay what it missed while it is still buffered. Listeners run
 * synchronously in subscription order; a listener that throws is counted and reported through
 * `onListenerError`, never rethrown into the publisher, and the other listeners still run.
 */
import { InvalidRequestError } from '../core/index.js';
import { createRingBuffer } from './ring-buffer.js';
import type { RingBuffer } from './ring-buffer.js';

export const DEFAULT_EVENT_BUFFER_SIZE = 1024;

export type EventListener<E> = (event: E, id: number) => void;

export interface EventStreamOptions {
  /** Events kept for replay (default 1024). */
  readonly bufferSize?: number;
  /**
   * Id of the first event (default 1). Seeding from the wall clock (e.g. `Date.now() * 1000`)
   * keeps ids increasing across restarts, so a client's `Last-Event-ID` from before a restart
   * is older than every new event.
   */
  readonly firstId?: number;
  /** Told about each listener that threw (after it is counted). */
  readonly onListenerError?: (error: unknown, event: { readonly type: string }, id: number) => void;
}

export interface SubscribeOptions {
  /** Deliver the last `replay` buffered events first (synchronously, oldest first). */
  readonly replay?: number;
  /**
   * Deliver every buffered event with an id greater than this first (SSE `Last-Event-ID`).
   * An id newer than the newest event (from another epoch) replays the whole buffer.
   * Combined with `replay`, the smaller of the two sets is delivered.
   */
  readonly after?: number;
}

export interface EventStreamStats {
  readonly published: number;
  /** Id of the newest event; `firstId - 1` before the first. */
  readonly lastId: number;
  /** Id of the oldest event still buffered, or undefined when the buffer is empty. */
  readonly oldestId: number | undefined;
  readonly buffered: number;
  readonly listeners: number;
  readonly listenerErrors: number;
}

export interface EventStream<E extends { readonly type: string }> {
  /** Appends the event, delivers it to every listener and returns its id. Never throws. */
  publish(event: E): number;
  /** Adds a listener (after any replay); returns its unsubscribe function (idempotent). */
  subscribe(listener: EventListener<E>, options?: SubscribeOptions): () => void;
  stats(): EventStreamStats;
}

interface Entry<E> {
  readonly id: number;
  readonly event: E;
}

class EventStreamImpl<E extends { readonly type: string }> implements EventStream<E> {
  readonly #buffer: RingBuffer<Entry<E>>;
  readonly #onListenerError: EventStreamOptions['onListenerError'];
  // Copy-on-write: subscribe/unsubscribe replace the array, so publish iterates a stable
  // snapshot without allocating one per event (a listener may unsubscribe while called).
  #listeners: readonly EventListener<E>[] = [];
  #lastId: number;
  #published = 0;
  #listenerErrors = 0;

  constructor(options: EventStreamOptions) {
    const size = options.bufferSize ?? DEFAULT_EVENT_BUFFER_SIZE;
    if (!Number.isInteger(size) || size < 1) throw new InvalidRequestError('bufferSize', `must be a positive integer (got ${size})`);
    const firstId = options.firstId ?? 1;
    if (!Number.isSafeInteger(firstId) || firstId < 1) throw new InvalidRequestError('firstId', `must be a positive safe integer (got ${firstId})`);
    this.#buffer = createRingBuffer<Entry<E>>(size);
    this.#onListenerError = options.onListenerError;
    this.#lastId = firstId - 1;
  }

  publish(event: E): number {
    const id = ++this.#lastId;
    this.#published++;
    this.#buffer.push({ id, event });
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) this.#deliver(listeners[i], event, id);
    return id;
  }

  subscribe(listener: EventListener<E>, options: SubscribeOptions = {}): () => void {
    const size = this.#buffer.size;
    let from = size;
    if (options.replay !== undefined && options.replay > 0) from = Math.max(0, size - Math.floor(options.replay));
    if (options.after !== undefined && size > 0) {
      const afterFrom = options.after >= this.#lastId + 1 ? 0 : this.#indexAfter(options.after);
      from = options.replay !== undefined && options.replay > 0 ? Math.max(from, afterFrom) : afterFrom;
    }
    for (let i = from; i < size; i++) {
      const entry = this.#buffer.at(i);
      if (entry) this.#deliver(listener, entry.event, entry.id);
    }
    this.#listeners = [...this.#listeners, listener];
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  stats(): EventStreamStats {
    const oldest = this.#buffer.peek();
    return {
      published: this.#published,
      lastId: this.#lastId,
      oldestId: oldest?.id,
      buffered: this.#buffer.size,
      listeners: this.#listeners.length,
      listenerErrors: this.#listenerErrors,
    };
  }

  /** Buffer index of the first event with id > `after` (ids are consecutive in the buffer). */
  #indexAfter(after: number): number {
    const oldest = this.#buffer.peek();
    if (!oldest || after < oldest.id) return 0;
    return Math.min(this.#buffer.size, Math.floor(after) - oldest.id + 1);
  }

  #deliver(listener: EventListener<E>, event: E, id: number): void {
    try {
      listener(event, id);
    } catch (error) {
      this.#listenerErrors++;
      if (this.#onListenerError) {
        try {
          this.#onListenerError(error, event, id);
        } catch {
          // The error reporter itself failed; the failure is already counted above.
        }
      }
    }
  }
}

/**
 * Creates a bounded fan-out of typed events.
 *
 * @example
 * ```ts
 * const events = createEventStream<{ type: 'claimed'; shard: string }>({ bufferSize: 256 });
 * const unsubscribe = events.subscribe((e, id) => console.log(id, e.type), { replay: 10 });
 * events.publish({ type: 'claimed', shard: 's1' });
 * unsubscribe();
 * ```
 */
export function createEventStream<E extends { readonly type: string }>(options: EventStreamOptions = {}): EventStream<E> {
  return new EventStreamImpl<E>(options);
}
