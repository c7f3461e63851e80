import { describe, expect, it } from 'vitest';
import { createConformancePipeline, frameToRawBatch } from '../../../src/conformance/index.js';
import { MIN, OHLCV_SCHEMA, T0, check, cleanOhlcv, rowsBatch } from './fixtures.js';

/** A fine OHLCV row at `t` with volume `v`. */
const row = (t: number, v = 1): number[] => [t, 10, 12, 9, 11, v];
const bar = (k: number): number => T0 + k * MIN;

describe('temporal rollup', () => {
  it('keeps the last of several rows with one ts and counts the dropped ones', () => {
    const r = check({ batch: rowsBatch(OHLCV_SCHEMA, [row(bar(0)), row(bar(1), 1), row(bar(1), 2), row(bar(1), 3), row(bar(2))]), expected: { start: bar(0), end: bar(3) } });
    expect(r.report.flags).toEqual({ duplicate_ts: 2 });
    expect(r.report.warnings[0]).toMatchObject({ column: 'ts', count: 2, firstTs: bar(1) });
    expect([...r.frame.column('volume')]).toEqual([1, 3, 1]);
  });

  it('keeps the last arrival of a ts even when rows arrive out of order', () => {
    const r = check({ batch: rowsBatch(OHLCV_SCHEMA, [row(bar(2), 1), row(bar(0), 1), row(bar(2), 2), row(bar(1), 1), row(bar(0), 5)]), expected: { start: bar(0), end: bar(3) } });
    expect(r.report.flags.duplicate_ts).toBe(2);
    expect(r.report.flags.unsorted_ts).toBeGreaterThan(0);
    expect([...r.frame.ts]).toEqual([bar(0), bar(1), bar(2)]);
    expect([...r.frame.column('volume')]).toEqual([5, 1, 2]);
  });

  it('sorts sparse rows over a long range and still keeps the last arrival of a ts', () => {
    const rows = [row(bar(0), 1), row(bar(5_000), 1), row(bar(2_500), 1), row(bar(5_000), 2), row(bar(4_999), 1)];
    const r = check({ batch: rowsBatch(OHLCV_SCHEMA, rows), expected: { start: bar(0), end: bar(6_000) } });
    expect(r.report.flags).toMatchObject({ duplicate_ts: 1, unsorted_ts: 2, gap: 6_000 - 4 });
    expect([...r.frame.ts]).toEqual([bar(0), bar(2_500), bar(4_999), bar(5_000)]);
    expect([...r.frame.column('volume')]).toEqual([1, 1, 1, 2]);
  });

  it('sorts unsorted rows as an info-level normalisation', () => {
    const r = check({ batch: rowsBatch(OHLCV_SCHEMA, [row(bar(1)), row(bar(0)), row(bar(2))]), expected: { start: bar(0), end: bar(3) } });
    expect(r.report.flags).toEqual({ unsorted_ts: 1 });
    expect(r.report.hasErrors).toBe(false);
    expect([...r.frame.ts]).toEqual([bar(0), bar(1), bar(2)]);
  });

  it('drops off-grid rows as misaligned_ts with the first offending ts', () => {
    const r = check({ batch: rowsBatch(OHLCV_SCHEMA, [row(bar(0)), row(bar(1) + 7), row(bar(1)), row(bar(0) + 30_000)]), expected: { start: bar(0), end: bar(2) } });
    expect(r.report.flags).toEqual({ misaligned_ts: 2 });
    expect(r.report.warnings[0].firstTs).toBe(bar(0) + 30_000);
    expect(r.frame.length).toBe(2);
  });

  it('drops bars that have not closed yet as future_ts, keeping the bar that closes exactly now', () => {
    const now = bar(3);
    const r = check({ batch: rowsBatch(OHLCV_SCHEMA, [row(bar(0)), row(bar(1)), row(bar(2)), row(bar(3)), row(bar(4))]), expected: { start: bar(0), end: bar(5) }, now });
    expect(r.report.flags).toEqual({ future_ts: 2 });
    expect([...r.frame.ts]).toEqual([bar(0), bar(1), bar(2)]);
    // Bars not closed are not expected either: no gap, and completeness counts 3 bars.
    expect(r.report.gaps).toEqual([]);
    expect(r.report.completeness.windows[0]).toMatchObject({ expected: 3, present: 3 });
  });

  it('drops rows outside the expected range silently and keeps the rest as views', () => {
    const frame = cleanOhlcv(10);
    const r = createConformancePipeline().check({
      nodeId: 'n', intervalMs: MIN, frameSchema: OHLCV_SCHEMA, batch: frameToRawBatch(frame), expected: { start: bar(2), end: bar(7) },
      knownEmpty: [], now: bar(100), origin: 'read', mode: 'blocking',
    });
    expect(r.report.flags).toEqual({});
    expect(r.outOfRangeRows).toBe(5);
    expect([...r.frame.ts]).toEqual([bar(2), bar(3), bar(4), bar(5), bar(6)]);
    expect(r.frame.ts.buffer).toBe(frame.ts.buffer);
    expect(r.report.rowsIn).toBe(10);
    expect(r.report.rowsOut).toBe(5);
  });

  it('reports missing bars as gaps with their merged ranges', () => {
    const rows = [0, 1, 4, 5, 6, 9].map((k) => row(bar(k)));
    const r = check({ batch: rowsBatch(OHLCV_SCHEMA, rows), expected: { start: bar(0), end: bar(12) } });
    expect(r.report.flags).toEqual({ gap: 6 });
    expect(r.report.gaps).toEqual([{ start: bar(2), end: bar(4) }, { start: bar(7), end: bar(9) }, { start: bar(10), end: bar(12) }]);
    expect(r.report.warnings[0]).toMatchObject({ flag: 'gap', count: 6, firstTs: bar(2) });
    expect(r.frame.length).toBe(6);
  });

  it('does not count known-empty bars as gaps, but a bar only partly known empty still is one', () => {
    const rows = [0, 1, 4, 5].map((k) => row(bar(k)));
    const r = check({
      batch: rowsBatch(OHLCV_SCHEMA, rows), expected: { start: bar(0), end: bar(8) },
      knownEmpty: [{ start: bar(2), end: bar(4) }, { start: bar(6), end: bar(7) + 30_000 }],
    });
    expect(r.report.gaps).toEqual([{ start: bar(7), end: bar(8) }]);
    expect(r.report.flags).toEqual({ gap: 1 });
  });

  it('gives an empty batch a gap over every closed expected bar', () => {
    const r = check({ batch: rowsBatch(OHLCV_SCHEMA, []), expected: { start: bar(0), end: bar(5) } });
    expect(r.report.flags).toEqual({ gap: 5 });
    expect(r.report.rowsIn).toBe(0);
    expect(r.frame.length).toBe(0);
  });
});

describe('completeness windows', () => {
  it('cuts the range into aligned windows with known-empty bars excluded from the expected count', () => {
    const present: number[] = [];
    for (let k = 0; k < 30; k++) if (!(k >= 12 && k < 17) && ![22, 23, 28].includes(k)) present.push(k);
    const r = check({
      batch: rowsBatch(OHLCV_SCHEMA, present.map((k) => row(bar(k)))),
      expected: { start: bar(0), end: bar(30) },
      knownEmpty: [{ start: bar(12), end: bar(17) }],
      options: { completenessWindowBars: 10 },
    });
    expect(r.report.completeness.windowMs).toBe(10 * MIN);
    expect(r.report.completeness.windows).toEqual([
      { start: bar(0), end: bar(10), expected: 10, present: 10, ratio: 1 },
      { start: bar(10), end: bar(20), expected: 5, present: 5, ratio: 1 },
      { start: bar(20), end: bar(30), expected: 10, present: 7, ratio: 0.7 },
    ]);
  });

  it('aligns windows to the epoch grid and clips them to the range', () => {
    const r = check({ batch: rowsBatch(OHLCV_SCHEMA, [row(bar(5))]), expected: { start: bar(5), end: bar(15) }, options: { completenessWindowBars: 10 } });
    const ws = r.report.completeness.windows;
    expect(ws.map((w) => [w.start, w.end, w.expected, w.present])).toEqual([
      [bar(5), bar(10), 5, 1],
      [bar(10), bar(15), 5, 0],
    ]);
    expect(ws[1].ratio).toBe(0);
  });

  it('gives a window with nothing expected a ratio of 1', () => {
    const r = check({ batch: rowsBatch(OHLCV_SCHEMA, []), expected: { start: bar(0), end: bar(4) }, knownEmpty: [{ start: bar(0), end: bar(4) }] });
    expect(r.report.completeness.windows).toEqual([{ start: bar(0), end: bar(4), expected: 0, present: 0, ratio: 1 }]);
    expect(r.report.flags).toEqual({});
  });
});
