/**
 * The one place where ccxt's errors become Seamless errors (STYLE §2.8). Nothing else in the
 * exchange source looks at ccxt error classes, HTTP statuses or message text.
 *
 * | ccxt class (or HTTP status)                              | reason          | retryable |
 * |----------------------------------------------------------|-----------------|-----------|
 * | RateLimitExceeded, DDoSProtection, 429, 418              | `rate_limited`  | yes (after the pause) |
 * | RequestTimeout (ccxt timeout, 408, 504)                  | `timeout`       | yes |
 * | ExchangeNotAvailable, OnMaintenance, any 5xx but 501     | `unavailable`   | yes |
 * | other NetworkError (connection refused/reset, DNS)       | `network`       | yes |
 * | BadResponse, NullResponse, other OperationFailed         | `bad_response`  | yes |
 * | BadSymbol                                                | `bad_symbol`    | no |
 * | BadRequest, ArgumentsRequired, any other 4xx answer      | `bad_request`   | no |
 * | AuthenticationError (incl. PermissionDenied)             | `auth`          | no |
 * | NotSupported                                             | `not_supported` | no |
 * | any other ExchangeError                                  | `exchange_error`| no |
 *
 * The HTTP status, when there was an answer, wins over ccxt's class: a 4xx is never retried even
 * when ccxt files it under ExchangeNotAvailable (it maps 400/403/404 there) — the same request
 * will be refused again — and a 5xx is always retried even when the exchange's error code maps
 * to a non-retryable class. Our own SeamlessErrors (an abort,
 * a budget store that is down) pass through unchanged; anything that is not a ccxt error is a bug
 * and becomes InternalError.
 */
import type * as CcxtModule from 'ccxt';
import { isSeamlessError, toSeamlessError } from '../../core/index.js';
import type { SeamlessError } from '../../core/index.js';
import { ExchangeRequestError } from '../errors.js';
import type { ExchangeFailureReason } from '../errors.js';

/** What the HTTP layer saw of the failed request's answer, if there was one. */
export interface HttpAnswer {
  readonly status?: number;
  /** The answer's Retry-After, in ms from when it arrived. */
  readonly retryAfterMs?: number;
}

/** Longest Retry-After honoured as given (a longer ban is still reported, but capped). */
export const MAX_RETRY_AFTER_MS = 3_600_000;
const MAX_MESSAGE = 400;

/**
 * Translates anything a ccxt call threw into a SeamlessError for upstream `exchange`. `ccxt` is
 * the loaded module (its error classes; it is loaded lazily, see ccxt-exchange.ts).
 */
export function translateExchangeError(ccxt: typeof CcxtModule, error: unknown, exchange: string, http: HttpAnswer = {}): SeamlessError {
  if (isSeamlessError(error)) return error;
  if (!(error instanceof ccxt.BaseError)) return toSeamlessError(error);
  const { status, retryAfterMs } = http;
  const reason = reasonOf(ccxt, error, status);
  return new ExchangeRequestError(exchange, reason, `${describe(reason, status)}: ${clip(stripExchangeId(error.message, exchange))}`, {
    retryable: RETRYABLE[reason], cause: error,
    ...(status !== undefined ? { status } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

const RETRYABLE: Readonly<Record<ExchangeFailureReason, boolean>> = {
  rate_limited: true, timeout: true, unavailable: true, network: true, bad_response: true,
  bad_symbol: false, bad_request: false, auth: false, not_supported: false, exchange_error: false,
};

function reasonOf(ccxt: typeof CcxtModule, error: Error, status: number | undefined): ExchangeFailureReason {
  if (error instanceof ccxt.RateLimitExceeded || error instanceof ccxt.DDoSProtection || status === 429 || status === 418) return 'rate_limited';
  if (error instanceof ccxt.RequestTimeout || status === 408 || status === 504) return 'timeout';
  if (error instanceof ccxt.BadSymbol) return 'bad_symbol';
  if (error instanceof ccxt.AuthenticationError) return 'auth';
  if (status !== undefined && status >= 400 && status < 500) return 'bad_request';
  if (status !== undefined && status >= 500 && status !== 501) return 'unavailable';
  if (error instanceof ccxt.ExchangeNotAvailable) return 'unavailable';
  if (error instanceof ccxt.NetworkError) return 'network';
  if (error instanceof ccxt.BadResponse || error instanceof ccxt.OperationFailed) return 'bad_response';
  if (error instanceof ccxt.BadRequest || error instanceof ccxt.ArgumentsRequired) return 'bad_request';
  if (error instanceof ccxt.NotSupported) return 'not_supported';
  return 'exchange_error';
}

function describe(reason: ExchangeFailureReason, status: number | undefined): string {
  const http = status === undefined ? '' : ` (HTTP ${status})`;
  switch (reason) {
    case 'rate_limited': return `rate limited${http}`;
    case 'timeout': return `request timed out${http}`;
    case 'unavailable': return `exchange unavailable${http}`;
    case 'network': return 'network error';
    case 'bad_response': return `unusable answer${http}`;
    case 'bad_symbol': return `unknown symbol${http}`;
    case 'bad_request': return `request refused${http}`;
    case 'auth': return `not authorised${http}`;
    case 'not_supported': return 'not supported by the exchange';
    case 'exchange_error': return `exchange error${http}`;
    default: {
      const never: never = reason;
      return never;
    }
  }
}

/** ccxt messages start with the exchange id ("binance GET https://…"); ours already name it. */
function stripExchangeId(message: string, exchange: string): string {
  return message.startsWith(`${exchange} `) ? message.slice(exchange.length + 1) : message;
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_MESSAGE ? `${oneLine.slice(0, MAX_MESSAGE)}…` : oneLine;
}

/**
 * Parses a Retry-After header (delay-seconds, or an HTTP date) into ms from `now`; undefined
 * when absent or unreadable. Capped at MAX_RETRY_AFTER_MS.
 */
export function parseRetryAfter(value: unknown, now: number): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.ceil(ms)));
}
