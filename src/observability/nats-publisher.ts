/**
 * Publishes events to a NATS JetStream stream (the `seamless.backfill` subject by default).
 * `publish()` never blocks nor throws: events go into a bounded in-memory queue (when full, the
 * oldest queued event is dropped, counted and logged) and one pump publishes them strictly one
 * at a time, each awaiting its ack, retrying the same message (same `Nats-Msg-Id`, so the
 * stream stores it once) with backoff until it is stored. One in flight at a time is what keeps
 * the stream in the order events were received: with several in flight, a retried message
 * would land after its successors. Backfill emits a few events per shard, far below the ~1 RTT
 * per message this costs. Reconnection is the client's (unlimited attempts).
 */
import { randomUUID } from 'node:crypto';
import { connect, headers, nanos } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  DiscardPolicy, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType, jetstream, jetstreamManager,
} from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { UpstreamUnavailableError, delay } from '../core/index.js';
import type { Logger } from './logger.js';
import { createRingBuffer } from './ring-buffer.js';
import type { RingBuffer } from './ring-buffer.js';

export const DEFAULT_NATS_STREAM = 'SEAMLESS';
export const DEFAULT_NATS_SUBJECT = 'seamless.backfill';
export const DEFAULT_NATS_QUEUE_SIZE = 10_000;
export const DEFAULT_NATS_PUBLISH_TIMEOUT_MS = 5_000;
export const DEFAULT_NATS_CLOSE_TIMEOUT_MS = 5_000;
/** Limits of a stream this publisher creates (an existing stream keeps its own). */
export const NATS_STREAM_LIMITS = {
  maxAgeMs: 7 * 24 * 3_600_000,
  maxBytes: 1024 * 1024 * 1024,
  duplicateWindowMs: 2 * 60_000,
} as const;
export const NATS_EVENT_TYPE_HEADER = 'seamless-event-type';
export const NATS_EVENT_ID_HEADER = 'seamless-event-id';
const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 5_000;
const DROP_LOG_EVERY = 1_000;

export interface NatsEventPublisherOptions {
  readonly servers: readonly string[];
  /** JetStream stream name (default `SEAMLESS`); created with file storage when missing. */
  readonly stream?: string;
  /** Subject events are published on (default `seamless.backfill`); added to the stream if absent. */
  readonly subject?: string;
  readonly logger: Logger;
  /** Events waiting to be published at most (default 10,000); beyond, the oldest is dropped. */
  readonly queueSize?: number;
  readonly publishTimeoutMs?: number;
  /**
   * How long close() waits for the queue to be stored before dropping the rest, and then for the
   * connection to drain (default 5 s each; a publish in flight may add publishTimeoutMs).
   */
  readonly closeTimeoutMs?: number;
  /** Connection name shown by the server (default `seamless`). */
  readonly name?: string;
}

export interface NatsEventPublisherStats {
  readonly queued: number;
  readonly published: number;
  readonly dropped: number;
  /** Publish attempts that failed (and were retried). */
  readonly failures: number;
}

export interface NatsEventPublisher {
  /**
   * Queues an event; returns at once. `id` (the event stream's id) makes the message id
   * `<run>-<id>`, so a retried publish is stored once; without it a local sequence is used.
   */
  publish(event: { readonly type: string }, id?: number): void;
  /** Resolves when every event queued before the call is stored (or dropped). */
  flush(): Promise<void>;
  /** Drains the queue (up to closeTimeoutMs), then drains and closes the connection. */
  close(): Promise<void>;
  stats(): NatsEventPublisherStats;
}

interface Outbound {
  /** Position in the order of publish() calls, for flush(). */
  readonly seq: number;
  readonly type: string;
  readonly msgId: string;
  readonly payload: string;
}

async function ensureStream(jsm: JetStreamManager, stream: string, subject: string, logger: Logger): Promise<void> {
  try {
    const info = await jsm.streams.info(stream);
    const subjects = info.config.subjects ?? [];
    if (!subjects.includes(subject)) {
      await jsm.streams.update(stream, { subjects: [...subjects, subject] });
      logger.info({ stream, subject }, 'added the event subject to the existing JetStream stream');
    }
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
    await jsm.streams.add({
      name: stream,
      subjects: [subject],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: nanos(NATS_STREAM_LIMITS.maxAgeMs),
      max_bytes: NATS_STREAM_LIMITS.maxBytes,
      duplicate_window: nanos(NATS_STREAM_LIMITS.duplicateWindowMs),
    });
    logger.info({ stream, subject }, 'created the JetStream event stream');
  }
}

class NatsEventPublisherImpl implements NatsEventPublisher {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #subject: string;
  readonly #logger: Logger;
  readonly #publishTimeoutMs: number;
  readonly #closeTimeoutMs: number;
  readonly #queue: RingBuffer<Outbound>;
  /** Prefix of message ids: unique per publisher, so ids of an earlier run are never deduped. */
  readonly #runId = randomUUID().slice(0, 8);
  /** Aborts the retry backoff when close() gives up. */
  readonly #stop = new AbortController();
  readonly #flushWaiters: { readonly seq: number; readonly resolve: () => void }[] = [];
  readonly #statusLoop: Promise<void>;
  /** The message being published: held outside the queue, so eviction never touches it. */
  #inFlight: Outbound | undefined = undefined;
  #pumping: Promise<void> | undefined = undefined;
  #enqueued = 0;
  #published = 0;
  #dropped = 0;
  #failures = 0;
  #closed = false;

  constructor(nc: NatsConnection, subject: string, options: NatsEventPublisherOptions) {
    this.#nc = nc;
    this.#js = jetstream(nc);
    this.#subject = subject;
    this.#logger = options.logger;
    this.#publishTimeoutMs = options.publishTimeoutMs ?? DEFAULT_NATS_PUBLISH_TIMEOUT_MS;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_NATS_CLOSE_TIMEOUT_MS;
    this.#queue = createRingBuffer<Outbound>(options.queueSize ?? DEFAULT_NATS_QUEUE_SIZE);
    this.#statusLoop = this.#watchStatus();
  }

  publish(event: { readonly type: string }, id?: number): void {
    const seq = ++this.#enqueued;
    if (this.#closed) {
      this.#drop('publisher closed');
      return;
    }
    const item: Outbound = { seq, type: event.type, msgId: `${this.#runId}-${id ?? seq}`, payload: JSON.stringify(event) };
    if (this.#queue.push(item)) this.#drop('queue full');
    this.#pumping ??= this.#pump();
  }

  flush(): Promise<void> {
    const seq = this.#enqueued;
    if (seq < this.#oldestPending()) return Promise.resolve();
    return new Promise<void>((resolve) => { this.#flushWaiters.push({ seq, resolve }); });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const timer = new AbortController();
    const timedOut = await Promise.race([
      this.flush().then(() => false),
      delay(this.#closeTimeoutMs, timer.signal).then(() => true, () => false),
    ]);
    timer.abort();
    if (timedOut) {
      const droppedBefore = this.#dropped;
      this.#stop.abort();
      await this.#pumping;
      const left = this.#queue.size;
      this.#queue.clear();
      for (let i = 0; i < left; i++) this.#drop('close timed out');
      this.#settle();
      this.#logger.warn({ dropped: this.#dropped - droppedBefore, subject: this.#subject, timeoutMs: this.#closeTimeoutMs }, 'NATS event queue not drained before close; events dropped');
    }
    // drain() waits for the server; while it is unreachable (the client reconnects forever)
    // that would be never, so it gets the same bound and the connection is then closed.
    const drainTimer = new AbortController();
    const drained = await Promise.race([
      this.#nc.drain().then(() => true, (error: unknown) => {
        this.#logger.warn({ err: error }, 'NATS connection drain failed');
        return false;
      }),
      delay(this.#closeTimeoutMs, drainTimer.signal).then(() => false, () => false),
    ]);
    drainTimer.abort();
    if (!drained && !this.#nc.isClosed()) await this.#nc.close();
    await this.#statusLoop;
  }

  stats(): NatsEventPublisherStats {
    return { queued: this.#queue.size + (this.#inFlight ? 1 : 0), published: this.#published, dropped: this.#dropped, failures: this.#failures };
  }

  async #pump(): Promise<void> {
    try {
      for (let item = this.#queue.shift(); item; item = this.#queue.shift()) {
        if (this.#stop.signal.aborted) {
          this.#drop('close timed out');
          return;
        }
        this.#inFlight = item;
        const stored = await this.#publishUntilStored(item);
        this.#inFlight = undefined;
        if (stored) this.#published++;
        else this.#drop('close timed out');
        this.#settle();
        if (!stored) return;
      }
    } finally {
      this.#inFlight = undefined;
      this.#pumping = undefined;
    }
  }

  /** Publishes one message, retrying with backoff until stored; false when close() gave up. */
  async #publishUntilStored(item: Outbound): Promise<boolean> {
    let failures = 0;
    for (;;) {
      try {
        const h = headers();
        h.set(NATS_EVENT_TYPE_HEADER, item.type);
        h.set(NATS_EVENT_ID_HEADER, item.msgId);
        await this.#js.publish(this.#subject, item.payload, { msgID: item.msgId, headers: h, timeout: this.#publishTimeoutMs });
        if (failures > 0) this.#logger.info({ subject: this.#subject, failures }, 'NATS event publishing resumed');
        return true;
      } catch (error) {
        failures++;
        this.#failures++;
        if (failures === 1) this.#logger.warn({ err: error, subject: this.#subject, queued: this.#queue.size }, 'NATS event publish failed; retrying');
      }
      const backoffMs = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(failures - 1, 10));
      // Rejects only when close() aborts the wait: the caller then drops the item.
      const aborted = await delay(backoffMs, this.#stop.signal).then(() => false, () => true);
      if (aborted) return false;
    }
  }

  #drop(reason: string): void {
    this.#dropped++;
    if (this.#dropped === 1 || this.#dropped % DROP_LOG_EVERY === 0) {
      this.#logger.warn({ dropped: this.#dropped, reason, subject: this.#subject }, 'NATS event dropped');
    }
  }

  /** Seq of the oldest event not yet stored nor dropped (Infinity when none). */
  #oldestPending(): number {
    return this.#inFlight?.seq ?? this.#queue.peek()?.seq ?? Number.POSITIVE_INFINITY;
  }

  /** Resolves the flush() waiters whose events are all stored or dropped. */
  #settle(): void {
    if (this.#flushWaiters.length === 0) return;
    const pending = this.#oldestPending();
    for (let i = this.#flushWaiters.length - 1; i >= 0; i--) {
      const waiter = this.#flushWaiters[i];
      if (waiter.seq < pending) {
        this.#flushWaiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  async #watchStatus(): Promise<void> {
    for await (const s of this.#nc.status()) {
      switch (s.type) {
        case 'disconnect':
          this.#logger.warn({ server: s.server }, 'NATS disconnected; reconnecting');
          break;
        case 'reconnect':
          this.#logger.info({ server: s.server }, 'NATS reconnected');
          break;
        case 'error':
          this.#logger.warn({ err: s.error }, 'NATS server error');
          break;
        default:
          break;
      }
    }
  }
}

/**
 * Connects to NATS, ensures the JetStream stream exists and returns a publisher. Rejects with
 * UpstreamUnavailableError when the servers cannot be reached at start.
 *
 * @example
 * ```ts
 * const nats = await createNatsEventPublisher({ servers: ['nats://127.0.0.1:4222'], logger });
 * nats.publish({ type: 'claimed' }, 1);
 * await nats.close();
 * ```
 */
export async function createNatsEventPublisher(options: NatsEventPublisherOptions): Promise<NatsEventPublisher> {
  const stream = options.stream ?? DEFAULT_NATS_STREAM;
  const subject = options.subject ?? DEFAULT_NATS_SUBJECT;
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: [...options.servers], name: options.name ?? 'seamless', maxReconnectAttempts: -1 });
  } catch (error) {
    throw new UpstreamUnavailableError('nats', `cannot connect to ${options.servers.join(', ')}`, { cause: error });
  }
  try {
    await ensureStream(await jetstreamManager(nc), stream, subject, options.logger);
  } catch (error) {
    await nc.close();
    throw new UpstreamUnavailableError('nats', `cannot set up the JetStream stream ${stream} (subject ${subject})`, { cause: error, retryable: false });
  }
  return new NatsEventPublisherImpl(nc, subject, options);
}
