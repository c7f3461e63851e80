import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { intersectRanges, normaliseRanges } from '../../../src/core/index.js';
import type { FrameSchema, TimeRange } from '../../../src/core/index.js';
import { createConformancePipeline, frameToRawBatch } from '../../../src/conformance/index.js';
import { FLAG_CATALOGUE } from '../../../src/conformance/internal.js';
import type { FlagType } from '../../../src/conformance/index.js';
import type { CheckResult, RawBatch, RawColumn } from '../../../src/conformance/internal.js';
import type { ParsedSchema, SchemaField } from '../../../src/schema/index.js';
import { OHLCV_SCHEMA, QUOTE_SCHEMA, T0, TICK_SCHEMA, cleanOhlcv } from './fixtures.js';

const INTERVALS = [1_000, 60_000, 3_600_000];

function run(batch: RawBatch, intervalMs: number, expected: TimeRange, knownEmpty: readonly TimeRange[], now: number): CheckResult {
  return createConformancePipeline().check({
    nodeId: 'ohlcv:prop', intervalMs, frameSchema: OHLCV_SCHEMA, batch, expected, knownEmpty, now, origin: 'read', mode: 'blocking',
  });
}

/** Invariants every result satisfies, whatever went in. */
function assertWellFormed(r: CheckResult, expected: TimeRange, intervalMs: number): void {
  const { frame, report } = r;
  expect(report.rowsOut).toBe(frame.length);
  expect(report.rowsOut).toBeLessThanOrEqual(report.rowsIn);
  for (const v of frame.values) expect(v.length).toBe(frame.length);
  for (let i = 0; i < frame.length; i++) {
    const t = frame.ts[i];
    expect(t % intervalMs).toBe(0);
    expect(t >= expected.start && t < expected.end).toBe(true);
    if (i > 0) expect(t).toBeGreaterThan(frame.ts[i - 1]);
  }
  const sums: Partial<Record<FlagType, number>> = {};
  for (const w of report.warnings) {
    expect(Number.isInteger(w.count) && w.count > 0).toBe(true);
    sums[w.flag] = (sums[w.flag] ?? 0) + w.count;
  }
  expect(sums).toEqual(report.flags);
  const errors = Object.keys(report.flags).some((f) => FLAG_CATALOGUE[f as FlagType].level === 'error');
  expect(report.hasErrors).toBe(errors);
}

describe('conformance pipeline properties', () => {
  it('finds nothing in a clean OHLCV frame and hands back the same frame object', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.constantFrom(...INTERVALS), fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 500 }), (n, I, seed, windowBars) => {
        const frame = cleanOhlcv(n, T0, I, seed);
        const expected = { start: T0, end: T0 + n * I };
        const r = createConformancePipeline({ completenessWindowBars: windowBars }).check({
          nodeId: 'n', intervalMs: I, frameSchema: OHLCV_SCHEMA, batch: frameToRawBatch(frame), expected, knownEmpty: [],
          now: expected.end, origin: 'read', mode: 'blocking',
        });
        expect(r.frame).toBe(frame);
        expect(r.report.flags).toEqual({});
        expect(r.report.warnings).toEqual([]);
        expect(r.report.gaps).toEqual([]);
        expect(r.report.hasErrors).toBe(false);
        expect(r.schemaViolations).toEqual([]);
        for (const w of r.report.completeness.windows) expect(w.ratio).toBe(1);
        const bars = r.report.completeness.windows.reduce((s, w) => s + w.expected, 0);
        expect(bars).toBe(n);
      }),
      { numRuns: 150 },
    );
  });

  it('finds injected defects with exact counts', () => {
    const defects = fc.record({
      n: fc.integer({ min: 10, max: 150 }),
      I: fc.constantFrom(...INTERVALS),
      seed: fc.integer({ min: 1, max: 1e6 }),
      gaps: fc.uniqueArray(fc.nat(149), { maxLength: 12 }),
      knownEmpty: fc.uniqueArray(fc.nat(149), { maxLength: 8 }),
      nans: fc.uniqueArray(fc.nat(149), { maxLength: 8 }),
      negVol: fc.uniqueArray(fc.nat(149), { maxLength: 8 }),
      ohlc: fc.uniqueArray(fc.nat(149), { maxLength: 8 }),
      dups: fc.uniqueArray(fc.nat(149), { maxLength: 8 }),
      misaligned: fc.array(fc.tuple(fc.nat(149), fc.double({ min: 0.001, max: 0.999, noNaN: true })), { maxLength: 8 }),
      future: fc.integer({ min: 0, max: 5 }),
      shuffle: fc.option(fc.integer({ min: 1, max: 1e6 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(defects, (d) => {
        const { n, I } = d;
        const inRange = (xs: number[]): number[] => xs.filter((x) => x < n);
        const gaps = new Set(inRange(d.gaps));
        const knownEmpty = new Set(inRange(d.knownEmpty).filter((x) => !gaps.has(x)));
        const removed = (x: number): boolean => gaps.has(x) || knownEmpty.has(x);
        const nans = new Set(inRange(d.nans).filter((x) => !removed(x)));
        const negVol = new Set(inRange(d.negVol).filter((x) => !removed(x) && !nans.has(x)));
        const ohlc = new Set(inRange(d.ohlc).filter((x) => !removed(x)));
        const dups = inRange(d.dups).filter((x) => !removed(x));

        const base = cleanOhlcv(n, T0, I, d.seed);
        const [open, high, low, close, volume] = base.values.map((v) => Float64Array.from(v));
        for (const i of nans) volume[i] = Number.NaN;
        for (const i of negVol) volume[i] = -1 - i;
        for (const i of ohlc) high[i] = Math.min(open[i], close[i]) - 1;
        // Rows: kept bars, duplicate copies (identical values), misaligned rows, future bars.
        const rows: number[][] = [];
        for (let i = 0; i < n; i++) if (!removed(i)) rows.push([base.ts[i], open[i], high[i], low[i], close[i], volume[i]]);
        for (const i of dups) rows.push([base.ts[i], open[i], high[i], low[i], close[i], volume[i]]);
        for (const [i, frac] of d.misaligned) rows.push([T0 + (i % n) * I + Math.max(1, Math.floor(frac * I)), 1, 2, 0.5, 1, 1]);
        const now = T0 + n * I + 10 * I;
        for (let j = 0; j < d.future; j++) rows.push([now + j * I, 1, 2, 0.5, 1, 1]);
        if (d.shuffle !== undefined) shuffle(rows, d.shuffle);

        const batch = toBatch(rows);
        const expected = { start: T0, end: T0 + n * I };
        const ke = [...knownEmpty].map((i) => ({ start: T0 + i * I, end: T0 + (i + 1) * I }));
        const r = run(batch, I, expected, ke, now);
        assertWellFormed(r, expected, I);

        const want: Partial<Record<FlagType, number>> = {
          duplicate_ts: dups.length, gap: gaps.size, misaligned_ts: d.misaligned.length, non_finite: nans.size,
          ohlc_inconsistent: ohlc.size, negative_volume: negVol.size, future_ts: d.future,
        };
        const { unsorted_ts: unsorted, ...got } = r.report.flags;
        expect(got).toEqual(Object.fromEntries(Object.entries(want).filter(([, v]) => v !== 0)));
        const validTs = rows.map((row) => row[0]).filter((t) => t % I === 0 && t + I <= now);
        const inOrder = validTs.every((t, k) => k === 0 || t >= validTs[k - 1]);
        expect(unsorted !== undefined).toBe(!inOrder);
        expect(r.report.rowsOut).toBe(n - gaps.size - knownEmpty.size);
        expect(r.report.gaps).toEqual(normaliseRanges([...gaps].map((i) => ({ start: T0 + i * I, end: T0 + (i + 1) * I }))));
        expect(intersectRanges(r.report.gaps, ke)).toEqual([]);
        if (Object.keys(r.report.flags).length > 0) expect(r.frame).not.toBe(base);
        // The kept rows carry their values (duplicates were identical copies).
        for (let k = 0; k < r.frame.length; k++) {
          const i = (r.frame.ts[k] - T0) / I;
          expect(r.frame.values[3][k]).toBe(close[i]);
        }
      }),
      { numRuns: 250 },
    );
  });

  it('never counts known-empty bars as gaps', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.array(fc.tuple(fc.nat(199), fc.integer({ min: 1, max: 30 })), { maxLength: 6 }), (n, spans) => {
        const I = 60_000;
        const ke = spans.map(([s, len]) => ({ start: T0 + s * I, end: T0 + (s + len) * I }));
        const base = cleanOhlcv(n, T0, I);
        // Drop every row inside a known-empty range: what is left is complete.
        const rows: number[][] = [];
        for (let i = 0; i < n; i++) {
          const t = base.ts[i];
          if (!ke.some((r) => t >= r.start && t < r.end)) rows.push([t, ...base.values.map((v) => v[i])]);
        }
        const expected = { start: T0, end: T0 + n * I };
        const r = run(toBatch(rows), I, expected, ke, expected.end);
        expect(r.report.flags.gap).toBeUndefined();
        expect(r.report.gaps).toEqual([]);
        for (const w of r.report.completeness.windows) expect(w.present).toBe(w.expected);
      }),
    );
  });

  it('never throws on any raw batch, and its answer is well formed', () => {
    fc.assert(
      fc.property(anyInput(), ({ batch, registry, frameSchema, I, expected, knownEmpty, now }) => {
        const r = createConformancePipeline().check({
          nodeId: 'fuzz', intervalMs: I, frameSchema, batch, expected, knownEmpty, now, origin: 'ingest', mode: 'shadow',
          ...(registry ? { registry: { subject: 's', version: 1, schema: registry, mode: 'canary' as const } } : {}),
        });
        assertWellFormed(r, expected, I);
        expect(r.frame.schema).toBe(frameSchema);
        if (!batch.columns.has('ts') && batch.length > 0) {
          expect(r.report.flags.missing_column).toBeGreaterThanOrEqual(batch.length);
          expect(r.report.flags.invalid_timestamp).toBe(batch.length);
          expect(r.frame.length).toBe(0);
        }
      }),
      { numRuns: 400 },
    );
  });
});

function toBatch(rows: readonly (readonly number[])[]): RawBatch {
  const names = ['ts', 'open', 'high', 'low', 'close', 'volume'];
  const columns = new Map<string, RawColumn>();
  names.forEach((name, c) => columns.set(name, { kind: 'float64', values: Float64Array.from(rows, (r) => r[c]) }));
  return { length: rows.length, columns };
}

function shuffle<T>(xs: T[], seed: number): void {
  let s = seed >>> 0 || 1;
  for (let i = xs.length - 1; i > 0; i--) {
    s = (s * 1_103_515_245 + 12_345) >>> 0;
    const j = s % (i + 1);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
}

const NAMES = ['ts', 'open', 'high', 'low', 'close', 'volume', 'price', 'size', 'bid', 'ask', 'bid_size', 'ask_size', 'side', 'x'];

function column(n: number): fc.Arbitrary<RawColumn> {
  const len = { minLength: n, maxLength: n };
  const num = fc.oneof(
    fc.double(),
    fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 0, T0, T0 / 1_000, T0 * 1_000, T0 * 1e6, 60_000, 1.5),
    fc.integer({ min: 0, max: 120 }).map((k) => T0 + k * 60_000),
  );
  return fc.oneof(
    fc.array(num, len).map((v): RawColumn => ({ kind: 'float64', values: Float64Array.from(v) })),
    fc.array(fc.oneof(fc.integer(), fc.integer({ min: 0, max: 120 }).map((k) => T0 + k * 60_000)), len).map((v): RawColumn => ({ kind: 'int64', values: Float64Array.from(v) })),
    fc.array(fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.integer({ min: 0, max: 120 }).map((k) => BigInt(T0 + k * 60_000) * 1_000_000n)), len)
      .map((v): RawColumn => ({ kind: 'int64', values: BigInt64Array.from(v) })),
    fc.array(
      fc.oneof(
        fc.string(),
        fc.constant(null),
        fc.constantFrom('2024-01-01T00:01:00Z', '2024-01-01T02:00:00+02:00', '2024-01-01', '2024-13-01', 'abc', '12.5', '1704067200000', '1704067200', ''),
      ),
      len,
    ).map((v): RawColumn => ({ kind: 'string', values: v })),
    fc.array(fc.oneof(fc.boolean(), fc.constant(null)), len).map((v): RawColumn => ({ kind: 'bool', values: v })),
  );
}

const fieldArb: fc.Arbitrary<SchemaField> = fc.record({
  name: fc.constantFrom(...NAMES),
  type: fc.constantFrom('float64', 'int64', 'string', 'bool', 'timestamp', 'enum') as fc.Arbitrary<SchemaField['type']>,
  nullable: fc.boolean(),
  required: fc.boolean(),
  symbols: fc.array(fc.constantFrom('buy', 'sell', 'abc'), { maxLength: 3 }),
});

function anyInput(): fc.Arbitrary<{
  batch: RawBatch; registry: ParsedSchema | undefined; frameSchema: FrameSchema; I: number; expected: TimeRange; knownEmpty: TimeRange[]; now: number;
}> {
  return fc.integer({ min: 0, max: 12 }).chain((n) =>
    fc.record({
      cols: fc.uniqueArray(fc.tuple(fc.constantFrom(...NAMES), column(n)), { selector: (c) => c[0], maxLength: 8 }),
      registry: fc.option(fc.uniqueArray(fieldArb, { selector: (f) => f.name, maxLength: 8 }).map((fields): ParsedSchema => ({ title: 'fuzz', fields })), { nil: undefined }),
      frameSchema: fc.constantFrom(OHLCV_SCHEMA, TICK_SCHEMA, QUOTE_SCHEMA),
      I: fc.constantFrom(1_000, 60_000),
      startBars: fc.integer({ min: -5, max: 60 }),
      bars: fc.integer({ min: 0, max: 200 }),
      knownEmpty: fc.array(fc.record({ start: fc.integer({ min: 0, max: 2e5 }), end: fc.integer({ min: 0, max: 2e5 }) }), { maxLength: 3 }),
      nowOffset: fc.integer({ min: -1e6, max: 1e8 }),
    }).map(({ cols, registry, frameSchema, I, startBars, bars, knownEmpty, nowOffset }) => {
      const start = T0 + startBars * I;
      const expected = { start, end: start + bars * I };
      return {
        batch: { length: n, columns: new Map(cols) },
        registry,
        frameSchema,
        I,
        expected,
        knownEmpty: knownEmpty.map((k) => ({ start: T0 + k.start * 10, end: T0 + k.end * 10 })),
        now: T0 + nowOffset,
      };
    }),
  );
}
