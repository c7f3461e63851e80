import { describe, expect, it } from 'vitest';
import { compileGlob, globToPromRegex } from '../../../src/sla/index.js';
import { globsOverlap } from '../../../src/sla/internal.js';

describe('node-id globs', () => {
  it.each([
    ['*', 'ohlcv:demo:BTC-USD', true],
    ['*', '', true],
    ['ohlcv:binance:*', 'ohlcv:binance:BTCUSDT', true],
    ['ohlcv:binance:*', 'ohlcv:binance:', true],
    ['ohlcv:binance:*', 'ohlcv:binancex:BTC', false],
    ['ohlcv:*:BTC', 'ohlcv:a:b:BTC', true], // '*' crosses ':'
    ['ohlcv:eq/*', 'ohlcv:eq/us/ACME', true], // and '/'
    ['ohlcv:demo:???', 'ohlcv:demo:BTC', true],
    ['ohlcv:demo:???', 'ohlcv:demo:BTCX', false],
    ['ohlcv:demo:?', 'ohlcv:demo:/', true],
    ['a.b', 'aXb', false], // '.' is literal
    ['a+b(c)[d]', 'a+b(c)[d]', true], // regex metacharacters are literal
    ['^x$', '^x$', true],
    ['line*', 'line1\nline2', true], // '*' spans newlines too
  ])('%s against %s → %s', (pattern, node, expected) => {
    expect(compileGlob(pattern).matches(node)).toBe(expected);
  });

  it('counts literal characters and knows exact globs', () => {
    expect(compileGlob('ohlcv:demo:*')).toMatchObject({ exact: false, literals: 11 });
    expect(compileGlob('ohlcv:demo:BTC?')).toMatchObject({ exact: false, literals: 14 });
    expect(compileGlob('ohlcv:demo:BTC')).toMatchObject({ exact: true, literals: 14 });
  });

  it('renders an RE2 regex with metacharacters escaped for Prometheus', () => {
    expect(globToPromRegex('ohlcv:demo:*')).toBe('ohlcv:demo:.*');
    expect(globToPromRegex('a.b?c(d)|e')).toBe('a\\.b.c\\(d\\)\\|e');
  });

  it.each([
    ['ohlcv:a*', 'ohlcv:*a', true],
    ['ohlcv:demo:*', 'ohlcv:*', true],
    ['ohlcv:demo:*', 'ohlcv:binance:*', false],
    ['a*b', 'a*c', false],
    ['x?', 'x', false],
    ['*', 'anything', true],
    ['abc', 'abc', true],
    ['a*z', '*m*', true],
  ])('overlap of %s and %s is %s', (a, b, expected) => {
    expect(globsOverlap(a, b)).toBe(expected);
    expect(globsOverlap(b, a)).toBe(expected);
  });
});
