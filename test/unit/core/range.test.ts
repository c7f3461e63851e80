import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InternalError, InvalidRequestError, InvertedRangeError } from '../../../src/core/index.js';
import {
  alignDown, alignRange, alignUp, barCount, intersectRanges, missingRanges, normaliseRanges, shardsCovering,
  subtractRanges,
} from '../../../src/core/index.js';
import { coveredBars, isAlignedRange, totalLength, unionRanges } from '../../../src/core/internal.js';
import type { TimeRange } from '../../../src/core/index.js';

const MIN = 60_000;
const INTERVALS = [1_000, 60_000, 3_600_000, 86_400_000] as const;
const RUNS = { numRuns: 300 };

/** A range whose ends are on or off the grid of `interval`, inverted or empty now and then. */
function rangeArb(interval: number): fc.Arbitrary<TimeRange> {
  const point = fc.tuple(fc.integer({ min: 0, max: 40 }), fc.oneof(fc.constant(0), fc.integer({ min: 0, max: interval - 1 })))
    .map(([k, off]) => k * interval + off);
  return fc.tuple(point, point, fc.integer({ min: 0, max: 9 }))
    .map(([a, b, pick]) => (pick === 0 ? { start: b, end: a } : { start: Math.min(a, b), end: Math.max(a, b) }));
}

const intervalArb = fc.constantFrom(...INTERVALS);
const listsArb = intervalArb.chain((interval) =>
  fc.record({
    interval: fc.constant(interval),
    a: fc.array(rangeArb(interval), { maxLength: 8 }),
    b: fc.array(rangeArb(interval), { maxLength: 8 }),
    request: rangeArb(interval).filter((r) => r.end >= r.start),
  }),
);

function contains(ranges: readonly TimeRange[], t: number): boolean {
  return ranges.some((r) => r.start <= t && t < r.end);
}

/** Every point where membership can change, and the instant just before it. */
function probes(...lists: (readonly TimeRange[])[]): number[] {
  return lists.flat().flatMap((r) => [r.start - 1, r.start, r.end - 1, r.end]);
}

function expectNormal(ranges: readonly TimeRange[]): void {
  for (let i = 0; i < ranges.length; i++) {
    expect(ranges[i].end).toBeGreaterThan(ranges[i].start);
    if (i > 0) expect(ranges[i].start).toBeGreaterThan(ranges[i - 1].end);
  }
}

describe('alignDown and alignUp', () => {
  it('leave a time on the grid where it is', () => {
    expect(alignDown(120_000, MIN)).toBe(120_000);
    expect(alignUp(120_000, MIN)).toBe(120_000);
    expect(alignDown(0, MIN)).toBe(0);
    expect(alignUp(0, MIN)).toBe(0);
  });

  it('floor and ceil a time off the grid, including before the epoch', () => {
    expect(alignDown(119_999, MIN)).toBe(60_000);
    expect(alignUp(60_001, MIN)).toBe(120_000);
    expect(alignDown(-1, MIN)).toBe(-60_000);
    expect(alignUp(-1, MIN)).toBe(0);
    expect(alignDown(-60_000, MIN)).toBe(-60_000);
  });

  it('bracket every time by the nearest grid points', () => {
    fc.assert(fc.property(intervalArb, fc.integer({ min: -1e13, max: 1e13 }), (interval, t) => {
      const down = alignDown(t, interval);
      const up = alignUp(t, interval);
      expect(down % interval === 0 && up % interval === 0).toBe(true);
      expect(down <= t && t <= up && t - down < interval && up - t < interval).toBe(true);
    }), RUNS);
  });
});

describe('alignRange', () => {
  it('rounds outward to the grid', () => {
    expect(alignRange({ start: 30_000, end: 90_000 }, MIN)).toEqual({ start: 0, end: 120_000 });
    expect(alignRange({ start: 0, end: 300_000 }, MIN)).toEqual({ start: 0, end: 300_000 });
  });

  it('keeps an empty range empty', () => {
    expect(alignRange({ start: 30_000, end: 30_000 }, MIN)).toEqual({ start: 0, end: 0 });
  });

  it('refuses an inverted range and a bad interval', () => {
    expect(() => alignRange({ start: 2, end: 1 }, MIN)).toThrow(InvertedRangeError);
    expect(() => alignRange({ start: 0, end: 1 }, 0)).toThrow(InternalError);
    expect(() => alignRange({ start: 0, end: 1 }, 1.5)).toThrow(InternalError);
  });

  it('contains the range and is the smallest aligned range that does', () => {
    fc.assert(fc.property(listsArb, ({ interval, request }) => {
      fc.pre(request.end > request.start);
      const a = alignRange(request, interval);
      expect(isAlignedRange(a, interval)).toBe(true);
      expect(a.start <= request.start && a.end >= request.end).toBe(true);
      expect(a.start + interval > request.start).toBe(true);
      expect(a.end - interval < request.end).toBe(true);
    }), RUNS);
  });
});

describe('isAlignedRange', () => {
  it('requires both ends on the grid and no inversion', () => {
    expect(isAlignedRange({ start: 0, end: 300_000 }, MIN)).toBe(true);
    expect(isAlignedRange({ start: 0, end: 300_001 }, MIN)).toBe(false);
    expect(isAlignedRange({ start: 1, end: 300_000 }, MIN)).toBe(false);
    expect(isAlignedRange({ start: 120_000, end: 60_000 }, MIN)).toBe(false);
  });
});

describe('barCount', () => {
  it('counts the five bars 0..240000 of [0, 300000) at 1m', () => {
    expect(barCount({ start: 0, end: 300_000 }, MIN)).toBe(5);
  });

  it('counts grid timestamps inside an unaligned range', () => {
    expect(barCount({ start: 1, end: 60_001 }, MIN)).toBe(1);
    expect(barCount({ start: 1, end: 59_999 }, MIN)).toBe(0);
    expect(barCount({ start: 5, end: 5 }, MIN)).toBe(0);
  });

  it('refuses an inverted range', () => {
    expect(() => barCount({ start: 10, end: 0 }, MIN)).toThrow(InvertedRangeError);
  });

  it('equals a brute-force count', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: -200, max: 200 }), fc.nat(300), (interval, start, len) => {
      let n = 0;
      for (let t = start; t < start + len; t++) if (((t % interval) + interval) % interval === 0) n++;
      expect(barCount({ start, end: start + len }, interval)).toBe(n);
    }), RUNS);
  });
});

describe('normaliseRanges', () => {
  it('drops empty and inverted ranges, sorts, and merges overlapping and adjacent ranges', () => {
    expect(normaliseRanges([
      { start: 50, end: 60 }, { start: 5, end: 5 }, { start: 9, end: 3 }, { start: 10, end: 20 },
      { start: 20, end: 30 }, { start: 25, end: 28 }, { start: 0, end: 10 }, { start: 70, end: 80 },
    ])).toEqual([{ start: 0, end: 30 }, { start: 50, end: 60 }, { start: 70, end: 80 }]);
    expect(normaliseRanges([])).toEqual([]);
  });

  it('returns fresh objects and leaves its input alone', () => {
    const input = [{ start: 10, end: 20 }, { start: 0, end: 5 }];
    const out = normaliseRanges(input);
    expect(input).toEqual([{ start: 10, end: 20 }, { start: 0, end: 5 }]);
    expect(out[1]).not.toBe(input[0]);
  });

  it('is idempotent, in normal form and keeps the same instants', () => {
    fc.assert(fc.property(listsArb, ({ a }) => {
      const n = normaliseRanges(a);
      expectNormal(n);
      expect(normaliseRanges(n)).toEqual(n);
      for (const t of probes(a)) expect(contains(n, t)).toBe(contains(a, t));
    }), RUNS);
  });
});

describe('unionRanges, intersectRanges and subtractRanges', () => {
  it('handle a worked example', () => {
    const a = [{ start: 0, end: 10 }, { start: 20, end: 30 }];
    const b = [{ start: 5, end: 25 }];
    expect(unionRanges(a, b)).toEqual([{ start: 0, end: 30 }]);
    expect(intersectRanges(a, b)).toEqual([{ start: 5, end: 10 }, { start: 20, end: 25 }]);
    expect(subtractRanges(a, b)).toEqual([{ start: 0, end: 5 }, { start: 25, end: 30 }]);
    expect(subtractRanges([{ start: 0, end: 100 }], [{ start: 10, end: 20 }, { start: 30, end: 40 }]))
      .toEqual([{ start: 0, end: 10 }, { start: 20, end: 30 }, { start: 40, end: 100 }]);
  });

  it('agree with point-wise set membership and return normal form', () => {
    fc.assert(fc.property(listsArb, ({ a, b }) => {
      const u = unionRanges(a, b);
      const i = intersectRanges(a, b);
      const d = subtractRanges(a, b);
      for (const out of [u, i, d]) expectNormal(out);
      for (const t of probes(a, b)) {
        expect(contains(u, t)).toBe(contains(a, t) || contains(b, t));
        expect(contains(i, t)).toBe(contains(a, t) && contains(b, t));
        expect(contains(d, t)).toBe(contains(a, t) && !contains(b, t));
      }
    }), RUNS);
  });

  it('satisfy (A − B) ∪ (A ∩ B) = A, (A − B) ∩ B = ∅ and A ∪ B = B ∪ A', () => {
    fc.assert(fc.property(listsArb, ({ a, b }) => {
      expect(unionRanges(subtractRanges(a, b), intersectRanges(a, b))).toEqual(normaliseRanges(a));
      expect(intersectRanges(subtractRanges(a, b), b)).toEqual([]);
      expect(unionRanges(a, b)).toEqual(unionRanges(b, a));
      expect(intersectRanges(a, b)).toEqual(intersectRanges(b, a));
      expect(totalLength(unionRanges(a, b)) + totalLength(intersectRanges(a, b))).toBe(totalLength(a) + totalLength(b));
    }), RUNS);
  });
});

describe('totalLength', () => {
  it('counts overlapping instants once and ignores inverted ranges', () => {
    expect(totalLength([{ start: 0, end: 10 }, { start: 5, end: 15 }, { start: 30, end: 20 }])).toBe(15);
    expect(totalLength([])).toBe(0);
  });
});

describe('missingRanges', () => {
  const request = { start: 0, end: 300_000 };

  it('returns the whole request when nothing is covered', () => {
    expect(missingRanges(request, [], MIN)).toEqual([{ start: 0, end: 300_000 }]);
  });

  it('returns nothing when coverage reaches beyond the request', () => {
    expect(missingRanges(request, [{ start: -600_000, end: 900_000 }], MIN)).toEqual([]);
  });

  it('returns the gaps between covered bars', () => {
    expect(missingRanges(request, [{ start: 60_000, end: 120_000 }, { start: 180_000, end: 240_000 }], MIN))
      .toEqual([{ start: 0, end: 60_000 }, { start: 120_000, end: 180_000 }, { start: 240_000, end: 300_000 }]);
  });

  it('treats a partially covered bar as missing', () => {
    expect(missingRanges(request, [{ start: 30_000, end: 270_000 }], MIN))
      .toEqual([{ start: 0, end: 60_000 }, { start: 240_000, end: 300_000 }]);
  });

  it('counts a bar as covered when adjacent pieces cover it together', () => {
    expect(missingRanges(request, [{ start: 0, end: 30_000 }, { start: 30_000, end: 300_000 }], MIN)).toEqual([]);
  });

  it('aligns an unaligned request outward and ignores inverted coverage', () => {
    expect(missingRanges({ start: 30_000, end: 90_000 }, [{ start: 60_000, end: 0 }], MIN))
      .toEqual([{ start: 0, end: 120_000 }]);
  });

  it('returns nothing for an empty request and refuses an inverted one', () => {
    expect(missingRanges({ start: 60_000, end: 60_000 }, [], MIN)).toEqual([]);
    expect(() => missingRanges({ start: 60_000, end: 0 }, [], MIN)).toThrow(InvertedRangeError);
  });

  it('with the covered bars, makes up exactly the aligned request, and never overlaps them', () => {
    fc.assert(fc.property(listsArb, ({ interval, a: covered, request: req }) => {
      const missing = missingRanges(req, covered, interval);
      const want = alignRange(req, interval);
      const bars = coveredBars(covered, interval);
      expectNormal(missing);
      for (const r of missing) expect(isAlignedRange(r, interval)).toBe(true);
      expect(unionRanges(missing, intersectRanges(bars, [want]))).toEqual(normaliseRanges([want]));
      expect(intersectRanges(missing, bars)).toEqual([]);
      expect(subtractRanges(bars, covered)).toEqual([]);
      // Every missing bar has at least one instant not covered.
      for (const r of missing) {
        for (let ts = r.start; ts < r.end; ts += interval) {
          expect(subtractRanges([{ start: ts, end: ts + interval }], covered)).not.toEqual([]);
        }
      }
    }), RUNS);
  });
});

describe('coveredBars', () => {
  it('shrinks merged coverage inward to whole bars', () => {
    expect(coveredBars([{ start: 1, end: 130_000 }, { start: 130_000, end: 200_000 }, { start: 250_000, end: 260_000 }], MIN))
      .toEqual([{ start: 60_000, end: 180_000 }]);
  });
});

describe('shardsCovering', () => {
  it('returns whole shards, unclipped', () => {
    expect(shardsCovering({ start: 90_000, end: 150_000 }, MIN, 2))
      .toEqual([{ start: 0, end: 120_000 }, { start: 120_000, end: 240_000 }]);
    expect(shardsCovering({ start: 0, end: 240_000 }, MIN, 2))
      .toEqual([{ start: 0, end: 120_000 }, { start: 120_000, end: 240_000 }]);
    expect(shardsCovering({ start: 5, end: 5 }, MIN, 2)).toEqual([]);
  });

  it('refuses a bad barsPerShard, a bad interval and an inverted range', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      try {
        shardsCovering({ start: 0, end: 1 }, MIN, bad);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidRequestError);
        expect((err as InvalidRequestError).field).toBe('barsPerShard');
      }
    }
    expect(() => shardsCovering({ start: 0, end: 1 }, -MIN, 2)).toThrow(InternalError);
    expect(() => shardsCovering({ start: 1, end: 0 }, MIN, 2)).toThrow(InvertedRangeError);
  });

  it('returns aligned, contiguous shards that cover the range and each touch it', () => {
    fc.assert(fc.property(listsArb, fc.integer({ min: 1, max: 12 }), ({ interval, request }, bars) => {
      const shardMs = interval * bars;
      const shards = shardsCovering(request, interval, bars);
      if (request.end === request.start) return void expect(shards).toEqual([]);
      for (let i = 0; i < shards.length; i++) {
        expect(shards[i].start % shardMs).toBe(0);
        expect(shards[i].end - shards[i].start).toBe(shardMs);
        if (i > 0) expect(shards[i].start).toBe(shards[i - 1].end);
        expect(intersectRanges([shards[i]], [request])).not.toEqual([]);
      }
      expect(subtractRanges([request], shards)).toEqual([]);
    }), RUNS);
  });

  it('gives overlapping requests identical shards where they meet', () => {
    fc.assert(fc.property(listsArb, fc.integer({ min: 1, max: 12 }), ({ interval, a }, bars) => {
      const requests = a.filter((r) => r.end > r.start);
      fc.pre(requests.length >= 2);
      const x = shardsCovering(requests[0], interval, bars);
      const y = shardsCovering(requests[1], interval, bars);
      for (const s of x) {
        for (const t of y) {
          const overlap = s.start < t.end && t.start < s.end;
          if (overlap) expect(t).toEqual(s);
        }
      }
    }), RUNS);
  });
});
