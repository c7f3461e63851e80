import { describe, expect, it } from 'vitest';
import { blockingDecision, mergeIngestFindings, regressionDigest } from '../../../src/conformance/index.js';
import type { ConformanceReport, FlagType, IngestFinding } from '../../../src/conformance/index.js';
import { MIN, OHLCV_SCHEMA, T0, check, rowsBatch } from './fixtures.js';

function report(flags: Partial<Record<FlagType, number>>, over: Partial<ConformanceReport> = {}): ConformanceReport {
  return {
    id: null, uri: null, nodeId: 'ohlcv:x', intervalMs: MIN, origin: 'read', createdAt: T0, mode: 'blocking',
    range: { start: T0, end: T0 + 100 * MIN }, rowsIn: 100, rowsOut: 100, flags, warnings: [], gaps: [],
    completeness: { windowMs: 1_440 * MIN, windows: [] }, hasErrors: false, regression: null, schema: null, ...over,
  };
}

describe('regression digest', () => {
  it('treats the first report of a dataset as having only new flags', () => {
    const d = regressionDigest(report({ gap: 2, ts_cast: 100 }), undefined);
    expect(d).toEqual({ previousReportId: null, newFlags: ['ts_cast', 'gap'], increased: [], resolved: [], regressed: true });
    expect(regressionDigest(report({}), undefined).regressed).toBe(false);
  });

  it('lists new flags, increased rates and resolved flags against the previous report', () => {
    const previous = report({ gap: 2, duplicate_ts: 5, non_finite: 3 }, { id: 'r1' });
    const current = report({ gap: 4, duplicate_ts: 5, price_jump: 1 });
    const d = regressionDigest(current, previous);
    expect(d.previousReportId).toBe('r1');
    expect(d.newFlags).toEqual(['price_jump']);
    expect(d.increased).toEqual([{ flag: 'gap', previousRate: 0.02, rate: 0.04 }]);
    expect(d.resolved).toEqual(['non_finite']);
    expect(d.regressed).toBe(true);
  });

  it('compares rates, not counts, across reads of different lengths', () => {
    const previous = report({ gap: 2 }, { id: 'r1', rowsIn: 10, range: { start: T0, end: T0 + 10 * MIN } });
    const d = regressionDigest(report({ gap: 10 }), previous);
    expect(d.increased).toEqual([]);
    expect(d.regressed).toBe(false);
  });
});

describe('regression digest, like with like', () => {
  const whole = report({ duplicate_ts: 1, non_finite: 1, ohlc_inconsistent: 1 }, { id: 'r1', rowsIn: 240, range: { start: T0, end: T0 + 240 * MIN } });

  it('reports no regression for a sub-range of unchanged data, and resolves nothing it did not re-examine', () => {
    const half = report({ non_finite: 1, ohlc_inconsistent: 1 }, { rowsIn: 120, range: { start: T0 + 120 * MIN, end: T0 + 240 * MIN } });
    const d = regressionDigest(half, whole);
    expect(d).toMatchObject({ previousReportId: 'r1', newFlags: [], increased: [], resolved: [], regressed: false });
  });

  it('still sees a sub-range holding more findings than the whole range had', () => {
    const worse = report({ non_finite: 3 }, { rowsIn: 120, range: { start: T0, end: T0 + 120 * MIN } });
    const d = regressionDigest(worse, whole);
    expect(d.increased).toEqual([{ flag: 'non_finite', previousRate: 1 / 120, rate: 3 / 120 }]);
    expect(d.regressed).toBe(true);
  });

  it('does not compare with a report of a range that does not overlap', () => {
    const elsewhere = report({ non_finite: 1 }, { rowsIn: 240, range: { start: T0 + 240 * MIN, end: T0 + 480 * MIN } });
    expect(regressionDigest(elsewhere, whole).previousReportId).toBeNull();
  });

  it('expects findings in the part of a wider range the previous report did not examine at its rate', () => {
    const wider = report({ non_finite: 2 }, { rowsIn: 480, range: { start: T0, end: T0 + 480 * MIN } });
    expect(regressionDigest(wider, whole)).toMatchObject({ increased: [], resolved: ['duplicate_ts', 'ohlc_inconsistent'], regressed: false });
  });
});

describe('merging ingest findings', () => {
  const finding = (flag: IngestFinding['flag'], ts: number, count: number, over: Partial<IngestFinding> = {}): IngestFinding => ({
    nodeId: 'ohlcv:test:BTC/USDT', intervalMs: MIN, flag, ts, count, at: T0, detail: '', ...over,
  });
  const clean = check({ batch: rowsBatch(OHLCV_SCHEMA, [[T0, 10, 12, 9, 11, 1], [T0 + MIN, 10, 12, 9, 11, 1]]) }).report;

  it('adds counts and warnings and sets hasErrors', () => {
    expect(clean.hasErrors).toBe(false);
    const merged = mergeIngestFindings(clean, [finding('duplicate_ts', T0 + MIN, 2), finding('duplicate_ts', T0, 1), finding('unsorted_ts', T0, 4)]);
    expect(merged.flags).toEqual({ unsorted_ts: 4, duplicate_ts: 3 });
    expect(merged.warnings.map((w) => [w.flag, w.column, w.count, w.firstTs])).toEqual([['unsorted_ts', 'ts', 4, T0], ['duplicate_ts', 'ts', 3, T0]]);
    expect(merged.hasErrors).toBe(true);
    expect(clean.flags).toEqual({});
  });

  it('merges into a warning the pipeline already made for the same flag', () => {
    const r = check({ batch: rowsBatch(OHLCV_SCHEMA, [[T0, 10, 12, 9, 11, 1], [T0 + MIN, 10, 12, 9, 11, 1], [T0 + MIN, 10, 12, 9, 11, 2]]), expected: { start: T0, end: T0 + 2 * MIN } }).report;
    const merged = mergeIngestFindings(r, [finding('duplicate_ts', T0, 5)]);
    expect(merged.flags.duplicate_ts).toBe(6);
    expect(merged.warnings).toHaveLength(1);
    expect(merged.warnings[0]).toMatchObject({ count: 6, firstTs: T0 });
  });

  it('ignores findings of other datasets or outside the range, returning the report unchanged', () => {
    const merged = mergeIngestFindings(clean, [
      finding('duplicate_ts', T0, 1, { nodeId: 'other' }), finding('duplicate_ts', T0, 1, { intervalMs: 1_000 }), finding('misaligned_ts', T0 + 2 * MIN, 3),
    ]);
    expect(merged).toBe(clean);
  });
});

describe('blocking decision', () => {
  const errors = report({ gap: 1, ts_cast: 3 }, { hasErrors: true });

  it('blocks a blocking-mode report with an error-level finding', () => {
    expect(blockingDecision(errors, { partialOk: false })).toEqual({ block: true, reasons: ['gap'] });
  });

  it('lets it through with partialOk, or in shadow mode, still naming the reasons', () => {
    expect(blockingDecision(errors, { partialOk: true })).toEqual({ block: false, reasons: ['gap'] });
    expect(blockingDecision({ ...errors, mode: 'shadow' }, { partialOk: false })).toEqual({ block: false, reasons: ['gap'] });
  });

  it('never blocks on info-level normalisations', () => {
    expect(blockingDecision(report({ ts_cast: 3, unsorted_ts: 1, unexpected_column: 5 }), { partialOk: false }).block).toBe(false);
  });

  it('never blocks on schema findings of a canary subject, but does on its other errors', () => {
    const canary = { subject: 's', version: 1, mode: 'canary' as const };
    expect(blockingDecision(report({ dtype_mismatch: 4, missing_column: 1 }, { schema: canary }), { partialOk: false })).toEqual({ block: false, reasons: [] });
    expect(blockingDecision(report({ dtype_mismatch: 4, gap: 1 }, { schema: canary }), { partialOk: false })).toEqual({ block: true, reasons: ['gap'] });
    const strict = { ...canary, mode: 'strict' as const };
    expect(blockingDecision(report({ dtype_mismatch: 4 }, { schema: strict }), { partialOk: false })).toEqual({ block: true, reasons: ['dtype_mismatch'] });
  });
});
