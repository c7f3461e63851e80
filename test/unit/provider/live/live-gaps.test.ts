import { describe, expect, it } from 'vitest';
import { coverageFrontier, gapBefore, unrecoveredRanges } from '../../../../src/provider/internal.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 5, 1);

describe('live gaps', () => {
  it('is the bars between the anchor and the first bar after a (re)connect', () => {
    expect(gapBefore(T0 + 5 * MIN, T0 + 8 * MIN, MIN, 100)).toEqual({ range: { start: T0 + 5 * MIN, end: T0 + 8 * MIN }, bars: 3, clipped: false });
  });

  it('is nothing when the first bar continues where the known bars end, comes earlier, or nothing is known yet', () => {
    expect(gapBefore(T0 + 5 * MIN, T0 + 5 * MIN, MIN, 100)).toBeUndefined();
    expect(gapBefore(T0 + 5 * MIN, T0 + 2 * MIN, MIN, 100)).toBeUndefined();
    expect(gapBefore(undefined, T0 + 2 * MIN, MIN, 100)).toBeUndefined();
  });

  it('keeps the newest maxBars bars of a longer gap, saying it was clipped', () => {
    expect(gapBefore(T0, T0 + 50 * MIN, MIN, 10)).toEqual({ range: { start: T0 + 40 * MIN, end: T0 + 50 * MIN }, bars: 50, clipped: true });
  });

  it('aligns an anchor off the grid (coverage ending mid-bar) up to the next whole bar', () => {
    expect(gapBefore(T0 + 90_000, T0 + 4 * MIN, MIN, 100)?.range).toEqual({ start: T0 + 2 * MIN, end: T0 + 4 * MIN });
  });

  it('anchors the first gap at the newest end of stored or known-empty coverage, ignoring failed ranges', () => {
    expect(coverageFrontier([])).toBeUndefined();
    expect(coverageFrontier([
      { start: T0, end: T0 + 10 * MIN, state: 'stored' },
      { start: T0 + 10 * MIN, end: T0 + 12 * MIN, state: 'known_empty' },
      { start: T0 + 12 * MIN, end: T0 + 20 * MIN, state: 'failed', reason: 'x', attempts: 3 },
    ])).toBe(T0 + 12 * MIN);
  });

  it('verifies a gap by coverage: failed and partly covered bars are still missing', () => {
    const gap = { start: T0, end: T0 + 5 * MIN };
    expect(unrecoveredRanges(gap, [{ start: T0, end: T0 + 5 * MIN, state: 'stored' }], MIN)).toEqual([]);
    expect(unrecoveredRanges(gap, [
      { start: T0, end: T0 + 2 * MIN, state: 'stored' },
      { start: T0 + 2 * MIN, end: T0 + 3 * MIN, state: 'failed', reason: 'upstream 502', attempts: 3 },
      { start: T0 + 3 * MIN, end: T0 + 4 * MIN + 30_000, state: 'known_empty' },
    ], MIN)).toEqual([{ start: T0 + 2 * MIN, end: T0 + 3 * MIN }, { start: T0 + 4 * MIN, end: T0 + 5 * MIN }]);
  });
});
