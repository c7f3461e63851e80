/**
 * One subscription: a client following one or many datasets over a transport (WebSocket or SSE,
 * behind `StreamSink`). It follows every live dataset first, then replays each dataset's history
 * from its position (the `start`, or the resume token's last bar + one interval) up to the bar
 * building now, through the normal read path (`ReplayReader`: strategy, backfill, live blending,
 * conformance as for reads), in chunks of `chunkBars` bars sent as columnar `bars` messages, paced
 * by the sink's backlog. The seam (seam.ts) then hands over to live bars with no gap and no
 * duplicate. `caught_up` marks the seam per dataset; `heartbeat` runs every `heartbeatMs`.
 *
 * With `batch`, the live messages of one event-loop turn (a burst of closes across a universe)
 * leave as one `batch` message on the next turn instead of one frame each: a minute's close of
 * 1,000 datasets is one frame per subscriber, not 1,000 (bench/gateway/stream-fanout-sockets.bench.ts).
 * Every other message flushes the pending live ones first, so order and resume tokens hold.
 * With `encoding: 'arrow'` (batching only), that message is binary: the turn's bars as one Arrow
 * IPC stream built once for every subscriber of the same datasets (arrow-batch.ts); replay and
 * control messages stay JSON.
 *
 * Bounded memory: a live message that would take the sink's unsent bytes past `maxBufferedBytes`
 * ends the subscription (`slow_consumer`), as do live bars held during a replay past the same
 * bound (`live_backlog`). A failed replay read ends it with the error (`replay_failed`).
 */
import { alignDown, AbortedError, OverloadedError, formatInterval, liveBatchRowBytes } from '../../core/index.js';
import type { Clock, Frame, FrameSchema, TimeRange } from '../../core/index.js';
import type { DatasetKey } from '../../storage/index.js';
import { arrowBatchMessages } from './arrow-batch.js';
import { DatasetSeam } from './seam.js';
import { encodeResumeToken, positionKey } from './resume-token.js';
import type { LiveBar, StreamFanOut } from './fan-out.js';
import { barsMessage, batchMessage, caughtUpMessage, datasetFragment, errorMessage, heartbeatMessage, subscribedMessage } from './stream-messages.js';
import type { StreamMessage, SubscribedDataset } from './stream-messages.js';

/** Why the server ended a subscription (metric label `reason`, close code in docs/streaming.md). */
export type StreamEndReason = 'slow_consumer' | 'live_backlog' | 'replay_failed' | 'shutdown';

/** The transport of one subscriber. */
export interface StreamSink {
  /** Bytes accepted by `send` and not yet written to the network. */
  readonly bufferedBytes: number;
  /** Queues one message; `resume` is the subscription's whole resume token (SSE's `id:`), computed on demand. */
  send(message: StreamMessage, resume: () => string | undefined): void;
  /** Resolves once `bufferedBytes` is at most `bytes`, or the sink is closed. */
  drain(bytes: number): Promise<void>;
  /** Ends the transport after what was queued; `reason` undefined: a normal end. */
  end(reason: StreamEndReason | undefined, error?: unknown): void;
}

/** Reads history for the replay through the read path; an error ends the subscription. */
export type ReplayReader = (dataset: DatasetKey, range: TimeRange, signal: AbortSignal) => Promise<Frame>;

export interface StreamDatasetSpec {
  readonly dataset: DatasetKey;
  readonly schema: FrameSchema;
}

export interface SubscriptionOptions {
  readonly datasets: readonly StreamDatasetSpec[];
  /** First bar wanted (epoch ms); undefined: no replay (live only) unless a resume position says otherwise. */
  readonly start: number | undefined;
  /** Last closed bar delivered per dataset (`positionKey`), from a resume token. */
  readonly positions: ReadonlyMap<string, number>;
  readonly building: boolean;
  readonly heartbeatMs: number;
  readonly maxBufferedBytes: number;
  /** Bars per replay read and per replay message. */
  readonly chunkBars: number;
  /** Live messages of one event-loop turn sent as one `batch` message. */
  readonly batch?: boolean;
  /** How a batch travels: `json` (default) or `arrow` (one binary Arrow IPC frame; needs `batch`). */
  readonly encoding?: StreamEncoding;
}

export type StreamEncoding = 'json' | 'arrow';

export interface SubscriptionHooks {
  /** Closed bars delivered. */
  delivered?(phase: 'replay' | 'live', bars: number): void;
  /** Seconds from a live bar's close to its send. */
  lag?(seconds: number): void;
  ended?(reason: StreamEndReason | undefined): void;
}

export interface SubscriptionDeps {
  readonly fanOut: StreamFanOut | undefined;
  readonly replay: ReplayReader;
  readonly sink: StreamSink;
  readonly clock: Clock;
  readonly hooks?: SubscriptionHooks;
}

export interface Subscription {
  /** Runs the replays (resolves at the last seam; live delivery goes on until `close`). */
  readonly started: Promise<void>;
  /** Ends the subscription (client gone, or the server closing with `shutdown`). */
  close(reason?: StreamEndReason): void;
  readonly closed: boolean;
}

interface Entry {
  readonly spec: StreamDatasetSpec;
  readonly key: string;
  readonly fragment: string;
  readonly seam: DatasetSeam;
  readonly live: boolean;
  readonly replayFrom: number | undefined;
}

export function startSubscription(options: SubscriptionOptions, deps: SubscriptionDeps): Subscription {
  const { sink, clock, hooks } = deps;
  const abort = new AbortController();
  const leaves: (() => void)[] = [];
  let closed = false;
  /** Live bars waiting for the end of the turn (`batch`). */
  let pending: LiveBar[] = [];
  const arrowEncoded = options.batch === true && options.encoding === 'arrow';
  let pendingBytes = 0;
  /** The sink's unsent bytes when this turn's first live message pended (nothing leaves before the flush). */
  let bufferedAtTurn = 0;

  const entries: Entry[] = options.datasets.map((spec) => {
    const { nodeId, intervalMs } = spec.dataset;
    const key = positionKey(nodeId, intervalMs);
    const resumed = options.positions.get(key);
    const replayFrom = resumed !== undefined ? resumed + intervalMs : options.start === undefined ? undefined : alignUpTo(options.start, intervalMs);
    return {
      // Nothing before the replay's first bar is delivered, live bars included (a start beyond the last close).
      spec, key, fragment: datasetFragment(nodeId, intervalMs), seam: new DatasetSeam(spec.schema, resumed ?? (replayFrom === undefined ? undefined : replayFrom - intervalMs)),
      live: deps.fanOut?.has(spec.dataset) ?? false, replayFrom,
    };
  });

  /** The whole position (for SSE ids and heartbeats): datasets that delivered a closed bar. */
  function wholeToken(): string | undefined {
    const positions = new Map<string, number>();
    for (const e of entries) if (e.seam.lastDelivered !== undefined) positions.set(e.key, e.seam.lastDelivered);
    return positions.size === 0 ? undefined : encodeResumeToken(positions);
  }

  /** Every message leaves through here: pending live messages first, so the order (and any token sent) holds. */
  function emit(message: StreamMessage): void {
    flushLive();
    sink.send(message, wholeToken);
  }

  function flushLive(): void {
    if (pending.length === 0) return;
    const bars = pending;
    pending = [];
    pendingBytes = 0;
    let closedBars = 0;
    if (arrowEncoded) {
      for (const message of deps.fanOut?.arrowBatch(bars) ?? arrowBatchMessages(bars)) {
        sink.send(message, wholeToken);
        closedBars += message.bars;
      }
    } else {
      const messages = bars.map((b) => b.message());
      const message = messages.length === 1 ? messages[0] : deps.fanOut?.batch(messages) ?? batchMessage(messages);
      sink.send(message, wholeToken);
      closedBars = message.bars;
    }
    // One count and one lag per batch (its oldest close): 1,000 bars × 100 subscribers per minute
    // would otherwise be 100,000 histogram observations.
    let oldest = Infinity;
    for (const b of bars) if (b.closed && b.ts + b.intervalMs < oldest) oldest = b.ts + b.intervalMs;
    sent(closedBars, oldest);
  }

  /** Counts live bars sent: `bars` closed bars delivered, and the delay since `closesAt` (the oldest one's close). */
  function sent(bars: number, closesAt: number): void {
    if (bars === 0) return;
    hooks?.delivered?.('live', bars);
    hooks?.lag?.(Math.max(0, clock.now() - closesAt) / 1000);
  }

  function end(reason: StreamEndReason | undefined, error?: unknown): void {
    if (closed) return;
    closed = true;
    // Bars already accepted still go out, unless the client is the reason to stop.
    if (reason === 'slow_consumer' || reason === 'live_backlog') pending = [];
    else flushLive();
    abort.abort(new AbortedError('subscription ended'));
    if (heartbeat !== undefined) clearInterval(heartbeat);
    for (const leave of leaves) leave();
    if (error !== undefined) emit(errorMessage(error));
    sink.end(reason, error);
    hooks?.ended?.(reason);
  }

  function sendLive(bar: LiveBar): void {
    const batching = options.batch === true;
    if (batching && pending.length === 0) bufferedAtTurn = sink.bufferedBytes;
    const buffered = batching ? bufferedAtTurn : sink.bufferedBytes;
    const unsent = buffered + pendingBytes;
    // An Arrow row's bytes, its node id counted as if each row carried it (the dictionary holds it once).
    const bytes = arrowEncoded ? liveBatchRowBytes(bar.values.length) + bar.nodeId.length : bar.message().bytes.length;
    if (unsent + bytes > options.maxBufferedBytes) {
      end('slow_consumer', new OverloadedError(
        `the client read too slowly: ${unsent} bytes were still unsent, and the next message would pass the bound of ${options.maxBufferedBytes} (stream.maxBufferedBytes); reconnect with the last resume token`,
        0, { reason: 'slow_consumer', bufferedBytes: unsent, maxBufferedBytes: options.maxBufferedBytes },
      ));
      return;
    }
    if (batching) {
      if (pending.length === 0) setImmediate(flushLive);
      pending.push(bar);
      pendingBytes += bytes;
      return;
    }
    const message = bar.message();
    sink.send(message, wholeToken);
    sent(message.bars, bar.ts + bar.intervalMs);
  }

  function onLive(e: Entry, bar: LiveBar): void {
    if (closed) return;
    if (e.seam.phase === 'replaying') {
      if (!bar.closed) return;
      e.seam.hold(bar.ts, bar.values);
      if (e.seam.heldBytes > options.maxBufferedBytes) {
        end('live_backlog', new OverloadedError(
          `live bars held while ${e.spec.dataset.nodeId} replays passed ${options.maxBufferedBytes} bytes (stream.maxBufferedBytes); reconnect with the last resume token`,
          0, { reason: 'live_backlog', maxBufferedBytes: options.maxBufferedBytes },
        ));
      }
      return;
    }
    if (bar.closed) {
      if (e.seam.acceptLive(bar.ts)) sendLive(bar);
    } else if (options.building && e.seam.acceptBuilding(bar.ts)) {
      sendLive(bar);
    }
  }

  // Follow first: a bar that closes while the replay reads is held, never lost.
  for (const e of entries) {
    if (e.live && deps.fanOut) leaves.push(deps.fanOut.join(e.spec.dataset, e.spec.schema, e.fragment, (bar) => onLive(e, bar)));
  }
  const described: SubscribedDataset[] = entries.map((e) => ({
    node: e.spec.dataset.nodeId, interval: formatInterval(e.spec.dataset.intervalMs), live: e.live, replayFrom: e.replayFrom ?? null,
  }));
  emit(subscribedMessage(described, options.building, options.heartbeatMs));
  const heartbeat = setInterval(() => {
    if (!closed) {
      flushLive();
      emit(heartbeatMessage(clock.now(), wholeToken()));
    }
  }, options.heartbeatMs);
  heartbeat.unref();

  async function replay(e: Entry): Promise<void> {
    const { intervalMs } = e.spec.dataset;
    if (e.replayFrom !== undefined) {
      // Up to the bar building now: every closed bar; later ones arrive live (held meanwhile).
      const end = alignDown(clock.now(), intervalMs);
      const step = options.chunkBars * intervalMs;
      for (let from = e.replayFrom; from < end && !closed; from += step) {
        const rangeEnd = Math.min(end, from + step);
        const frame = await deps.replay(e.spec.dataset, { start: from, end: rangeEnd }, abort.signal);
        if (closed) return;
        const fresh = e.seam.replayable(frame, rangeEnd);
        // Messages of at most a quarter of the bound, each sent once the backlog is under a quarter:
        // the replay is paced by the client and leaves half the bound to live bars of other datasets.
        const perMessage = messageBars(options.maxBufferedBytes, e.spec.schema.columns.length, options.chunkBars);
        for (let i = 0; i < fresh.length && !closed; i += perMessage) {
          await sink.drain(options.maxBufferedBytes / 4);
          if (closed) return;
          const part = fresh.slice(i, Math.min(fresh.length, i + perMessage));
          flushLive(); // before the position moves: pending live bars' tokens must not name this part
          e.seam.delivered(part.ts[part.length - 1]);
          emit(barsMessage(e.fragment, 'replay', true, part, encodeResumeToken(new Map([[e.key, part.ts[part.length - 1]]]))));
          hooks?.delivered?.('replay', part.length);
        }
      }
    }
    if (closed) return;
    flushLive();
    const held = e.seam.finishReplay();
    const last = e.seam.lastDelivered;
    const token = last === undefined ? undefined : encodeResumeToken(new Map([[e.key, last]]));
    if (held.length > 0) {
      emit(barsMessage(e.fragment, 'live', true, held, token));
      hooks?.delivered?.('live', held.length);
    }
    emit(caughtUpMessage(e.fragment, last, token));
  }

  async function run(): Promise<void> {
    try {
      for (const e of entries) {
        if (closed) return;
        await replay(e);
      }
    } catch (error) {
      if (!closed) end('replay_failed', error);
    }
  }

  return {
    started: run(),
    close: (reason) => end(reason),
    get closed() { return closed; },
  };
}

/** The first grid bar at or after `t`. */
function alignUpTo(t: number, intervalMs: number): number {
  const down = alignDown(t, intervalMs);
  return down === t ? t : down + intervalMs;
}

/** JSON bytes a bar's number takes at most in practice (17 significant digits, sign, exponent, comma). */
const BYTES_PER_VALUE = 24;

/** Bars per replay message: a quarter of the bound, at most `chunkBars`, at least one. */
function messageBars(maxBufferedBytes: number, width: number, chunkBars: number): number {
  return Math.max(1, Math.min(chunkBars, Math.floor(maxBufferedBytes / 4 / ((width + 1) * BYTES_PER_VALUE))));
}
