/**
 * One ccxt exchange client, instrumented: every HTTP request it sends (candles, markets, time)
 * first takes a permit of the upstream's shared budget, is timed and counted by outcome, and
 * remembers its HTTP status and Retry-After so the error translator can use them. A 429 (or
 * ccxt's RateLimitExceeded) pauses the whole upstream — every worker sharing the budget — for
 * Retry-After. ccxt's own throttler is off: our budget is the only one.
 *
 * The request's context (its AbortSignal, what the answer said) travels with the async call
 * through an AsyncLocalStorage, since one client serves many concurrent fetches.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Exchange } from 'ccxt';
import type * as CcxtModule from 'ccxt';
import { AbortedError, InvalidRequestError, abortable } from '../../core/index.js';
import type { SeamlessError } from '../../core/index.js';
import { ExchangeRequestError } from '../errors.js';
import type { ExchangeFailureReason } from '../errors.js';
import type { UpstreamBudget } from '../upstream-budget/upstream-budget.js';
import { parseRetryAfter, translateExchangeError } from './exchange-errors.js';

export type Ccxt = typeof CcxtModule;

/** Counts and times upstream requests (the composition wires Prometheus metrics in). */
export interface UpstreamMetrics {
  request(outcome: 'ok' | ExchangeFailureReason, seconds: number): void;
  rateLimited(): void;
}

export interface ExchangeSettings {
  readonly exchange: string;
  /** Merged into ccxt's `urls.api` (a local mirror, a regional host). Keys must exist there. */
  readonly urls?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Merged into ccxt's `options` (e.g. `fetchMarkets: { types: ['spot'] }`). */
  readonly options?: Readonly<Record<string, unknown>>;
}

/** Pause of the whole upstream after a rate-limit answer without a Retry-After. */
export const DEFAULT_RATE_LIMIT_PAUSE_MS = 1_000;

interface CallContext {
  readonly signal: AbortSignal | undefined;
  status: number | undefined;
  retryAfterMs: number | undefined;
}

let loading: Promise<Ccxt> | undefined;

/**
 * ccxt, loaded on first use: it brings ~100 exchange modules (about 0.4 s at import), which
 * processes without an exchange source (most CLI commands) should not pay for.
 */
export function loadCcxt(): Promise<Ccxt> {
  loading ??= import('ccxt');
  return loading;
}

/** Builds the ccxt client of `settings.exchange`; unknown exchanges and URL keys are config errors. */
export function openExchange(ccxt: Ccxt, settings: ExchangeSettings, field: string): Exchange {
  const { exchanges } = ccxt;
  if (!Object.hasOwn(exchanges, settings.exchange)) {
    throw new InvalidRequestError(`${field}.exchange`, `"${settings.exchange}" is not a ccxt exchange id (e.g. binance, kraken, okx)`);
  }
  const Ctor: typeof ccxt.Exchange = exchanges[settings.exchange as keyof typeof exchanges];
  const exchange = new Ctor({
    enableRateLimit: false,
    timeout: settings.timeoutMs,
    ...(settings.options !== undefined ? { options: { ...settings.options } } : {}),
  });
  if (settings.urls !== undefined) mergeUrls(exchange, settings.urls, field);
  return exchange;
}

function mergeUrls(exchange: Exchange, urls: Readonly<Record<string, string>>, field: string): void {
  const api: unknown = exchange.urls.api;
  if (typeof api === 'string') {
    const keys = Object.keys(urls);
    if (keys.length !== 1 || keys[0] !== 'api') throw new InvalidRequestError(`${field}.urls`, `${exchange.id} has a single API URL: give it as { api: <url> }`);
    // ccxt types urls.api as a table; this exchange keeps a single string there.
    Reflect.set(exchange.urls, 'api', urls.api);
    return;
  }
  const table = api !== null && typeof api === 'object' ? (api as Record<string, unknown>) : {};
  for (const key of Object.keys(urls)) {
    if (!Object.hasOwn(table, key)) {
      throw new InvalidRequestError(`${field}.urls.${key}`, `${exchange.id} has no API URL "${key}"; it has ${Object.keys(table).join(', ')}`);
    }
  }
  exchange.urls.api = { ...table, ...urls };
}

/** Runs ccxt calls of one exchange under the budget, with metrics and error translation. */
export interface InstrumentedExchange {
  readonly exchange: Exchange;
  /** Runs `fn` with the client; rejects with a SeamlessError (AbortedError when `signal` fires). */
  call<T>(signal: AbortSignal | undefined, fn: (exchange: Exchange) => Promise<T>): Promise<T>;
}

/** Instruments `exchange` (see the header); the client must not be used uninstrumented afterwards. */
export function instrumentExchange(ccxt: Ccxt, exchange: Exchange, budget: UpstreamBudget, metrics: UpstreamMetrics | undefined): InstrumentedExchange {
  return new Instrumented(ccxt, exchange, budget, metrics);
}

class Instrumented implements InstrumentedExchange {
  readonly exchange: Exchange;
  readonly #ccxt: Ccxt;
  readonly #budget: UpstreamBudget;
  readonly #metrics: UpstreamMetrics | undefined;
  readonly #context = new AsyncLocalStorage<CallContext>();

  constructor(ccxt: Ccxt, exchange: Exchange, budget: UpstreamBudget, metrics: UpstreamMetrics | undefined) {
    this.#ccxt = ccxt;
    this.exchange = exchange;
    this.#budget = budget;
    this.#metrics = metrics;
    const send = exchange.fetch.bind(exchange);
    const onResponse = exchange.onRestResponse.bind(exchange);
    // Every HTTP request of this client passes here (ccxt's fetch2 → fetch), whichever method asked.
    exchange.fetch = (url: string, method?: string, headers?: unknown, body?: unknown) => this.#send(() => send(url, method, headers, body));
    // Called with each answer's status and headers before ccxt decides whether it is an error.
    exchange.onRestResponse = (status: number, statusText: string, url: string, method: string, responseHeaders: Record<string, string> | undefined, responseBody: string, requestHeaders: unknown, requestBody: unknown): unknown => {
      const call = this.#context.getStore();
      if (call !== undefined) {
        call.status = status;
        call.retryAfterMs = parseRetryAfter(responseHeaders?.['Retry-After'], Date.now());
      }
      return onResponse(status, statusText, url, method, responseHeaders, responseBody, requestHeaders, requestBody);
    };
  }

  async call<T>(signal: AbortSignal | undefined, fn: (exchange: Exchange) => Promise<T>): Promise<T> {
    const call: CallContext = { signal, status: undefined, retryAfterMs: undefined };
    // ccxt cannot cancel a request in flight: on abort we stop waiting; its timeout bounds the rest.
    const running = this.#context.run(call, () => fn(this.exchange));
    try {
      return await abortable(running, signal);
    } catch (error) {
      throw this.#translate(error, call);
    }
  }

  async #send(request: () => Promise<unknown>): Promise<unknown> {
    const call = this.#context.getStore();
    await this.#budget.acquire(call?.signal);
    // A permit that came after the caller gave up (a shared store answering late) is spent, but
    // the exchange is not asked: nobody waits for the answer.
    if (call?.signal?.aborted === true) throw new AbortedError(call.signal.reason);
    if (call !== undefined) {
      call.status = undefined;
      call.retryAfterMs = undefined;
    }
    const started = performance.now();
    try {
      const answer = await request();
      this.#metrics?.request('ok', (performance.now() - started) / 1000);
      return answer;
    } catch (error) {
      const translated = this.#translate(error, call);
      const reason = translated instanceof ExchangeRequestError ? translated.reason : 'exchange_error';
      this.#metrics?.request(reason, (performance.now() - started) / 1000);
      if (reason === 'rate_limited') {
        this.#metrics?.rateLimited();
        await this.#budget.pause(call?.retryAfterMs ?? DEFAULT_RATE_LIMIT_PAUSE_MS);
      }
      throw error;
    }
  }

  #translate(error: unknown, call: CallContext | undefined): SeamlessError {
    return translateExchangeError(this.#ccxt, error, this.exchange.id, {
      ...(call?.status !== undefined ? { status: call.status } : {}),
      ...(call?.retryAfterMs !== undefined ? { retryAfterMs: call.retryAfterMs } : {}),
    });
  }
}
