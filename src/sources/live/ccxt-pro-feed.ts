/**
 * The ccxt pro feed: `watchOHLCV(symbol, timeframe)` of one ccxt pro exchange instance, one watch
 * loop per subscription. ccxt hands back `[ts, open, high, low, close, volume]` arrays — the bars
 * updated since the previous call, the newest possibly still building — and no closed flag, so
 * closedness is inferred (bar-closer.ts): a bar closes when a newer one arrives or when its time
 * plus `closeGraceMs` has passed.
 *
 * ccxt reconnects when the next watch is called after a failure; the loop here makes that call
 * after an exponential, jittered backoff and reports `disconnected`/`connected` around it (the
 * connection counts as up again at the first answer). ccxt is loaded on first use (importing it
 * costs ~0.5 s), and ccxt's errors are translated here and nowhere else: network errors are
 * retried, a bad symbol or an unsupported timeframe ends the subscription with the reason.
 *
 * `wsUrl` replaces the exchange's WebSocket URL for `marketType` (`urls.api.ws`); `markets`
 * declares the markets statically so nothing calls the exchange's REST API (offline use, tests).
 */
import { InvalidRequestError, INTERVAL_NAMES, abortable, delay, formatInterval, systemClock } from '../../core/index.js';
import type { LiveFeed, LiveFeedCommonOptions } from './live-feed.js';
import { createMalformedReporter } from './malformed-reporter.js';
import { checkReconnectPolicy, reconnectDelay } from './reconnect-backoff.js';
import { createSubscriptionSet } from './subscription-set.js';
import type { SubscriptionEntry } from './subscription-set.js';

/** ccxt's OHLCV arrays carry exactly these columns. */
export const CCXT_OHLCV_COLUMNS = ['open', 'high', 'low', 'close', 'volume'] as const;

export interface CcxtStaticMarket {
  /** The exchange's id of the market (`BTCUSDT`). */
  readonly id: string;
  readonly type?: 'spot' | 'swap' | 'future';
}

export interface CcxtProFeedOptions extends LiveFeedCommonOptions {
  /** A ccxt pro exchange id (`binance`, `okx`, …). */
  readonly exchange: string;
  /** Replaces the exchange's WebSocket URL for `marketType` (a proxy, a testnet, a local server). */
  readonly wsUrl?: string;
  /** Which `urls.api.ws` entry `wsUrl` replaces (default `spot`). */
  readonly marketType?: string;
  /** Markets by unified symbol, declared instead of loaded from the exchange's REST API. */
  readonly markets?: Readonly<Record<string, CcxtStaticMarket>>;
}

/** The slice of a ccxt pro exchange this feed uses. */
interface CcxtProExchange {
  readonly urls: { api?: Record<string, unknown> };
  readonly timeframes?: Record<string, unknown>;
  watchOHLCV(symbol: string, timeframe: string): Promise<number[][]>;
  setMarkets(markets: Record<string, unknown>): unknown;
  loadHttpProxyAgent(): Promise<unknown>;
  close(): Promise<unknown>;
}

function isCcxtProExchange(value: unknown): value is CcxtProExchange {
  return typeof value === 'object' && value !== null && typeof Reflect.get(value, 'watchOHLCV') === 'function';
}

const loadCcxt = () => import('ccxt').then((m) => m.default);
type Ccxt = Awaited<ReturnType<typeof loadCcxt>>;

/** A ccxt market structure from a unified symbol (`BASE/QUOTE` or `BASE/QUOTE:SETTLE`). */
function marketStructure(symbol: string, market: CcxtStaticMarket): Record<string, unknown> {
  const [pair, settle] = symbol.split(':');
  const [base, quote] = pair.split('/');
  const type = market.type ?? (settle === undefined ? 'spot' : 'swap');
  const contract = type !== 'spot';
  return {
    id: market.id, lowercaseId: market.id.toLowerCase(), symbol, base, quote, baseId: base, quoteId: quote,
    settle, settleId: settle, type, spot: !contract, margin: false, swap: type === 'swap', future: type === 'future',
    option: false, contract, linear: contract ? settle === quote : undefined, inverse: contract ? settle === base : undefined, active: true,
  };
}

export function createCcxtProFeed(options: CcxtProFeedOptions): LiveFeed {
  const { name, reconnect, exchange: exchangeId } = options;
  checkReconnectPolicy(reconnect);
  if (options.wsUrl !== undefined && !/^wss?:\/\//i.test(options.wsUrl)) {
    throw new InvalidRequestError('wsUrl', `must be a ws:// or wss:// URL, got "${options.wsUrl}"`);
  }
  const clock = options.clock ?? systemClock;
  const log = options.log;
  const hooks = options.hooks;
  const random = options.random ?? Math.random;
  const malformed = createMalformedReporter(name, log, hooks, () => clock.now());
  const stop = new AbortController();
  const loops = new Set<Promise<void>>();
  let instance: Promise<{ ccxt: Ccxt; ex: CcxtProExchange }> | undefined;
  let closed = false;

  const subs = createSubscriptionSet<AbortController>({
    closeGraceMs: options.closeGraceMs,
    now: () => clock.now(),
    onAdd(entry) {
      const loop = watchLoop(entry).finally(() => loops.delete(loop));
      loops.add(loop);
    },
    onRemove(entry) {
      entry.extra.abort();
    },
  });

  async function createExchange(): Promise<{ ccxt: Ccxt; ex: CcxtProExchange }> {
    const ccxt = await loadCcxt();
    const Ctor: unknown = Reflect.get(ccxt.pro, exchangeId);
    if (typeof Ctor !== 'function') throw new InvalidRequestError('exchange', `ccxt has no pro exchange "${exchangeId}"`);
    const ex: unknown = Reflect.construct(Ctor, [{ enableRateLimit: true }]);
    if (!isCcxtProExchange(ex)) throw new InvalidRequestError('exchange', `ccxt pro exchange "${exchangeId}" has no watchOHLCV`);
    if (options.wsUrl !== undefined) {
      const api = ex.urls.api ?? {};
      const ws = api.ws;
      if (ws !== null && typeof ws === 'object') Reflect.set(ws, options.marketType ?? 'spot', options.wsUrl);
      else api.ws = options.wsUrl;
    }
    // ccxt refuses plain ws:// URLs until its http agent is loaded (it only matters for ws://).
    await ex.loadHttpProxyAgent();
    if (options.markets) {
      const markets: Record<string, unknown> = {};
      for (const [symbol, m] of Object.entries(options.markets)) markets[symbol] = marketStructure(symbol, m);
      ex.setMarkets(markets);
    }
    return { ccxt, ex };
  }

  /** Whether retrying cannot help (the one place ccxt's error classes are read). */
  function isFatal(ccxt: Ccxt, error: unknown): boolean {
    if (error instanceof InvalidRequestError) return true;
    if (error instanceof ccxt.NetworkError) return false;
    return error instanceof ccxt.BadRequest || error instanceof ccxt.NotSupported || error instanceof ccxt.ArgumentsRequired
      || error instanceof ccxt.AuthenticationError;
  }

  function takeCandles(entry: SubscriptionEntry<AbortController>, candles: readonly (readonly number[])[]): void {
    const { intervalMs } = entry.subscription;
    const now = clock.now();
    for (const c of candles) {
      const ts = c[0];
      const values = new Float64Array(5);
      let bad: string | undefined;
      if (!Number.isSafeInteger(ts) || ts % intervalMs !== 0) bad = `ts ${String(ts)} is not on the ${formatInterval(intervalMs)} grid`;
      for (let k = 0; k < 5 && bad === undefined; k++) {
        const v = c[k + 1];
        if (typeof v !== 'number' || !Number.isFinite(v)) bad = `${CCXT_OHLCV_COLUMNS[k]} ${String(v)} is not a finite number`;
        else values[k] = v;
      }
      if (bad !== undefined) malformed.report(bad, JSON.stringify(c));
      else entry.closer.update(ts, values, undefined, now);
    }
  }

  async function watchLoop(entry: SubscriptionEntry<AbortController>): Promise<void> {
    const { symbol, intervalMs } = entry.subscription;
    const timeframe = formatInterval(intervalMs);
    const signal = AbortSignal.any([stop.signal, entry.extra.signal]);
    let attempt = 0;
    let connected = false;
    let everConnected = false;
    while (!closed && !entry.ended) {
      let ccxt: Ccxt | undefined;
      try {
        instance ??= createExchange();
        const made = await abortable(instance, signal);
        ccxt = made.ccxt;
        if (made.ex.timeframes && !Object.hasOwn(made.ex.timeframes, timeframe)) {
          throw new InvalidRequestError('interval', `${exchangeId} has no ${timeframe} timeframe`);
        }
        const candles = await abortable(made.ex.watchOHLCV(symbol, timeframe), signal);
        if (!connected) {
          connected = true;
          entry.push({ type: 'connected', at: clock.now(), reconnect: everConnected });
          log?.info({ feed: name, symbol, timeframe, reconnect: everConnected }, 'live feed connected');
          everConnected = true;
        }
        attempt = 0;
        hooks?.onMessage?.('bar');
        takeCandles(entry, candles);
      } catch (error) {
        if (closed || entry.ended || signal.aborted) break;
        const reason = error instanceof Error ? error.message : String(error);
        connected = false;
        entry.closer.reset();
        if (ccxt === undefined ? error instanceof InvalidRequestError : isFatal(ccxt, error)) {
          log?.warn({ feed: name, symbol, timeframe, reason }, 'live feed: subscription cannot be served; it ends');
          entry.push({ type: 'disconnected', at: clock.now(), reason, attempt: attempt + 1, retryInMs: -1 });
          subs.end(entry);
          break;
        }
        if (ccxt === undefined) instance = undefined; // building the exchange failed: build it again next time
        attempt++;
        const wait = reconnectDelay(reconnect, attempt, random);
        entry.push({ type: 'disconnected', at: clock.now(), reason, attempt, retryInMs: wait });
        log?.warn({ feed: name, symbol, timeframe, reason, attempt, retryInMs: wait }, 'live feed disconnected; reconnecting');
        // Rejects only when the feed closes or the subscription ends while waiting.
        if (!(await delay(wait, signal).then(() => true, () => false))) break;
        hooks?.onReconnect?.();
      }
    }
  }

  return {
    name,
    kind: 'ccxt-pro',
    subscribe(subscription, signal) {
      if (closed) throw new InvalidRequestError('feed', `live feed ${name} is closed`);
      const { columns, symbol, intervalMs } = subscription;
      if (columns.length !== CCXT_OHLCV_COLUMNS.length || columns.some((c, i) => c !== CCXT_OHLCV_COLUMNS[i])) {
        throw new InvalidRequestError('schema', `the ccxt-pro feed gives OHLCV bars (${CCXT_OHLCV_COLUMNS.join(', ')}), the dataset wants ${columns.join(', ')}`);
      }
      if (!Object.hasOwn(INTERVAL_NAMES, formatInterval(intervalMs))) {
        throw new InvalidRequestError('interval', `${intervalMs} ms has no ccxt timeframe name`);
      }
      if (options.markets && !Object.hasOwn(options.markets, symbol)) {
        throw new InvalidRequestError('symbol', `"${symbol}" is not among the declared markets (${Object.keys(options.markets).join(', ')})`);
      }
      return subs.add(subscription, new AbortController(), signal).events;
    },
    async close() {
      if (closed) return;
      closed = true;
      stop.abort();
      subs.endAll();
      await Promise.allSettled([...loops]);
      const made = await instance?.catch(() => undefined);
      await made?.ex.close().catch((error: unknown) => log?.warn({ feed: name, err: error }, 'live feed: ccxt close failed'));
    },
  };
}
