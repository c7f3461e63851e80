import { describe, expect, it } from 'vitest';
import { bucketCoverage, bucketRange, derivationOf } from '../../../src/provider/index.js';
import type { CoverageRange } from '../../../src/storage/index.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('derived intervals outside the read', () => {
  it('puts each hour in one state from its 1m coverage: stored, known_empty, partial or failed', () => {
    const base: CoverageRange[] = [
      { start: 0, end: HOUR - 10 * MIN, state: 'stored' },
      { start: HOUR - 10 * MIN, end: 2 * HOUR, state: 'known_empty' }, // hour 0 mixed: complete, so stored
      { start: 2 * HOUR, end: 3 * HOUR, state: 'known_empty' },
      { start: 3 * HOUR, end: 3 * HOUR + 30 * MIN, state: 'stored' }, // hour 3 half stored, half missing
      { start: 5 * HOUR, end: 6 * HOUR, state: 'failed', reason: 'timeout', attempts: 3 },
      { start: 6 * HOUR, end: 6 * HOUR + 20 * MIN, state: 'failed' },
      { start: 6 * HOUR + 20 * MIN, end: 7 * HOUR, state: 'stored' }, // hour 6 partly failed: partial
    ];
    expect(bucketCoverage(base, HOUR)).toEqual([
      { start: 0, end: HOUR, state: 'stored' },
      { start: HOUR, end: 3 * HOUR, state: 'known_empty' },
      { start: 3 * HOUR, end: 4 * HOUR, state: 'partial' },
      { start: 5 * HOUR, end: 6 * HOUR, state: 'failed' },
      { start: 6 * HOUR, end: 7 * HOUR, state: 'partial' },
    ]);
  });

  it('lists nothing for base coverage that is empty', () => {
    expect(bucketCoverage([], HOUR)).toEqual([]);
  });

  it('widens a range outward to whole buckets', () => {
    expect(bucketRange({ start: 10 * MIN, end: HOUR + MIN }, HOUR)).toEqual({ start: 0, end: 2 * HOUR });
  });

  it('derives only coarser whole multiples of the base, naming interval otherwise', () => {
    const catalog = { baseInterval: (node: string) => (node === 'a' ? MIN : undefined) };
    expect(derivationOf(catalog, 'a', HOUR)).toEqual({ baseMs: MIN, intervalMs: HOUR });
    expect(derivationOf(catalog, 'a', MIN)).toBeUndefined();
    expect(derivationOf(catalog, 'b', HOUR)).toBeUndefined();
    expect(() => derivationOf(catalog, 'a', 90_000)).toThrow(/interval: 1\.5m cannot be derived|cannot be derived/);
  });
});
