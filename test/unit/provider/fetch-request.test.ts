import { describe, expect, it } from 'vitest';
import { SeamlessError } from '../../../src/core/index.js';
import { DEFAULT_STRATEGY, normaliseRequest } from '../../../src/provider/internal.js';
import type { FetchRequest, Strategy } from '../../../src/provider/index.js';
import type { Domain } from '../../../src/provider/internal.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const GOOD: FetchRequest = { nodeId: 'ohlcv:binance:BTC/USDT', interval: '1m', start: T0, end: T0 + 5 * MIN };

/** The field an invalid request is rejected for (its code must be invalid_request). */
function rejectedField(request: FetchRequest, maxBars = 10_000): unknown {
  try {
    normaliseRequest(request, maxBars);
  } catch (error) {
    expect(error).toBeInstanceOf(SeamlessError);
    const e = error as SeamlessError;
    expect(e.code).toBe('invalid_request');
    expect(e.httpStatus).toBe(400);
    return e.details.field;
  }
  return 'accepted';
}

describe('normaliseRequest', () => {
  it('accepts a well-formed request and applies the defaults', () => {
    const req = normaliseRequest(GOOD, 10_000);
    expect(req).toMatchObject({
      nodeId: GOOD.nodeId, intervalMs: MIN, requested: { start: T0, end: T0 + 5 * MIN }, aligned: { start: T0, end: T0 + 5 * MIN },
      strategy: DEFAULT_STRATEGY, partialOk: false, includeBuilding: false, worldId: undefined, domain: undefined, asOf: undefined, requestedBy: 'library',
    });
  });

  it.each([
    ['a missing nodeId', { interval: '1m', start: T0, end: T0 + MIN } as FetchRequest],
    ['an empty nodeId', { ...GOOD, nodeId: '' }],
    ['a nodeId with a control character', { ...GOOD, nodeId: 'ohlcv:bad\u0001id' }],
    ['a nodeId with a newline', { ...GOOD, nodeId: 'ohlcv:bad\nid' }],
    ['a nodeId longer than 256 characters', { ...GOOD, nodeId: 'x'.repeat(257) }],
  ])('names nodeId for %s', (_what, request) => {
    expect(rejectedField(request)).toBe('nodeId');
  });

  it('accepts a nodeId of exactly 256 printable characters with separators', () => {
    expect(rejectedField({ ...GOOD, nodeId: `ohlcv:x/y ${'z'.repeat(246)}` })).toBe('accepted');
  });

  it.each([
    ['missing', { nodeId: 'n', start: T0, end: T0 + MIN } as FetchRequest],
    ['empty', { ...GOOD, interval: '' }],
    ['an unknown name', { ...GOOD, interval: '7x' }],
    ['zero', { ...GOOD, interval: 0 }],
    ['negative', { ...GOOD, interval: -60_000 }],
    ['fractional', { ...GOOD, interval: 1.5 }],
  ])('names interval when it is %s', (_what, request) => {
    expect(rejectedField(request)).toBe('interval');
  });

  it.each([
    ['start is missing', { nodeId: 'n', interval: '1m', end: T0 } as FetchRequest, 'start'],
    ['start is empty', { ...GOOD, start: '' }, 'start'],
    ['start is not a time', { ...GOOD, start: 'yesterday' }, 'start'],
    ['start is fractional epoch ms', { ...GOOD, start: T0 + 0.5 }, 'start'],
    ['end is missing', { nodeId: 'n', interval: '1m', start: T0 } as FetchRequest, 'end'],
    ['end is empty', { ...GOOD, end: '' }, 'end'],
    ['end is a malformed date', { ...GOOD, end: '2024-13-45' }, 'end'],
  ])('names the bound when %s', (_what, request, field) => {
    expect(rejectedField(request)).toBe(field);
  });

  it('names end when end is not after start', () => {
    expect(rejectedField({ ...GOOD, end: GOOD.start })).toBe('end');
    expect(rejectedField({ ...GOOD, start: T0 + MIN, end: T0 })).toBe('end');
  });

  it('names end when the range holds more bars than allowed', () => {
    expect(rejectedField({ ...GOOD, end: T0 + 11 * MIN }, 10)).toBe('end');
    expect(rejectedField({ ...GOOD, end: T0 + 10 * MIN }, 10)).toBe('accepted');
  });

  it('counts the bars of the rounded range against the limit', () => {
    expect(rejectedField({ ...GOOD, start: T0 + 1, end: T0 + 9 * MIN + 1 }, 9)).toBe('end');
  });

  it('names strategy for an unknown strategy', () => {
    expect(rejectedField({ ...GOOD, strategy: 'yolo' as Strategy })).toBe('strategy');
  });

  it('names domain for an unknown domain', () => {
    expect(rejectedField({ ...GOOD, context: { domain: 'moon' as Domain } })).toBe('domain');
  });

  it('rounds off-grid bounds outward and keeps both forms', () => {
    const req = normaliseRequest({ ...GOOD, start: T0 + 30_000, end: T0 + 3 * MIN + 1 }, 10_000);
    expect(req.requested).toEqual({ start: T0 + 30_000, end: T0 + 3 * MIN + 1 });
    expect(req.aligned).toEqual({ start: T0, end: T0 + 4 * MIN });
  });

  it('parses ISO bounds, named intervals and asOf', () => {
    const req = normaliseRequest({ ...GOOD, interval: '1h', start: '2024-01-01', end: '2024-01-01T05:00:00Z', context: { asOf: '2024-02-01', worldId: 'w1', domain: 'backtest' } }, 10_000);
    expect(req).toMatchObject({ intervalMs: 3_600_000, aligned: { start: T0, end: T0 + 5 * 3_600_000 }, asOf: Date.UTC(2024, 1, 1), worldId: 'w1', domain: 'backtest' });
  });
});
