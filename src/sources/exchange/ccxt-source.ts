/**
 * The exchange source: closed OHLCV bars of `ohlcv:<exchange>:<symbol>` datasets from any ccxt
 * exchange's `fetchOHLCV`, paged by `since`/`limit` (ohlcv-pages.ts: the edge conversion and
 * known-empty windows), every request under the upstream's shared budget (ccxt-exchange.ts),
 * errors typed by exchange-errors.ts. Rate-limit answers are waited out here (the whole upstream
 * pauses for Retry-After, then the page is asked again, up to MAX_RATE_LIMIT_RETRIES); other
 * retryable failures are thrown for the backfill's retry policy, which owns attempts and backoff.
 */
import { AbortedError, InvalidRequestError, InvertedRangeError, OHLCV_SCHEMA, abortable, emptyFrame, systemClock } from '../../core/index.js';
import type { Clock, TimeRange } from '../../core/index.js';
import type { BarSource, SourceBatch, SourceHealth, SourcePageSize, SourceRequest } from '../bar-source.js';
import { ExchangeRequestError } from '../errors.js';
import type { BudgetRate } from '../upstream-budget/gcra.js';
import type { UpstreamBudget, UpstreamBudgets } from '../upstream-budget/upstream-budget.js';
import { instrumentExchange, loadCcxt, openExchange } from './ccxt-exchange.js';
import type { InstrumentedExchange, UpstreamMetrics } from './ccxt-exchange.js';
import type { Exchange } from 'ccxt';
import { symbolOfNode } from './exchange-node.js';
import { fetchPaged } from './ohlcv-pages.js';
import { gridTimeframes, timeframeFor } from './timeframes.js';

export interface CcxtSourceOptions {
  /** ccxt exchange id (`binance`, `kraken`, …); also the upstream's budget name and the source's name. */
  readonly exchange: string;
  /** Merged into ccxt's `urls.api` (e.g. `{ public: 'http://mirror:8080/api/v3' }`). */
  readonly urls?: Readonly<Record<string, string>>;
  /** Sustained requests per second and burst of the shared budget; default 1000 / ccxt's `rateLimit` ms, burst 1. */
  readonly rateLimit?: BudgetRate;
  /** Bars asked per request; default and maximum: the exchange's documented maximum (else 500). */
  readonly pageLimit?: number;
  /** Deadline of one HTTP request (ccxt `timeout`); default DEFAULT_CCXT_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  /** Merged into ccxt's `options`. */
  readonly options?: Readonly<Record<string, unknown>>;
  /** The budgets of this process (memory, etcd or the coordinator's permits API). */
  readonly budgets: UpstreamBudgets;
  /** Decides which bars are closed (data time); default the system clock. */
  readonly clock?: Clock;
  readonly metrics?: UpstreamMetrics;
  /** Config key of this source, for errors (default `sources.<exchange>`). */
  readonly field?: string;
}

export const DEFAULT_CCXT_TIMEOUT_MS = 10_000;
/** Bars per request when the exchange documents no maximum. */
export const DEFAULT_PAGE_LIMIT = 500;
/** Requests per second when ccxt knows no rate limit for the exchange. */
export const DEFAULT_REQUESTS_PER_SECOND = 5;
/** Rate-limit answers waited out per request before the fetch fails (retryable). */
export const MAX_RATE_LIMIT_RETRIES = 5;
/** A Retry-After longer than this is not waited out inside a fetch: the shard is given back (the upstream stays paused). */
export const MAX_RATE_LIMIT_WAIT_MS = 60_000;

class CcxtSource implements BarSource {
  readonly name: string;
  readonly schema = OHLCV_SCHEMA;
  readonly #client: InstrumentedExchange;
  readonly #exchange: Exchange;
  readonly #budget: UpstreamBudget;
  readonly #clock: Clock;
  readonly #pageLimit: number | undefined;
  readonly #timeframes: ReadonlyMap<number, string>;
  readonly #pageLimits = new Map<string, number>();
  #markets: Promise<unknown> | undefined;
  #reloadMarkets = false;

  constructor(client: InstrumentedExchange, budget: UpstreamBudget, clock: Clock, pageLimit: number | undefined) {
    this.#client = client;
    this.#exchange = client.exchange;
    this.name = client.exchange.id;
    this.#budget = budget;
    this.#clock = clock;
    this.#pageLimit = pageLimit;
    this.#timeframes = gridTimeframes(client.exchange.timeframes);
  }

  async fetch(request: SourceRequest): Promise<SourceBatch> {
    const { nodeId, intervalMs, range, signal } = request;
    checkRange(intervalMs, range);
    const symbol = symbolOfNode(this.name, nodeId);
    const timeframe = timeframeFor(this.name, intervalMs, this.#timeframes);
    if (signal?.aborted === true) throw new AbortedError(signal.reason);
    if (range.end === range.start) return { frame: emptyFrame(OHLCV_SCHEMA), knownEmpty: [] };
    await this.#loadMarkets(signal);
    const pageLimit = await this.#pageLimitOf(symbol, signal);
    const plan = { range, intervalMs, now: this.#clock.now(), pageLimit, exchange: this.name };
    const { frame, knownEmpty } = await fetchPaged(plan, (since, limit) => this.#request(signal, (ex) => ex.fetchOHLCV(symbol, timeframe, since, limit)));
    return { frame, knownEmpty };
  }

  async health(signal?: AbortSignal): Promise<SourceHealth> {
    const before = await this.#budget.snapshot();
    const budget = describeBudget(before);
    if (before.pausedForMs > 0) {
      return { ok: true, detail: `${this.name}: rate-limited, paused for ${(before.pausedForMs / 1000).toFixed(1)} s more (not probed); ${budget}` };
    }
    const ex = this.#exchange;
    const probe = ex.has.fetchTime === true ? 'time' : ex.has.fetchStatus === true ? 'status' : 'markets';
    const started = performance.now();
    try {
      await this.#request<unknown>(signal, (e) => (probe === 'time' ? e.fetchTime() : probe === 'status' ? e.fetchStatus() : e.loadMarkets(true)));
      const ms = Math.round(performance.now() - started);
      return { ok: true, detail: `${this.name}: ${probe} endpoint answered in ${ms} ms; ${budget}` };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, detail: `${this.name}: ${probe} endpoint failed: ${message}; ${budget}` };
    }
  }

  pageSize(nodeId: string): SourcePageSize {
    const symbol = symbolOfNode(this.name, nodeId);
    const known = this.#pageLimits.get(symbol);
    if (known !== undefined) return { bars: known, basis: `the page size fetches of ${symbol} use` };
    // Before the markets are loaded the market type is unknown: the spot maximum of ccxt's features.
    const max = limitIn(this.#exchange.features.spot);
    const configured = this.#pageLimit;
    if (configured !== undefined) {
      return max !== undefined && max < configured
        ? { bars: max, basis: `pageLimit ${configured} capped at the exchange's documented spot maximum` }
        : { bars: configured, basis: 'the configured pageLimit' };
    }
    return max !== undefined
      ? { bars: max, basis: "the exchange's documented spot maximum" }
      : { bars: DEFAULT_PAGE_LIMIT, basis: 'the default page size (the exchange documents no maximum)' };
  }

  /** One ccxt call, waiting out rate-limit answers (the budget pauses every worker meanwhile). */
  async #request<T>(signal: AbortSignal | undefined, fn: (exchange: Exchange) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#client.call(signal, fn);
      } catch (error) {
        const waitable = error instanceof ExchangeRequestError && error.reason === 'rate_limited'
          && attempt <= MAX_RATE_LIMIT_RETRIES && (error.retryAfterMs ?? 0) <= MAX_RATE_LIMIT_WAIT_MS;
        if (!waitable) throw error;
      }
    }
  }

  /**
   * ccxt keeps a failed market load forever (its promise stays rejected), so a failure is
   * remembered here and the next fetch reloads. The load is shared and not tied to one caller's
   * signal: an aborted caller stops waiting, the others still get the markets.
   */
  #loadMarkets(signal: AbortSignal | undefined): Promise<unknown> {
    if (this.#markets === undefined) {
      const reload = this.#reloadMarkets;
      this.#markets = this.#request(undefined, (ex) => ex.loadMarkets(reload)).then(
        () => { this.#reloadMarkets = false; },
        (error: unknown) => {
          this.#reloadMarkets = true;
          this.#markets = undefined;
          throw error;
        },
      );
    }
    return abortable(this.#markets, signal);
  }

  /** The bars asked per request for `symbol`: the configured limit, capped at the exchange's documented maximum. */
  async #pageLimitOf(symbol: string, signal: AbortSignal | undefined): Promise<number> {
    const known = this.#pageLimits.get(symbol);
    if (known !== undefined) return known;
    // Through the client only to translate ccxt's BadSymbol (the market lookup sends nothing).
    const max = await this.#client.call(signal, (ex) => Promise.resolve(maxOhlcvLimit(ex, symbol)));
    const limit = Math.max(1, Math.min(this.#pageLimit ?? max ?? DEFAULT_PAGE_LIMIT, max ?? Number.POSITIVE_INFINITY));
    this.#pageLimits.set(symbol, limit);
    return limit;
  }
}

/** The exchange's documented most candles per request for the symbol's market type (ccxt `features`). */
function maxOhlcvLimit(exchange: Exchange, symbol: string): number | undefined {
  const market = exchange.market(symbol);
  const byType: unknown = exchange.features[market.type ?? 'spot'];
  const direct = limitIn(byType);
  if (direct !== undefined) return direct;
  const sub = market.linear === true ? 'linear' : market.inverse === true ? 'inverse' : undefined;
  return sub !== undefined && isRecord(byType) ? limitIn(byType[sub]) : undefined;
}

function limitIn(features: unknown): number | undefined {
  if (!isRecord(features) || !isRecord(features.fetchOHLCV)) return undefined;
  const limit = features.fetchOHLCV.limit;
  return typeof limit === 'number' && Number.isSafeInteger(limit) && limit > 0 ? limit : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}

function describeBudget(s: { requestsPerSecond: number; burst: number; authority: string; nextPermitInMs: number; waiting: number; pauses: number }): string {
  return `budget ${s.requestsPerSecond} req/s burst ${s.burst} (${s.authority}), next permit in ${Math.ceil(s.nextPermitInMs)} ms, ${s.waiting} waiting, ${s.pauses} rate-limit pauses`;
}

function checkRange(intervalMs: number, range: TimeRange): void {
  if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) {
    throw new InvalidRequestError('interval', `must be a positive integer number of ms, got ${intervalMs}`);
  }
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) throw new InvalidRequestError('range', `bounds must be integer epoch ms, got [${start}, ${end})`);
  if (end < start) throw new InvertedRangeError(start, end);
  if (start % intervalMs !== 0 || end % intervalMs !== 0) throw new InvalidRequestError('range', `[${start}, ${end}) is not aligned to the ${intervalMs} ms grid`);
}

/**
 * Creates an exchange source. Loads ccxt (first time only) and builds the exchange client; an
 * unknown exchange id, URL key or a bad rate is an InvalidRequestError naming the option. Nothing
 * is sent until the first fetch.
 *
 * @example
 * const source = await createCcxtSource({ exchange: 'binance', budgets, rateLimit: { requestsPerSecond: 10, burst: 2 } });
 * const { frame, knownEmpty } = await source.fetch({ nodeId: 'ohlcv:binance:BTC/USDT', intervalMs: 60_000, range: { start, end } });
 */
export async function createCcxtSource(options: CcxtSourceOptions): Promise<BarSource> {
  const field = options.field ?? `sources.${options.exchange}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_CCXT_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw new InvalidRequestError(`${field}.timeoutMs`, `must be a positive integer, got ${timeoutMs}`);
  if (options.pageLimit !== undefined && (!Number.isSafeInteger(options.pageLimit) || options.pageLimit < 1)) {
    throw new InvalidRequestError(`${field}.pageLimit`, `must be a positive integer, got ${options.pageLimit}`);
  }
  const ccxt = await loadCcxt();
  const exchange = openExchange(ccxt, {
    exchange: options.exchange, timeoutMs,
    ...(options.urls !== undefined ? { urls: options.urls } : {}),
    ...(options.options !== undefined ? { options: options.options } : {}),
  }, field);
  const rate = options.rateLimit ?? defaultRate(exchange.rateLimit);
  const budget = options.budgets.budget(exchange.id, rate);
  const client = instrumentExchange(ccxt, exchange, budget, options.metrics);
  return new CcxtSource(client, budget, options.clock ?? systemClock, options.pageLimit);
}

/** ccxt's `rateLimit` is the ms between two requests; our budget counts requests per second. */
function defaultRate(rateLimitMs: number | undefined): BudgetRate {
  const rps = typeof rateLimitMs === 'number' && rateLimitMs > 0 ? 1000 / rateLimitMs : DEFAULT_REQUESTS_PER_SECOND;
  return { requestsPerSecond: rps, burst: 1 };
}
