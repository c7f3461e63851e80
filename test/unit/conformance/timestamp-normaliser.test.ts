import { describe, expect, it } from 'vitest';
import { inferEpochUnit } from '../../../src/conformance/internal.js';
import { MIN, T0, batchOf, big, check, f64, i64, str } from './fixtures.js';

const N = 5;
const values = (k: number): number[] => Array.from({ length: N }, (_, i) => k + i);
const grid = Array.from({ length: N }, (_, i) => T0 + i * MIN);
/** OHLCV value columns for N rows, all fine. */
const ohlcv = {
  open: f64(values(100)), high: f64(values(102)), low: f64(values(99)), close: f64(values(101)), volume: f64(values(1)),
};

describe('timestamp normaliser', () => {
  it('keeps epoch milliseconds as they are, without a ts_cast', () => {
    const r = check({ batch: batchOf({ ts: f64(grid), ...ohlcv }) });
    expect(r.report.flags).toEqual({});
    expect([...r.frame.ts]).toEqual(grid);
  });

  it('converts epoch seconds to ms and flags ts_cast for every row', () => {
    const r = check({ batch: batchOf({ ts: f64(grid.map((t) => t / 1_000)), ...ohlcv }) });
    expect(r.report.flags).toEqual({ ts_cast: N });
    expect([...r.frame.ts]).toEqual(grid);
    expect(r.report.hasErrors).toBe(false);
    expect(r.report.warnings[0]).toMatchObject({ flag: 'ts_cast', level: 'info', column: 'ts', count: N, firstTs: T0 });
  });

  it('converts microseconds (doubles) and nanoseconds (BigInt64Array) exactly', () => {
    const us = check({ batch: batchOf({ ts: f64(grid.map((t) => t * 1_000)), ...ohlcv }) });
    expect(us.report.flags).toEqual({ ts_cast: N });
    expect([...us.frame.ts]).toEqual(grid);
    const ns = check({ batch: batchOf({ ts: big(grid.map((t) => BigInt(t) * 1_000_000n)), ...ohlcv }) });
    expect(ns.report.flags).toEqual({ ts_cast: N });
    expect([...ns.frame.ts]).toEqual(grid);
  });

  it('snaps nanoseconds carried as doubles to whole ms despite their rounding', () => {
    const r = check({ batch: batchOf({ ts: f64(grid.map((t) => t * 1e6)), ...ohlcv }) });
    expect(r.report.flags).toEqual({ ts_cast: N });
    expect([...r.frame.ts]).toEqual(grid);
  });

  it('reads int64 epoch ms as ms, and int64 seconds as seconds', () => {
    expect(check({ batch: batchOf({ ts: i64(grid), ...ohlcv }) }).report.flags).toEqual({});
    const s = check({ batch: batchOf({ ts: big(grid.map((t) => BigInt(t / 1_000))), ...ohlcv }) });
    expect(s.report.flags).toEqual({ ts_cast: N });
    expect([...s.frame.ts]).toEqual(grid);
  });

  it('tells small ms values (early 1970) from seconds by their spacing against the interval', () => {
    const expected = { start: 0, end: 10 * MIN };
    const ms = check({ batch: batchOf({ ts: f64([0, MIN, 2 * MIN, 3 * MIN, 4 * MIN]), ...ohlcv }), expected, now: 1e12 });
    expect(ms.report.flags).toEqual({ gap: 5 });
    const s = check({ batch: batchOf({ ts: f64([0, 60, 120, 180, 240]), ...ohlcv }), expected, now: 1e12 });
    expect(s.report.flags).toEqual({ ts_cast: N, gap: 5 });
    expect([...s.frame.ts]).toEqual([0, MIN, 2 * MIN, 3 * MIN, 4 * MIN]);
  });

  it('uses the expected range when a single row gives no spacing', () => {
    const one = { open: f64([1]), high: f64([2]), low: f64([0.5]), close: f64([1]), volume: f64([1]) };
    const r = check({ batch: batchOf({ ts: f64([T0 / 1_000]), ...one }), expected: { start: T0, end: T0 + MIN } });
    expect(r.report.flags).toEqual({ ts_cast: 1 });
    expect([...r.frame.ts]).toEqual([T0]);
  });

  it('parses ISO strings, normalising zone offsets to UTC', () => {
    const iso = ['2024-01-01T00:00:00Z', '2024-01-01T02:01:00+02:00', '2024-01-01T00:02:00+00:00', '2023-12-31T19:03:00-0500', '2024-01-01T00:04:00.000Z'];
    const r = check({ batch: batchOf({ ts: str(iso), ...ohlcv }) });
    expect(r.report.flags).toEqual({ ts_cast: N, ts_timezone_normalized: 2 });
    expect(r.report.warnings.find((w) => w.flag === 'ts_timezone_normalized')).toMatchObject({ count: 2, firstTs: T0 + MIN });
    expect([...r.frame.ts]).toEqual(grid);
    expect(r.report.hasErrors).toBe(false);
  });

  it('reads digit strings as epoch numbers with the same unit inference', () => {
    const r = check({ batch: batchOf({ ts: str(grid.map((t) => String(t / 1_000))), ...ohlcv }) });
    expect(r.report.flags).toEqual({ ts_cast: N });
    expect([...r.frame.ts]).toEqual(grid);
  });

  it('drops rows with unusable timestamps as invalid_timestamp', () => {
    const r = check({ batch: batchOf({ ts: str(['2024-01-01T00:00:00Z', null, 'yesterday', '2024-02-30T00:00:00Z', '2024-01-01T00:04:00Z']), ...ohlcv }) });
    expect(r.report.flags).toMatchObject({ ts_cast: 2, invalid_timestamp: 3 });
    expect([...r.frame.ts]).toEqual([T0, T0 + 4 * MIN]);
    const nan = check({ batch: batchOf({ ts: f64([T0, Number.NaN, -MIN, Infinity, T0 + 4 * MIN]), ...ohlcv }) });
    expect(nan.report.flags).toMatchObject({ invalid_timestamp: 3 });
    expect(nan.frame.length).toBe(2);
  });

  it('drops every row of a batch without a ts column', () => {
    const r = check({ batch: batchOf(ohlcv) });
    expect(r.report.flags).toMatchObject({ missing_column: N, invalid_timestamp: N });
    expect(r.frame.length).toBe(0);
    expect(r.schemaViolations.some((m) => m.includes('"ts"'))).toBe(true);
  });
});

describe('inferEpochUnit', () => {
  const ctx = { intervalMs: MIN, expected: { start: T0, end: T0 + 10 * MIN } };
  it('reads units from magnitude for real dates', () => {
    expect(inferEpochUnit(T0 / 1_000, T0 / 1_000, Number.NaN, ctx)).toBe('s');
    expect(inferEpochUnit(T0, T0, Number.NaN, ctx)).toBe('ms');
    expect(inferEpochUnit(T0 * 1e3, T0 * 1e3, Number.NaN, ctx)).toBe('us');
    expect(inferEpochUnit(T0 * 1e6, T0 * 1e6, Number.NaN, ctx)).toBe('ns');
  });
  it('falls back to ms when neither spacing nor range decides', () => {
    expect(inferEpochUnit(5, 5, Number.NaN, ctx)).toBe('ms');
    expect(inferEpochUnit(50_000, 0, 7, ctx)).toBe('ms');
  });
});
