/**
 * Fan-out of live bars to subscriptions: one observer per dataset on the live source however many
 * subscriptions follow it, and each bar's `bars` message encoded once, on first use, and shared by
 * every subscriber as the same Buffer (its resume token names only that dataset's position, so the
 * bytes do not depend on the subscriber). Cost avoided: encoding a bar per subscriber, i.e. 100×
 * the JSON work and garbage with 100 subscribers (bench/gateway/stream-fanout.bench.ts).
 */
import type { FrameSchema } from '../../core/index.js';
import type { DatasetKey } from '../../storage/index.js';
import { arrowBatchMessages } from './arrow-batch.js';
import { batchMessage, liveBarEncoder } from './stream-messages.js';
import type { LiveBarEncoder } from './stream-messages.js';
import type { StreamMessage } from './stream-messages.js';
import { positionKey } from './resume-token.js';

/** Where live bars come from (the live hub implements it). */
export interface LiveBarSource {
  has(dataset: DatasetKey): boolean;
  /** Calls `listener` with each bar accepted from now on; `values` is valid during the call only. */
  observe(dataset: DatasetKey, listener: (ts: number, values: Float64Array, closed: boolean) => void): () => void;
}

/** One live bar as subscribers receive it. */
export interface LiveBar {
  readonly nodeId: string;
  readonly intervalMs: number;
  readonly schema: FrameSchema;
  readonly ts: number;
  readonly closed: boolean;
  /** The bar's values in schema order: one copy shared by every subscriber, never to be written. */
  readonly values: Float64Array;
  /** The bar's `bars` message (phase live), encoded once for all subscribers. */
  message(): StreamMessage;
}

export type LiveBarHandler = (bar: LiveBar) => void;

export interface StreamFanOut {
  has(dataset: DatasetKey): boolean;
  /** Follows `dataset`'s live bars; returns the leave. */
  join(dataset: DatasetKey, schema: FrameSchema, fragment: string, handler: LiveBarHandler): () => void;
  /** Datasets followed now (tests, health). */
  readonly followed: number;
  /**
   * The `batch` message of `messages` (live messages of one turn, in order). Subscribers of the
   * same datasets get the same messages in the same order, so the last batch built is kept and
   * handed to the next subscriber whose list holds the same messages: one encode per turn, not
   * one 1,000-bar copy per subscriber.
   */
  batch(messages: readonly StreamMessage[]): StreamMessage;
  /**
   * The binary `batch` messages (Arrow, `encoding=arrow`) of `bars` (live bars of one turn, in
   * order), kept as `batch` keeps its last: built once per turn for every subscriber of the same
   * datasets.
   */
  arrowBatch(bars: readonly LiveBar[]): readonly StreamMessage[];
}

class SharedLiveBar implements LiveBar {
  readonly nodeId: string;
  readonly intervalMs: number;
  readonly schema: FrameSchema;
  readonly ts: number;
  readonly closed: boolean;
  readonly values: Float64Array;
  readonly #topic: Topic;
  #message: StreamMessage | undefined;

  constructor(topic: Topic, ts: number, values: Float64Array, closed: boolean) {
    this.nodeId = topic.dataset.nodeId;
    this.intervalMs = topic.dataset.intervalMs;
    this.schema = topic.schema;
    this.ts = ts;
    this.closed = closed;
    this.values = values;
    this.#topic = topic;
    this.#message = undefined;
  }

  message(): StreamMessage {
    if (this.#message === undefined) {
      this.#message = this.#topic.encode(this.ts, this.values, this.closed);
    }
    return this.#message;
  }
}

interface Topic {
  readonly key: string;
  readonly dataset: DatasetKey;
  readonly schema: FrameSchema;
  readonly fragment: string;
  readonly encode: LiveBarEncoder;
  readonly handlers: Set<LiveBarHandler>;
  leave: () => void;
}

export function createStreamFanOut(source: LiveBarSource): StreamFanOut {
  const topics = new Map<string, Topic>();
  let lastBatch: { readonly of: readonly StreamMessage[]; readonly message: StreamMessage } | undefined;
  let lastArrow: { readonly of: readonly LiveBar[]; readonly messages: readonly StreamMessage[] } | undefined;

  function dispatch(topic: Topic, ts: number, values: Float64Array, closed: boolean): void {
    // The feed reuses nothing we keep past this call except through the copy made here.
    const bar = new SharedLiveBar(topic, ts, Float64Array.from(values), closed);
    for (const handler of topic.handlers) handler(bar);
  }

  return {
    has: (dataset) => source.has(dataset),
    get followed() { return topics.size; },
    batch(messages) {
      if (lastBatch !== undefined && sameMessages(lastBatch.of, messages)) return lastBatch.message;
      const message = batchMessage(messages);
      lastBatch = { of: messages, message };
      return message;
    },
    arrowBatch(bars) {
      if (lastArrow !== undefined && sameMessages(lastArrow.of, bars)) return lastArrow.messages;
      const messages = arrowBatchMessages(bars);
      lastArrow = { of: bars, messages };
      return messages;
    },
    join(dataset, schema, fragment, handler) {
      const key = positionKey(dataset.nodeId, dataset.intervalMs);
      let topic = topics.get(key);
      if (topic === undefined) {
        const columns = schema.columns.map((c) => c.name);
        const created: Topic = { key, dataset, schema, fragment, encode: liveBarEncoder(fragment, columns, dataset.nodeId, dataset.intervalMs), handlers: new Set(), leave: () => undefined };
        created.leave = source.observe(dataset, (ts, values, closed) => dispatch(created, ts, values, closed));
        topics.set(key, created);
        topic = created;
      }
      const joined = topic;
      joined.handlers.add(handler);
      return () => {
        joined.handlers.delete(handler);
        if (joined.handlers.size === 0 && topics.get(key) === joined) {
          topics.delete(key);
          joined.leave();
        }
      };
    },
  };
}

/** Whether two lists hold the same objects in the same order (identity: live messages and bars are shared). */
function sameMessages<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
