/**
 * The subscriptions of one instance: checks a subscription request (every field named in the 400
 * before anything is opened), resolves its datasets, and starts subscriptions on a sink with the
 * replay read through the instance's `fetch` and live bars from the fan-out over the live hub.
 * Counts subscribers, delivered bars, drops and delivery lag (metrics of docs/streaming.md), and
 * refuses a subscriber past `maxSubscribers` with `overloaded` (503).
 */
import { InvalidRequestError, OverloadedError, parseInterval, parseTime } from '../../core/index.js';
import type { Clock, Frame } from '../../core/index.js';
import type { SeamlessMetrics } from '../../observability/index.js';
import { UnknownDatasetError } from '../errors.js';
import type { DatasetCatalog } from '../dataset-catalog.js';
import { STRATEGIES, validateNodeId } from '../read/fetch-request.js';
import type { FetchRequest, Strategy } from '../read/fetch-request.js';
import { createStreamFanOut } from './fan-out.js';
import type { LiveBarSource } from './fan-out.js';
import { decodeResumeToken } from './resume-token.js';
import { startSubscription } from './subscription.js';
import type { StreamDatasetSpec, StreamEncoding, StreamSink, Subscription } from './subscription.js';

/** Encodings of a subscription's batches (`encoding=`). */
export const STREAM_ENCODINGS = ['json', 'arrow'] as const satisfies readonly StreamEncoding[];

/** Retry-After of a refusal past the subscriber cap. */
const STREAM_RETRY_AFTER_S = 5;

/** Datasets one subscription may follow. */
export const MAX_STREAM_DATASETS = 10_000;

export interface StreamLimits {
  readonly maxSubscribers: number;
  readonly maxBufferedBytes: number;
  readonly heartbeatMs: number;
  readonly chunkBars: number;
}

/** A subscription request as the edges (HTTP query, library) give it. */
export interface StreamRequest {
  readonly nodes: readonly string[];
  readonly interval: string | number | undefined;
  readonly start?: string | number | undefined;
  readonly building?: boolean;
  /** Live messages of one event-loop turn as one `batch` message (docs/streaming.md#batches). */
  readonly batch?: boolean;
  /** `arrow`: each batch as one binary Arrow IPC frame (docs/streaming.md#binary-batches); needs `batch`. Default `json`. */
  readonly encoding?: string;
  /** Resume tokens (each holds positions of one or more datasets; the newest position per dataset wins). */
  readonly resume?: readonly string[];
  /** Where the tokens came from (`resume`, `Last-Event-ID`), for the 400. */
  readonly resumeField?: string;
  readonly strategy?: string;
  readonly partialOk?: boolean;
  readonly requestedBy?: string;
  /** Field that named the datasets (`node`, `universe`, `nodes`), for the 400. */
  readonly nodesField?: string;
}

/** A checked request, ready to start on a transport. */
export interface PreparedStream {
  readonly datasets: readonly StreamDatasetSpec[];
  start(sink: StreamSink, transport: string): Subscription;
}

export interface StreamService {
  prepare(request: StreamRequest): Promise<PreparedStream>;
  /** Open subscriptions. */
  readonly open: number;
  /** Ends every subscription (`shutdown`). */
  closeAll(): void;
}

export interface StreamServiceDeps {
  readonly catalog: DatasetCatalog;
  readonly fetch: (request: FetchRequest) => Promise<{ readonly frame: Frame }>;
  readonly live: LiveBarSource | undefined;
  readonly clock: Clock;
  readonly metrics: SeamlessMetrics;
  readonly limits: StreamLimits;
}

export function createStreamService(deps: StreamServiceDeps): StreamService {
  const { metrics, limits } = deps;
  const fanOut = deps.live ? createStreamFanOut(deps.live) : undefined;
  const open = new Set<Subscription>();
  const delivered = { replay: metrics.streamBarsDelivered.labels({ phase: 'replay' }), live: metrics.streamBarsDelivered.labels({ phase: 'live' }) };

  /** Refuses past the cap, before an upgrade is answered and again when starting. */
  function checkCapacity(): void {
    if (open.size < limits.maxSubscribers) return;
    throw new OverloadedError(
      `this gateway serves ${limits.maxSubscribers} subscriptions at most (stream.maxSubscribers); retry later or on another gateway`,
      STREAM_RETRY_AFTER_S, { reason: 'stream_subscribers', maxSubscribers: limits.maxSubscribers },
    );
  }

  async function prepare(request: StreamRequest): Promise<PreparedStream> {
    checkCapacity();
    const nodesField = request.nodesField ?? 'node';
    if (request.nodes.length === 0) throw new InvalidRequestError(nodesField, 'is required: name one or more datasets (node=…, repeated) or a universe');
    if (request.nodes.length > MAX_STREAM_DATASETS) throw new InvalidRequestError(nodesField, `names ${request.nodes.length} datasets, more than the ${MAX_STREAM_DATASETS} of one subscription`);
    if (request.interval === undefined || request.interval === '') throw new InvalidRequestError('interval', 'is required (e.g. "1m")');
    const intervalMs = parseInterval(request.interval, 'interval');
    const start = request.start === undefined || request.start === '' ? undefined : parseTime(request.start, 'start');
    if (start !== undefined && start > deps.clock.now()) throw new InvalidRequestError('start', 'is in the future: give a past time to replay from, or leave it out for live bars only');
    const strategy = request.strategy;
    if (strategy !== undefined && !(STRATEGIES as readonly string[]).includes(strategy)) {
      throw new InvalidRequestError('strategy', `unknown strategy "${strategy}"; one of ${STRATEGIES.join(', ')}`);
    }
    const encoding = (request.encoding ?? 'json') as StreamEncoding;
    if (!(STREAM_ENCODINGS as readonly string[]).includes(encoding)) throw new InvalidRequestError('encoding', `unknown encoding "${request.encoding}"; one of ${STREAM_ENCODINGS.join(', ')}`);
    if (encoding === 'arrow' && request.batch !== true) throw new InvalidRequestError('encoding', 'arrow encodes batches: add batch=true');
    const positions = new Map<string, number>();
    for (const token of request.resume ?? []) {
      for (const [key, ts] of decodeResumeToken(token, request.resumeField ?? 'resume')) {
        const had = positions.get(key);
        if (had === undefined || ts > had) positions.set(key, ts);
      }
    }
    const seen = new Set<string>();
    const datasets: StreamDatasetSpec[] = [];
    for (const raw of request.nodes) {
      const nodeId = validateNodeId(raw, nodesField);
      if (seen.has(nodeId)) continue;
      seen.add(nodeId);
      const resolved = await deps.catalog.resolve(nodeId, intervalMs);
      if (!resolved) throw new UnknownDatasetError(nodeId, intervalMs);
      datasets.push({ dataset: resolved.dataset, schema: resolved.schema });
    }
    const building = request.building ?? false;
    return {
      datasets,
      start(sink, transport) {
        checkCapacity();
        const gauge = metrics.streamSubscribers.labels({ transport });
        gauge.inc();
        // Assigned before any hook can run: hooks fire from the event loop, never during the start.
        let subscription: Subscription | undefined = undefined;
        subscription = startSubscription(
          { datasets, start, positions, building, batch: request.batch === true, encoding, heartbeatMs: limits.heartbeatMs, maxBufferedBytes: limits.maxBufferedBytes, chunkBars: limits.chunkBars },
          {
            fanOut, sink, clock: deps.clock,
            replay: async (dataset, range, signal) => (await deps.fetch({
              nodeId: dataset.nodeId, interval: dataset.intervalMs, start: range.start, end: range.end, signal,
              ...(strategy !== undefined ? { strategy: strategy as Strategy } : {}),
              ...(request.partialOk !== undefined ? { partialOk: request.partialOk } : {}),
              requestedBy: request.requestedBy ?? 'stream',
            })).frame,
            hooks: {
              delivered: (phase, bars) => delivered[phase].inc(bars),
              lag: (seconds) => metrics.streamDeliveryLag.observe(seconds),
              ended: (reason) => {
                if (subscription) open.delete(subscription);
                gauge.dec();
                if (reason !== undefined) metrics.streamDrops.inc({ reason });
              },
            },
          },
        );
        if (!subscription.closed) open.add(subscription);
        return subscription;
      },
    };
  }

  return {
    prepare,
    get open() { return open.size; },
    closeAll() {
      for (const s of [...open]) s.close('shutdown');
    },
  };
}
