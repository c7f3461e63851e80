import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, createFrame } from '../../../src/core/index.js';
import type { Frame } from '../../../src/core/index.js';
import { normaliseIngest } from '../../../src/backfill/internal.js';

const I = 60_000;
const RANGE = { start: 10 * I, end: 20 * I };

/** A frame with the given timestamps; every value column of row i holds i (to trace which row won). */
function rows(ts: readonly number[]): Frame {
  return createFrame(OHLCV_SCHEMA, Float64Array.from(ts), OHLCV_SCHEMA.columns.map(() => Float64Array.from(ts, (_t, i) => i)));
}

describe('ingest normaliser', () => {
  it('returns the very same frame for a clean batch, without copying', () => {
    const frame = rows([10 * I, 11 * I, 12 * I]);
    const { frame: out, findings } = normaliseIngest(frame, RANGE, I);
    expect(out).toBe(frame);
    expect(findings).toEqual({ unsorted: false, duplicates: 0, misaligned: 0, outOfRange: 0, duplicateTs: [], misalignedTs: [] });
  });

  it('sorts an unsorted batch', () => {
    const { frame, findings } = normaliseIngest(rows([12 * I, 10 * I, 11 * I]), RANGE, I);
    expect(Array.from(frame.ts)).toEqual([10 * I, 11 * I, 12 * I]);
    expect(Array.from(frame.column('close'))).toEqual([1, 2, 0]);
    expect(findings).toEqual({ unsorted: true, duplicates: 0, misaligned: 0, outOfRange: 0, duplicateTs: [], misalignedTs: [] });
  });

  it('keeps the last row of duplicated timestamps, sorted or not', () => {
    const sorted = normaliseIngest(rows([10 * I, 11 * I, 11 * I, 12 * I]), RANGE, I);
    expect(Array.from(sorted.frame.ts)).toEqual([10 * I, 11 * I, 12 * I]);
    expect(Array.from(sorted.frame.column('open'))).toEqual([0, 2, 3]);
    expect(sorted.findings).toEqual({ unsorted: false, duplicates: 1, misaligned: 0, outOfRange: 0, duplicateTs: [11 * I], misalignedTs: [] });
    const unsorted = normaliseIngest(rows([11 * I, 10 * I, 11 * I, 11 * I]), RANGE, I);
    expect(Array.from(unsorted.frame.ts)).toEqual([10 * I, 11 * I]);
    expect(Array.from(unsorted.frame.column('open'))).toEqual([1, 3]);
    expect(unsorted.findings).toEqual({ unsorted: true, duplicates: 2, misaligned: 0, outOfRange: 0, duplicateTs: [11 * I, 11 * I], misalignedTs: [] });
  });

  it('drops bars off the interval grid', () => {
    const { frame, findings } = normaliseIngest(rows([10 * I, 10 * I + 1, 11 * I + 30_000, 12 * I]), RANGE, I);
    expect(Array.from(frame.ts)).toEqual([10 * I, 12 * I]);
    expect(findings).toEqual({ unsorted: false, duplicates: 0, misaligned: 2, outOfRange: 0, duplicateTs: [], misalignedTs: [10 * I + 1, 11 * I + 30_000] });
  });

  it('drops bars outside the fetched half-open range, including its end', () => {
    const { frame, findings } = normaliseIngest(rows([9 * I, 10 * I, 19 * I, 20 * I]), RANGE, I);
    expect(Array.from(frame.ts)).toEqual([10 * I, 19 * I]);
    expect(findings).toEqual({ unsorted: false, duplicates: 0, misaligned: 0, outOfRange: 2, duplicateTs: [], misalignedTs: [] });
  });

  it('turns a batch with nothing usable into an empty frame of the same schema', () => {
    const { frame } = normaliseIngest(rows([1, 25 * I]), RANGE, I);
    expect(frame.length).toBe(0);
    expect(frame.schema).toBe(OHLCV_SCHEMA);
  });

  it('always yields sorted, unique, aligned rows inside the range, the last of each ts winning (property)', () => {
    const ts = fc.oneof(fc.integer({ min: 5, max: 25 }).map((k) => k * I), fc.integer({ min: 5 * I, max: 25 * I }));
    fc.assert(fc.property(fc.array(ts, { maxLength: 60 }), (input) => {
      const { frame, findings } = normaliseIngest(rows(input), RANGE, I);
      const out = Array.from(frame.ts);
      for (let i = 0; i < out.length; i++) {
        expect(out[i] % I).toBe(0);
        expect(out[i]).toBeGreaterThanOrEqual(RANGE.start);
        expect(out[i]).toBeLessThan(RANGE.end);
        if (i > 0) expect(out[i]).toBeGreaterThan(out[i - 1]);
      }
      const lastRowOf = new Map<number, number>();
      input.forEach((t, i) => lastRowOf.set(t, i));
      const wanted = [...lastRowOf.keys()].filter((t) => t % I === 0 && t >= RANGE.start && t < RANGE.end).sort((a, b) => a - b);
      expect(out).toEqual(wanted);
      for (let c = 0; c < frame.values.length; c++) expect(Array.from(frame.values[c])).toEqual(wanted.map((t) => lastRowOf.get(t)));
      expect(out.length + findings.duplicates + findings.misaligned + findings.outOfRange).toBe(input.length);
    }), { numRuns: 500 });
  });
});
