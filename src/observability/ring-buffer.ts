/**
 * A fixed-capacity FIFO over one preallocated array: pushing onto a full buffer evicts the
 * oldest item. Used by the event stream (replay buffer) and the NATS publisher (outbound queue).
 * Indices wrap instead of calling `shift()`, which is O(n) per call on a long array.
 */
export interface RingBuffer<T> {
  readonly capacity: number;
  readonly size: number;
  /** Appends; returns the evicted oldest item when the buffer was full, else undefined. */
  push(item: T): T | undefined;
  /** Removes and returns the oldest item. */
  shift(): T | undefined;
  /** The oldest item, left in place. */
  peek(): T | undefined;
  /** The i-th item from the oldest (0 ≤ i < size). */
  at(i: number): T | undefined;
  clear(): void;
}

class RingBufferImpl<T> implements RingBuffer<T> {
  readonly capacity: number;
  readonly #items: (T | undefined)[];
  #head = 0;
  #size = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#items = new Array<T | undefined>(capacity).fill(undefined);
  }

  get size(): number {
    return this.#size;
  }

  push(item: T): T | undefined {
    if (this.#size < this.capacity) {
      this.#items[(this.#head + this.#size) % this.capacity] = item;
      this.#size++;
      return undefined;
    }
    const evicted = this.#items[this.#head];
    this.#items[this.#head] = item;
    this.#head = (this.#head + 1) % this.capacity;
    return evicted;
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.capacity;
    this.#size--;
    return item;
  }

  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[this.#head];
  }

  at(i: number): T | undefined {
    if (i < 0 || i >= this.#size) return undefined;
    return this.#items[(this.#head + i) % this.capacity];
  }

  clear(): void {
    this.#items.fill(undefined);
    this.#head = 0;
    this.#size = 0;
  }
}

export function createRingBuffer<T>(capacity: number): RingBuffer<T> {
  return new RingBufferImpl<T>(capacity);
}
