import { describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, TICK_SCHEMA, bucketEdges, checkAlign, createFrame, edgesOnGrid, fillGaps, partialBuckets, resampleOhlcv } from '../../../../src/core/index.js';
import type { Frame } from '../../../../src/core/index.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NY = 'America/New_York';

/** OHLCV bars at `ts` whose values are derived from the index so every aggregate is checkable. */
function bars(ts: readonly number[]): Frame {
  const n = ts.length;
  const cols = [new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  for (let i = 0; i < n; i++) {
    const mid = 100 + ((i * 7) % 13);
    cols[0][i] = mid; cols[1][i] = mid + 2 + (i % 3); cols[2][i] = mid - 1 - (i % 4); cols[3][i] = mid + 0.5; cols[4][i] = i + 1;
  }
  return createFrame(OHLCV_SCHEMA, Float64Array.from(ts), cols);
}

function minutes(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i * MIN);
}

describe('bucket edges', () => {
  it('follow the epoch grid without alignment, covering a range that starts and ends off the grid', () => {
    const edges = bucketEdges({ start: 30 * MIN, end: 2 * HOUR + 1 }, HOUR);
    expect([...edges]).toEqual([0, HOUR, 2 * HOUR, 3 * HOUR]);
  });

  it('make the New York day of 2024-03-10 (spring forward) 23 hours long, opening at local midnight', () => {
    const edges = bucketEdges({ start: Date.parse('2024-03-09T12:00:00Z'), end: Date.parse('2024-03-12T04:00:00Z') }, DAY, NY);
    expect([...edges].map((e) => new Date(e).toISOString())).toEqual([
      '2024-03-09T05:00:00.000Z', '2024-03-10T05:00:00.000Z', '2024-03-11T04:00:00.000Z', '2024-03-12T04:00:00.000Z',
    ]);
    expect(edges[2] - edges[1]).toBe(23 * HOUR);
  });

  it('make the New York day of 2024-11-03 (fall back) 25 hours long', () => {
    const edges = bucketEdges({ start: Date.parse('2024-11-03T04:00:00Z'), end: Date.parse('2024-11-04T05:00:00Z') }, DAY, NY);
    expect([...edges].map((e) => new Date(e).toISOString())).toEqual(['2024-11-03T04:00:00.000Z', '2024-11-04T05:00:00.000Z']);
    expect(edges[1] - edges[0]).toBe(25 * HOUR);
  });

  it('open aligned weeks on Monday at local midnight, across a month end', () => {
    // 2024-03-28 is a Thursday; its ISO week opens Monday 2024-03-25.
    const edges = bucketEdges({ start: Date.parse('2024-03-28T12:00:00Z'), end: Date.parse('2024-04-02T00:00:00Z') }, 7 * DAY, NY);
    expect([...edges].map((e) => new Date(e).toISOString())).toEqual(['2024-03-25T04:00:00.000Z', '2024-04-01T04:00:00.000Z', '2024-04-08T04:00:00.000Z']);
    expect(new Date(edges[0]).getUTCDay()).toBe(1);
  });

  it('lie on the 1m grid for New York days but not on the 1d grid', () => {
    const edges = bucketEdges({ start: Date.parse('2024-03-09T12:00:00Z'), end: Date.parse('2024-03-12T00:00:00Z') }, DAY, NY);
    expect(edgesOnGrid(edges, MIN)).toBe(true);
    expect(edgesOnGrid(edges, DAY)).toBe(false);
  });
});

describe('align checks', () => {
  it('refuse an unknown time zone, naming align', () => {
    expect(() => checkAlign('Mars/Olympus', DAY)).toThrow(/^align: unknown time zone "Mars\/Olympus"/);
  });
  it('refuse an interval below 1d, naming align', () => {
    expect(() => checkAlign(NY, HOUR)).toThrow(/^align: aligns daily and weekly bars only/);
  });
  it('accept 1d and 1w in a known zone', () => {
    expect(checkAlign(NY, DAY)).toBe(NY);
    expect(checkAlign('UTC', 7 * DAY)).toBe('UTC');
  });
});

describe('OHLCV resampling', () => {
  it('takes the first open, the highest high, the lowest low, the last close and the sum of volume per bucket', () => {
    const base = bars(minutes(0, 120));
    const { frame, baseRows } = resampleOhlcv(base, bucketEdges({ start: 0, end: 2 * HOUR }, HOUR));
    expect([...frame.ts]).toEqual([0, HOUR]);
    expect([...baseRows]).toEqual([60, 60]);
    const [o, h, l, c, v] = base.values;
    for (let b = 0; b < 2; b++) {
      const from = b * 60;
      const to = from + 60;
      expect(frame.values[0][b]).toBe(o[from]);
      expect(frame.values[1][b]).toBe(Math.max(...h.subarray(from, to)));
      expect(frame.values[2][b]).toBe(Math.min(...l.subarray(from, to)));
      expect(frame.values[3][b]).toBe(c[to - 1]);
      expect(frame.values[4][b]).toBe(v.subarray(from, to).reduce((a, x) => a + x, 0));
    }
  });

  it('gives no row for a bucket without base bars and leaves out base bars outside the edges', () => {
    const base = bars([...minutes(0, 3), ...minutes(2 * HOUR, 2), ...minutes(5 * HOUR, 1)]);
    const { frame, baseRows } = resampleOhlcv(base, bucketEdges({ start: 0, end: 3 * HOUR }, HOUR));
    expect([...frame.ts]).toEqual([0, 2 * HOUR]);
    expect([...baseRows]).toEqual([3, 2]);
  });

  it('aggregates a 23-hour New York day from exactly its 1,380 minutes', () => {
    const start = Date.parse('2024-03-10T05:00:00Z');
    const base = bars(minutes(start - 60 * MIN, 60 + 23 * 60 + 60));
    const edges = bucketEdges({ start, end: start + 23 * HOUR }, DAY, NY);
    const { frame, baseRows } = resampleOhlcv(base, edges);
    expect([...frame.ts]).toEqual([start]);
    expect([...baseRows]).toEqual([1380]);
    expect(frame.values[0][0]).toBe(base.values[0][60]);
    expect(frame.values[3][0]).toBe(base.values[3][60 + 1379]);
  });

  it('keeps NaN of a defective base bar visible in its bucket', () => {
    const base = bars(minutes(0, 3));
    (base.values[1] as Float64Array)[1] = Number.NaN;
    const { frame } = resampleOhlcv(base, bucketEdges({ start: 0, end: HOUR }, HOUR));
    expect(frame.values[1][0]).toBeNaN();
  });
});

describe('partial buckets', () => {
  it('are the buckets a missing base range overlaps, and only those', () => {
    const edges = bucketEdges({ start: 0, end: 4 * HOUR }, HOUR);
    expect(partialBuckets(edges, [{ start: HOUR + 5 * MIN, end: HOUR + 6 * MIN }, { start: 3 * HOUR - MIN, end: 3 * HOUR + MIN }])).toEqual([HOUR, 2 * HOUR, 3 * HOUR]);
    expect(partialBuckets(edges, [])).toEqual([]);
  });
});

describe('fill modes', () => {
  const edges = bucketEdges({ start: 0, end: 6 * MIN }, MIN);

  it('null adds a NaN row per missing bar from the first bar to the end of the edges, and reports them', () => {
    const f = bars([MIN, 2 * MIN, 4 * MIN]);
    const filled = fillGaps(f, edges, 'null');
    expect([...filled.frame.ts]).toEqual([MIN, 2 * MIN, 3 * MIN, 4 * MIN, 5 * MIN]);
    expect(filled.frame.values[3][2]).toBeNaN();
    expect(filled.frame.values[4][4]).toBeNaN();
    expect(filled.bars).toBe(2);
    expect(filled.ranges).toEqual([{ start: 3 * MIN, end: 4 * MIN }, { start: 5 * MIN, end: 6 * MIN }]);
  });

  it('prev carries the previous close into open, high, low and close with zero volume', () => {
    const f = bars([0, 3 * MIN]);
    const filled = fillGaps(f, edges, 'prev');
    expect([...filled.frame.ts]).toEqual([0, MIN, 2 * MIN, 3 * MIN, 4 * MIN, 5 * MIN]);
    const close0 = f.values[3][0];
    for (const c of [0, 1, 2, 3]) expect(filled.frame.values[c][1]).toBe(close0);
    expect(filled.frame.values[4][2]).toBe(0);
    expect(filled.frame.values[0][3]).toBe(f.values[0][1]);
    expect(filled.frame.values[3][5]).toBe(f.values[3][1]);
    expect(filled.ranges).toEqual([{ start: MIN, end: 3 * MIN }, { start: 4 * MIN, end: 6 * MIN }]);
  });

  it('never fills before the first bar, and fills nothing in an empty answer', () => {
    const f = bars([4 * MIN, 5 * MIN]);
    expect(fillGaps(f, edges, 'prev').bars).toBe(0);
    expect(fillGaps(bars([]), edges, 'null').bars).toBe(0);
  });

  it('prev repeats every value of the previous row for a non-OHLCV schema', () => {
    const f = createFrame(TICK_SCHEMA, Float64Array.from([0, 2 * MIN]), [Float64Array.from([5, 6]), Float64Array.from([1, 2])]);
    const filled = fillGaps(f, bucketEdges({ start: 0, end: 3 * MIN }, MIN), 'prev');
    expect([...filled.frame.values[0]]).toEqual([5, 5, 6]);
    expect([...filled.frame.values[1]]).toEqual([1, 1, 2]);
  });
});
