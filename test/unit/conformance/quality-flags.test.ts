import { describe, expect, it } from 'vitest';
import { MIN, OHLCV_SCHEMA, QUOTE_SCHEMA, T0, TICK_SCHEMA, check, rowsBatch } from './fixtures.js';

const bar = (k: number): number => T0 + k * MIN;
const ohlcv = (bars: readonly (readonly number[])[], options = {}) =>
  check({ batch: rowsBatch(OHLCV_SCHEMA, bars.map((b, k) => [bar(k), ...b])), options });

describe('OHLCV quality flags', () => {
  it('flags each kind of OHLC inconsistency once per row and skips rows with a non-finite price', () => {
    const r = ohlcv([
      [10, 12, 9, 11, 1],
      [10, 10.5, 9, 11, 1], // high below close
      [10, 12, 10.5, 11, 1], // low above open
      [10, 12, 13, 11, 1], // low above high (and above the body)
      [10, Number.NaN, 13, 11, 1], // non-finite high: not judged
      [10, 10, 10, 10, 1],
    ]);
    expect(r.report.flags).toEqual({ non_finite: 1, ohlc_inconsistent: 3 });
    expect(r.report.warnings.find((w) => w.flag === 'ohlc_inconsistent')).toMatchObject({ column: '*', count: 3, firstTs: bar(1) });
    expect(r.report.warnings.find((w) => w.flag === 'non_finite')).toMatchObject({ column: 'high', count: 1, firstTs: bar(4) });
  });

  it('counts non-finite values per column, infinities included', () => {
    const r = ohlcv([[10, 12, 9, 11, Infinity], [10, 12, 9, 11, Number.NaN], [Number.NaN, 12, 9, 11, -Infinity]]);
    expect(r.report.flags).toEqual({ non_finite: 4 });
    expect(r.report.warnings.map((w) => [w.column, w.count])).toEqual([['open', 1], ['volume', 3]]);
  });

  it('flags negative volume', () => {
    const r = ohlcv([[10, 12, 9, 11, 0], [10, 12, 9, 11, -0.5], [10, 12, 9, 11, -2]]);
    expect(r.report.flags).toEqual({ negative_volume: 2 });
    expect(r.report.warnings[0]).toMatchObject({ column: 'volume', firstTs: bar(1) });
  });

  it('flags close-to-close moves beyond the bound and skips non-positive closes', () => {
    const up = 100 * Math.exp(0.3);
    const r = ohlcv([
      [100, 100, 100, 100, 1],
      [100, up, 100, up, 1], // +0.3: jump
      [up, up, 100, 100, 1], // −0.3: jump
      [100, 110, 100, 110, 1], // +0.095: fine
      [110, 110, -1, -1, 1], // non-positive close: skipped on both sides
      [50, 50, 50, 50, 1],
    ]);
    expect(r.report.flags).toEqual({ price_jump: 2 });
    expect(r.report.warnings[0]).toMatchObject({ column: 'close', firstTs: bar(1) });
    expect(ohlcv([[100, 100, 100, 100, 1], [100, up, 100, up, 1]], { priceJumpMaxAbsLogReturn: 0.5 }).report.flags).toEqual({});
  });

  it('counts the bars of runs of identical closes at least as long as the minimum run', () => {
    const closes = [1, 2, 2, 2, 2, 2, 3, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5];
    const r = ohlcv(closes.map((c) => [c, c, c, c, 1]), { stalePriceMinRun: 5, priceJumpMaxAbsLogReturn: 10 });
    expect(r.report.flags).toEqual({ stale_price: 11 });
    expect(r.report.warnings[0]).toMatchObject({ column: 'close', count: 11, firstTs: bar(1) });
  });
});

describe('tick quality flags', () => {
  it('flags non-positive prices and sizes, and non-finite values', () => {
    const rows = [[1, 1], [0, 1], [-1, 0], [Number.NaN, 2], [2, -3]];
    const r = check({ batch: rowsBatch(TICK_SCHEMA, rows.map((x, k) => [bar(k), ...x])), frameSchema: TICK_SCHEMA });
    expect(r.report.flags).toEqual({ invalid_price: 2, invalid_size: 2, non_finite: 1 });
    expect(r.report.warnings.find((w) => w.flag === 'invalid_size')).toMatchObject({ column: 'size', firstTs: bar(2) });
  });
});

describe('quote quality flags', () => {
  it('flags crossed quotes, wide spreads and invalid sides', () => {
    const rows = [
      [100, 101, 1, 1], // fine: spread ≈ 1%
      [101, 100, 1, 1], // crossed
      [100, 110, 1, 1], // wide: ≈ 9.5%
      [0, 1, 1, 1], // invalid bid (and its spread is not judged)
      [100, 100.5, -1, 1], // invalid bid size
      [100, 100.5, 1, -2], // invalid ask size
      [100, Number.NaN, 1, 1], // non-finite ask: neither crossed nor wide
    ];
    const r = check({ batch: rowsBatch(QUOTE_SCHEMA, rows.map((x, k) => [bar(k), ...x])), frameSchema: QUOTE_SCHEMA });
    expect(r.report.flags).toEqual({ crossed_quotes: 1, wide_spread: 1, invalid_bid: 2, invalid_ask: 1, non_finite: 1 });
    expect(r.report.warnings.find((w) => w.flag === 'wide_spread')).toMatchObject({ firstTs: bar(2) });
    const loose = check({ batch: rowsBatch(QUOTE_SCHEMA, [[bar(0), 100, 110, 1, 1]]), frameSchema: QUOTE_SCHEMA, options: { wideSpreadMaxRelative: 0.1 } });
    expect(loose.report.flags).toEqual({});
  });
});
