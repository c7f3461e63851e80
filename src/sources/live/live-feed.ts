/**
 * Live feeds: upstream streams of bar updates (a still-building bar, then the closed bar) for
 * the newest part of a dataset. A feed owns its connection(s) and reconnects by itself; each
 * subscription is an async iteration of events. Depends only on core.
 */

/** What one subscription asks the feed for. */
export interface LiveSubscription {
  /**
   * The instrument as the upstream names it: a ccxt unified symbol (`BTC/USDT`) for `ccxt-pro`,
   * the `{symbol}` of the subscribe template and match rules for `websocket`.
   */
  readonly symbol: string;
  /** Bar interval in ms (on the UTC grid). */
  readonly intervalMs: number;
  /** Value columns wanted, in order: the dataset schema's (`open … volume` for OHLCV). */
  readonly columns: readonly string[];
}

/**
 * One event of a subscription. `bar` carries the newest values of the bar at `ts` (`values` in
 * `columns` order, a fresh array the consumer may keep); `closed` says the bar is final. An
 * update for a ts seen before supersedes it. `connected`/`disconnected` report the connection
 * the subscription rides on; bars never arrive between `disconnected` and the next `connected`.
 */
export type LiveEvent =
  | { readonly type: 'bar'; readonly ts: number; readonly values: Float64Array; readonly closed: boolean; readonly receivedAt: number }
  | { readonly type: 'connected'; readonly at: number; readonly reconnect: boolean }
  | { readonly type: 'disconnected'; readonly at: number; readonly reason: string; readonly attempt: number; readonly retryInMs: number };

export type LiveEventType = LiveEvent['type'];

export type LiveFeedKind = 'websocket' | 'ccxt-pro';

export interface LiveFeed {
  readonly name: string;
  readonly kind: LiveFeedKind;
  /**
   * Starts (or joins) the feed's connection for `subscription` and returns its events, which end
   * when `signal` fires, the consumer stops iterating, or the feed closes. A subscription the
   * feed cannot serve (a column its mapping lacks, an unknown timeframe) throws
   * `InvalidRequestError` here, synchronously, before anything connects.
   */
  subscribe(subscription: LiveSubscription, signal?: AbortSignal): AsyncIterable<LiveEvent>;
  /** Ends every subscription, closes the connection(s) and stops every timer. Idempotent. */
  close(): Promise<void>;
}

/** How a message was handled: `bar` (mapped to at least one bar), `ignored` (for no subscription: acks, heartbeats), `malformed`. */
export type LiveMessageOutcome = 'bar' | 'ignored' | 'malformed';

/** Counters the composition wires to metrics; the feed calls them synchronously and cheaply. */
export interface LiveFeedHooks {
  onMessage?(outcome: LiveMessageOutcome): void;
  /** A reconnect attempt starts (after its backoff delay). */
  onReconnect?(): void;
}

/** The slice of a pino logger a feed uses (structurally satisfied by pino's Logger). */
export interface LiveFeedLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Reconnect backoff: the n-th attempt waits a jittered delay in [cap/2, cap], cap = min(max, initial·2^(n-1)). */
export interface ReconnectPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/** Options every feed takes. */
export interface LiveFeedCommonOptions {
  readonly name: string;
  readonly reconnect: ReconnectPolicy;
  /**
   * Without a closed flag from the upstream, a bar closes when a newer bar arrives, or when
   * `ts + interval + closeGraceMs` has passed on the clock with no newer bar.
   */
  readonly closeGraceMs: number;
  readonly clock?: { now(): number };
  readonly log?: LiveFeedLog;
  readonly hooks?: LiveFeedHooks;
  /** Jitter source (tests); default Math.random. */
  readonly random?: () => number;
}
