import { describe, expect, it } from 'vitest';
import { ALWAYS_OPEN, countCoverage, coveredRanges, estimateBackfillTime, planShards } from '../../../../src/provider/internal.js';
import type { CoverageRange } from '../../../../src/storage/index.js';

const MIN = 60_000;
const T0 = 1_000 * 100 * MIN; // on the grid of 100-bar shards

describe('pre-flight coverage counts', () => {
  const coverage: CoverageRange[] = [
    { start: T0, end: T0 + 10 * MIN, state: 'stored' },
    { start: T0 + 10 * MIN, end: T0 + 15 * MIN, state: 'known_empty' },
    { start: T0 + 15 * MIN, end: T0 + 20 * MIN, state: 'failed', reason: 'upstream down', attempts: 3 },
    { start: T0 + 40 * MIN, end: T0 + 50 * MIN, state: 'stored' },
  ];

  it('counts stored and known-empty bars and treats failed ranges as missing', () => {
    const counts = countCoverage(coverage, { start: T0, end: T0 + 60 * MIN }, MIN, ALWAYS_OPEN);
    expect(counts).toMatchObject({ inRange: 60, stored: 20, knownEmpty: 5, missing: 35 });
    expect(counts.missingRanges).toEqual([{ start: T0 + 15 * MIN, end: T0 + 40 * MIN }, { start: T0 + 50 * MIN, end: T0 + 60 * MIN }]);
  });

  it('counts only the bars inside the closed range', () => {
    expect(countCoverage(coverage, { start: T0 + 5 * MIN, end: T0 + 12 * MIN }, MIN, ALWAYS_OPEN)).toMatchObject({ inRange: 7, stored: 5, knownEmpty: 2, missing: 0 });
  });

  it('asks the calendar which bars exist', () => {
    const everyOther = { name: 'half', openBars: (r: { start: number; end: number }, i: number) => Math.floor((r.end - r.start) / i / 2) };
    expect(countCoverage([], { start: T0, end: T0 + 60 * MIN }, MIN, everyOther)).toMatchObject({ inRange: 30, missing: 30 });
  });
});

describe('pre-flight shard plan', () => {
  const covered = coveredRanges([{ start: T0 + 100 * MIN, end: T0 + 150 * MIN, state: 'stored' }]);

  it('fetches every missing closed bar of each shard the missing bars fall in, one request per missing range', () => {
    // Missing [T0+90, T0+110) minus the stored part: [T0+90, T0+100) in shard 0, nothing in shard 1 from 100..150.
    const missing = [{ start: T0 + 90 * MIN, end: T0 + 100 * MIN }, { start: T0 + 150 * MIN, end: T0 + 160 * MIN }];
    const plan = planShards(missing, covered, MIN, 100, T0 + 10_000 * MIN, undefined);
    // Shard [T0, T0+100) lacks all 100 bars; shard [T0+100, T0+200) lacks [150, 200): 50 bars.
    expect(plan).toEqual({ shards: 2, bars: 150, requests: 2 });
  });

  it('never counts a bar that has not closed', () => {
    const plan = planShards([{ start: T0, end: T0 + 30 * MIN }], [], MIN, 100, T0 + 30 * MIN, undefined);
    expect(plan).toEqual({ shards: 1, bars: 30, requests: 1 });
  });

  it('pages a missing range by the source page size', () => {
    const plan = planShards([{ start: T0, end: T0 + 250 * MIN }], [], MIN, 100, T0 + 10_000 * MIN, 40);
    // Three shards of 100 bars, each 3 pages of at most 40.
    expect(plan).toEqual({ shards: 3, bars: 300, requests: 9 });
  });

  it('counts a shard shared by two missing ranges once', () => {
    const plan = planShards([{ start: T0, end: T0 + 10 * MIN }, { start: T0 + 20 * MIN, end: T0 + 30 * MIN }], [], MIN, 100, T0 + 10_000 * MIN, undefined);
    expect(plan.shards).toBe(1);
  });
});

describe('pre-flight backfill time', () => {
  const rate = { requestsPerSecond: 10, burst: 5 };
  const budget = { upstream: 'binance', rate, authority: 'memory', nextPermitInMs: 0 };

  it('spends the burst at once and then one permit per 1/rate s', () => {
    const t = estimateBackfillTime(25, 3, { name: 'binance', barsPerRequest: 1000, barsPerRequestBasis: 'x', budget }, 4);
    expect(t.expectedMs).toBe(2_000);
    expect(t.basis).toContain('10 req/s');
  });

  it('waits for the next permit first when the budget is busy or paused', () => {
    const t = estimateBackfillTime(3, 1, { name: 'binance', barsPerRequest: 1000, barsPerRequestBasis: 'x', budget: { ...budget, nextPermitInMs: 700 } }, 4);
    expect(t.expectedMs).toBe(700 + 2 * 100);
  });

  it('takes the latency bound when it is longer than the budget bound', () => {
    const t = estimateBackfillTime(8, 2, { name: 'binance', barsPerRequest: 1000, barsPerRequestBasis: 'x', budget, latency: { ms: 250, basis: 'measured', samples: 12 } }, 4);
    // 2 shards on 2 workers: 4 requests each in sequence.
    expect(t.expectedMs).toBe(1_000);
    expect(t.basis).toContain('measured mean of 12 requests');
  });

  it('says there is no basis without a budget or a latency, and nothing to wait for without requests', () => {
    expect(estimateBackfillTime(4, 1, { name: 'file', barsPerRequest: undefined, barsPerRequestBasis: 'x' }, 4).expectedMs).toBeNull();
    expect(estimateBackfillTime(0, 0, undefined, 4)).toEqual({ expectedMs: 0, basis: 'nothing to backfill' });
  });
});
