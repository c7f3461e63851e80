import { describe, expect, it } from 'vitest';
import { readSummaryLines } from '../../../src/cli/read-summary.js';
import type { ReadMetadata } from '../../../src/provider/index.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** The metadata of a 1h answer derived from 1m bars whose second half-hour is missing. */
function derived(): ReadMetadata {
  return {
    nodeId: 'ohlcv:demo:BTC-USD', interval: '1h', intervalMs: HOUR, strategy: 'fail_fast',
    requestedRange: { start: 0, end: HOUR }, alignedRange: { start: 0, end: HOUR }, rangeAdjusted: false, closedRange: { start: 0, end: HOUR },
    rows: 1, coverageBounds: { start: 0, end: 30 * MIN }, coverageRatio: 0.5, stalenessMs: null,
    missingRanges: [{ start: 30 * MIN, end: HOUR }], failedRanges: [], partial: true, conformance: null, fingerprint: 'sha256:x',
    asOf: null, worldId: null, downgraded: false, downgradeMode: null, downgradeReason: null, slaViolation: null, backfill: null,
    cacheHit: false, building: null, sources: { cache: 0, storage: 30, backfill: 0, live: 0 }, elapsedMs: 1,
    resample: { baseInterval: '1m', baseIntervalMs: MIN, align: null, buckets: 1, partialBuckets: 1, partialBucketStarts: [0], baseRows: 30, cached: false },
    filled: { mode: 'prev', bars: 0, ranges: [] },
  };
}

describe('the read summary of a derived answer', () => {
  it('counts the missing ranges in base bars, not in derived bars', () => {
    expect(readSummaryLines(derived())).toContain('missing 30 1m bar(s) in 1 range(s): [1970-01-01T00:30:00.000Z, 1970-01-01T01:00:00.000Z)');
  });

  it('says what the answer was derived from and what the fill added', () => {
    const lines = readSummaryLines(derived());
    expect(lines).toContain('derived from 1m bars (30 read): 1 bucket(s), 1 partial');
    expect(lines).toContain('filled 0 bar(s) (fill=prev)');
  });
});
