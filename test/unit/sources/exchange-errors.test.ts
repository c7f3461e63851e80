/**
 * ccxt's errors (the real classes) → our typed errors, Retry-After parsing, interval ↔ timeframe
 * mapping and the node ids of exchange datasets.
 */
import { describe, expect, it } from 'vitest';
import { AbortedError, InternalError, InvalidRequestError } from '../../../src/core/index.js';
import {
  ExchangeRequestError, MAX_RETRY_AFTER_MS, exchangeNodePrefix, gridTimeframes, loadCcxt, parseRetryAfter, symbolOfNode,
  timeframeFor, timeframeMs, translateExchangeError,
} from '../../../src/sources/internal.js';

const ccxt = await loadCcxt();

describe('exchange error translation', () => {
  const cases: [string, Error, number | undefined, string, boolean][] = [
    ['RateLimitExceeded', new ccxt.RateLimitExceeded('binance {"code":-1003}'), undefined, 'rate_limited', true],
    ['DDoSProtection on a 429', new ccxt.DDoSProtection('binance 429 Too Many Requests'), 429, 'rate_limited', true],
    ['a 418 ban', new ccxt.DDoSProtection('binance 418'), 418, 'rate_limited', true],
    ['RequestTimeout', new ccxt.RequestTimeout('binance GET … request timed out (10000 ms)'), undefined, 'timeout', true],
    ['a 504', new ccxt.RequestTimeout('binance 504'), 504, 'timeout', true],
    ['ExchangeNotAvailable on a 502', new ccxt.ExchangeNotAvailable('binance 502 Bad Gateway'), 502, 'unavailable', true],
    ['OnMaintenance', new ccxt.OnMaintenance('binance system maintenance'), undefined, 'unavailable', true],
    ['a 5xx whose code maps to OperationFailed', new ccxt.OperationFailed('binance {"code":-1008}'), 503, 'unavailable', true],
    ['NetworkError (connection refused)', new ccxt.NetworkError('binance GET … fetch failed: ECONNREFUSED'), undefined, 'network', true],
    ['BadResponse', new ccxt.BadResponse('binance garbled'), 200, 'bad_response', true],
    ['BadSymbol from the exchange', new ccxt.BadSymbol('binance {"code":-1121,"msg":"Invalid symbol."}'), 400, 'bad_symbol', false],
    ['BadSymbol from ccxt (no market)', new ccxt.BadSymbol('binance does not have market symbol XYZ/USDT'), undefined, 'bad_symbol', false],
    ['BadRequest', new ccxt.BadRequest('binance {"code":-1100}'), 400, 'bad_request', false],
    ['a 400 ccxt files under ExchangeNotAvailable', new ccxt.ExchangeNotAvailable('binance 400 Bad Request'), 400, 'bad_request', false],
    ['a 403 (restricted location)', new ccxt.ExchangeNotAvailable('binance 403 Forbidden'), 403, 'bad_request', false],
    ['AuthenticationError', new ccxt.AuthenticationError('binance requires apiKey'), 401, 'auth', false],
    ['PermissionDenied', new ccxt.PermissionDenied('binance permission denied'), undefined, 'auth', false],
    ['NotSupported', new ccxt.NotSupported('binance fetchOHLCV() not supported'), undefined, 'not_supported', false],
    ['a plain ExchangeError', new ccxt.ExchangeError('binance {"code":-2010}'), undefined, 'exchange_error', false],
  ];

  it.each(cases)('files %s under its reason and retryability', (_name, error, status, reason, retryable) => {
    const translated = translateExchangeError(ccxt, error, 'binance', status === undefined ? {} : { status });
    expect(translated).toBeInstanceOf(ExchangeRequestError);
    expect(translated).toMatchObject({ code: 'upstream_unavailable', reason, retryable, upstream: 'binance' });
    expect(translated.httpStatus).toBe(502);
    expect(translated.cause).toBe(error);
    expect(translated.details).toMatchObject({ upstream: 'binance', reason });
  });

  it('keeps the answer\'s status and Retry-After, and names the exchange once', () => {
    const e = translateExchangeError(ccxt, new ccxt.DDoSProtection('binance 429 Too Many Requests {"code":-1003}'), 'binance', { status: 429, retryAfterMs: 2_000 });
    expect(e).toMatchObject({ status: 429, retryAfterMs: 2_000, details: { status: 429, retryAfterMs: 2_000 } });
    expect(e.message).toBe('binance: rate limited (HTTP 429): 429 Too Many Requests {"code":-1003}');
  });

  it('passes our own errors through and turns foreign non-ccxt errors into internal ones', () => {
    const aborted = new AbortedError('stop');
    expect(translateExchangeError(ccxt, aborted, 'binance')).toBe(aborted);
    const bug = translateExchangeError(ccxt, new TypeError('x is undefined'), 'binance');
    expect(bug).toBeInstanceOf(InternalError);
    expect(bug.retryable).toBe(false);
  });

  it('reads Retry-After as seconds or an HTTP date, capped, and ignores anything else', () => {
    const now = Date.UTC(2024, 2, 4, 6, 0, 0);
    expect(parseRetryAfter('1', now)).toBe(1_000);
    expect(parseRetryAfter(' 2.5 ', now)).toBe(2_500);
    expect(parseRetryAfter('Mon, 04 Mar 2024 06:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 04 Mar 2024 05:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('86400', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('exchange timeframes', () => {
  const binance = new ccxt.binance();
  const offered = gridTimeframes(binance.timeframes);

  it('offers the exchange timeframes whose bars lie on the UTC epoch grid', () => {
    expect(timeframeFor('binance', 60_000, offered)).toBe('1m');
    expect(timeframeFor('binance', 1_000, offered)).toBe('1s');
    expect(timeframeFor('binance', 8 * 3_600_000, offered)).toBe('8h');
    expect(timeframeFor('binance', 86_400_000, offered)).toBe('1d');
    expect(timeframeMs('3d')).toBeUndefined();
    expect(timeframeMs('1M')).toBeUndefined();
    expect(timeframeMs('5h')).toBeUndefined();
  });

  it('refuses weekly bars with the reason, and intervals the exchange lacks with what it offers', () => {
    expect(() => timeframeFor('binance', 7 * 86_400_000, offered)).toThrow(/Mondays.*epoch/);
    expect(() => timeframeFor('binance', 5_000, offered)).toThrow(InvalidRequestError);
    expect(() => timeframeFor('binance', 5_000, offered)).toThrow(/binance has no 5s bars.*offers 1s, 1m, 3m/);
  });
});

describe('exchange node ids', () => {
  it('takes the symbol as everything after the prefix, colons and slashes included', () => {
    expect(exchangeNodePrefix('binance')).toBe('ohlcv:binance:');
    expect(symbolOfNode('binance', 'ohlcv:binance:BTC/USDT')).toBe('BTC/USDT');
    expect(symbolOfNode('binance', 'ohlcv:binance:BTC/USDT:USDT')).toBe('BTC/USDT:USDT');
  });

  it('refuses node ids of another exchange or without a symbol', () => {
    expect(() => symbolOfNode('binance', 'ohlcv:kraken:BTC/USD')).toThrow(InvalidRequestError);
    expect(() => symbolOfNode('binance', 'ohlcv:binance:')).toThrow(/ohlcv:binance:<symbol>/);
    expect(() => symbolOfNode('binance', 'ohlcv:binancefutures:BTC/USDT')).toThrow(InvalidRequestError);
  });
});
