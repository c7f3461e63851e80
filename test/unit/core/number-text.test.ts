/**
 * The number writer of the JSON and CSV encoders (src/core/encode/number-text.ts) against the
 * text JS itself writes: `JSON.stringify(Array.from(col))` for JSON, `String(x)` per cell (NaN an
 * empty field) for CSV. The generators aim at its fast paths (safe integers, short decimals) and
 * at their edges (1e-6, 1e15, 1e21, 2^53, 15 vs 16–17 significant digits).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { columnarJsonSlices, createFrame, encodeColumnarJson, encodeCsv, OHLCV_SCHEMA, TICK_SCHEMA } from '../../../src/core/index.js';
import type { Frame } from '../../../src/core/index.js';

/** The neighbouring doubles of a finite positive x. */
function nextUp(x: number): number {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  v.setBigUint64(0, v.getBigUint64(0) + 1n);
  return v.getFloat64(0);
}
function nextDown(x: number): number {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  v.setBigUint64(0, v.getBigUint64(0) - 1n);
  return v.getFloat64(0);
}

/**
 * A decimal of `places` (0..8) fraction digits between about 1e-8 and 1e9, parsed by JS (the
 * double a price feed gives), with 1–9 significant digits, or up to 17 now and then (the slow path).
 */
const price = fc.record({
  digits: fc.oneof(fc.integer({ min: 1, max: 999_999_999 }).map(BigInt), fc.bigInt({ min: 1n, max: 10n ** 17n })),
  places: fc.integer({ min: 0, max: 8 }),
  negative: fc.boolean(),
}).map(({ digits, places, negative }) => Number(`${negative ? '-' : ''}${digits}e-${places}`));

/** Values at the edges of the fast paths. */
const EDGES = [
  0, -0, 1, -1, 0.1, 0.2, 0.1 + 0.2, 0.3, 1 / 3, 2 / 3, 123.456, 30_000.12, 1e-6, -1e-6, nextUp(1e-6), nextDown(1e-6), 1e-7, 1.5e-6, 0.000001234,
  1e15, nextDown(1e15), 999_999_999_999_999, 999_999_999_999_999.9, 99_999_999_999_999.98, 1e15 + 0.5, 1e21, nextDown(1e21), 1e20 + 1,
  2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e8 - 0.5, 1e8 + 0.5, 99_999_999.99999999, 0.12345678, 0.123456789, 1.00000001, 1.000000001,
  Number.MIN_VALUE, Number.MAX_VALUE, Number.EPSILON, Number.MAX_SAFE_INTEGER + 0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY,
];

const value = fc.oneof(
  fc.double(),
  price,
  fc.constantFrom(...EDGES),
  fc.integer({ min: -1e9, max: 1e9 }),
  fc.maxSafeInteger(),
  fc.double({ min: 1e14, max: 1e16, noNaN: true }),
  fc.double({ min: 1e-7, max: 1e-5, noNaN: true }),
);
const column = fc.array(value, { minLength: 0, maxLength: 300 }).map((xs) => Float64Array.from(xs));

/** The CSV JS would write cell by cell: `String(x)`, NaN an empty field. */
function csvOracle(frame: Frame): string {
  const cols = [frame.ts, ...frame.values];
  let s = ['ts', ...frame.schema.columns.map((c) => c.name)].join(',') + '\n';
  for (let i = 0; i < frame.length; i++) s += cols.map((c) => (Number.isNaN(c[i]) ? '' : String(c[i]))).join(',') + '\n';
  return s;
}

const tickFrame = (col: Float64Array): Frame => createFrame(TICK_SCHEMA, Float64Array.from(col, (_, i) => i * 60_000), [col, Float64Array.from(col).reverse()]);

describe('numbers in JSON and CSV are the text JS writes for them', () => {
  it('writes every column exactly as JSON.stringify does, null for NaN and ±Infinity', () => {
    fc.assert(
      fc.property(column, (col) => {
        const frame = tickFrame(col);
        const expected = `{"ts":${JSON.stringify(Array.from(frame.ts))},"price":${JSON.stringify(Array.from(frame.values[0]))},"size":${JSON.stringify(Array.from(frame.values[1]))}}`;
        expect(encodeColumnarJson(frame)).toBe(expected);
        expect(Buffer.concat([...columnarJsonSlices(frame, 13)]).toString('latin1')).toBe(expected);
      }),
      { numRuns: 400 },
    );
  });

  it('writes every CSV cell as String(x), NaN as an empty field', () => {
    fc.assert(
      fc.property(column, (col) => {
        const frame = tickFrame(col);
        expect(encodeCsv(frame)).toBe(csvOracle(frame));
      }),
      { numRuns: 400 },
    );
  });

  it('writes each edge value and its negation as JS does', () => {
    const col = Float64Array.from([...EDGES, ...EDGES.map((x) => -x)]);
    const frame = tickFrame(col);
    expect(encodeColumnarJson(frame)).toBe(`{"ts":${JSON.stringify(Array.from(frame.ts))},"price":${JSON.stringify(Array.from(col))},"size":${JSON.stringify(Array.from(frame.values[1]))}}`);
    expect(encodeCsv(frame)).toBe(csvOracle(frame));
  });

  it('writes price-like OHLCV columns (2–8 decimals at every magnitude) as JS does', () => {
    fc.assert(
      fc.property(fc.array(price, { minLength: 1, maxLength: 200 }), (xs) => {
        const col = Float64Array.from(xs);
        const frame = createFrame(OHLCV_SCHEMA, Float64Array.from(col, (_, i) => 1_700_000_000_000 + i * 60_000), [col, col, col, col, col]);
        const arr = JSON.stringify(Array.from(col));
        expect(encodeColumnarJson(frame)).toBe(`{"ts":${JSON.stringify(Array.from(frame.ts))},"open":${arr},"high":${arr},"low":${arr},"close":${arr},"volume":${arr}}`);
        expect(encodeCsv(frame)).toBe(csvOracle(frame));
      }),
      { numRuns: 300 },
    );
  });
});
