import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, createFrame } from '../../../src/core/index.js';
import { createManualClock } from '../../../src/core/internal.js';
import type { Frame, TimeRange } from '../../../src/core/index.js';
import { createResponseCache, datasetKeyPrefix } from '../../../src/provider/index.js';
import { cacheKey } from '../../../src/provider/internal.js';
import type { CacheLimits } from '../../../src/provider/internal.js';

const I = 10;
const NODE = 'ohlcv:binance:BTC/USDT';
const KEY = cacheKey(NODE, I, undefined, undefined, 'none');
const ROOMY: CacheLimits = { maxBytes: 1 << 30, maxEntries: 1000, ttlMs: 60_000 };
/** What one segment of `rows` OHLCV rows is charged: six Float64 columns plus the fixed overhead. */
const segmentBytes = (rows: number): number => rows * 8 * 6 + 256;

/** Every bar of [start, end) on the grid of I, with values derived from ts. */
function bars(range: TimeRange): Frame {
  const n = (range.end - range.start) / I;
  const ts = new Float64Array(n);
  const values = OHLCV_SCHEMA.columns.map(() => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    ts[i] = range.start + i * I;
    for (let c = 0; c < values.length; c++) values[c][i] = ts[i] * 2 + c;
  }
  return createFrame(OHLCV_SCHEMA, ts, values);
}

function cacheWith(limits: Partial<CacheLimits> = {}, reasons: string[] = []) {
  const clock = createManualClock(1_000_000);
  const cache = createResponseCache({ ...ROOMY, ...limits }, clock, { onEvict: (r) => reasons.push(r) });
  return { cache, clock, reasons };
}

function put(cache: ReturnType<typeof cacheWith>['cache'], range: TimeRange, key = KEY): Frame {
  const frame = bars(range);
  cache.insert(key, range, frame);
  return frame;
}

function holds(cache: ReturnType<typeof cacheWith>['cache'], range: TimeRange, key = KEY): boolean {
  return cache.lookup(key, range).remaining.length === 0;
}

describe('response cache', () => {
  it('holds its own copy of a frame that is a view into a much larger buffer, so what it charges is what it keeps alive', () => {
    const { cache } = cacheWith();
    const big = bars({ start: 0, end: 100_000 * I }); // one dataset's rows of a large shared answer
    const view = big.slice(50_000, 50_010);
    cache.insert(KEY, { start: 50_000 * I, end: 50_010 * I }, view);
    const [piece] = cache.lookup(KEY, { start: 50_000 * I, end: 50_010 * I }).pieces;
    expect(piece.segment.frame.ts.buffer.byteLength).toBe(10 * 8);
    expect(Array.from(piece.segment.frame.ts)).toEqual(Array.from(view.ts));
    expect(Array.from(piece.segment.frame.values[3])).toEqual(Array.from(view.values[3]));
    // A frame that owns its columns is kept as is (no copy).
    const own = put(cache, { start: 0, end: 10 * I });
    expect(cache.lookup(KEY, { start: 0, end: 10 * I }).pieces[0].segment.frame).toBe(own);
  });

  it('evicts the least recently used segment when the entry limit is exceeded', () => {
    const { cache, reasons } = cacheWith({ maxEntries: 2 });
    put(cache, { start: 0, end: 100 });
    put(cache, { start: 100, end: 200 });
    expect(holds(cache, { start: 0, end: 100 })).toBe(true); // touch: [0,100) is now the newest
    put(cache, { start: 200, end: 300 });
    expect(holds(cache, { start: 0, end: 100 })).toBe(true);
    expect(holds(cache, { start: 100, end: 200 })).toBe(false);
    expect(holds(cache, { start: 200, end: 300 })).toBe(true);
    expect(cache.stats()).toMatchObject({ entries: 2, evictions: 1 });
    expect(reasons).toEqual(['entries']);
  });

  it('evicts least recently used segments until the byte budget holds', () => {
    const { cache, reasons } = cacheWith({ maxBytes: 2 * segmentBytes(10) + 1 });
    put(cache, { start: 0, end: 100 });
    put(cache, { start: 100, end: 200 });
    expect(cache.stats().bytes).toBe(2 * segmentBytes(10));
    cache.lookup(KEY, { start: 0, end: 50 });
    put(cache, { start: 200, end: 300 });
    expect(holds(cache, { start: 100, end: 200 })).toBe(false);
    expect(holds(cache, { start: 0, end: 100 })).toBe(true);
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 2 * segmentBytes(10) });
    expect(reasons).toEqual(['bytes']);
  });

  it('does not store a segment larger than the whole byte budget', () => {
    const { cache } = cacheWith({ maxBytes: segmentBytes(10) });
    put(cache, { start: 0, end: 110 });
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
    put(cache, { start: 0, end: 100 });
    expect(cache.stats()).toMatchObject({ entries: 1, bytes: segmentBytes(10) });
  });

  it('serves a segment until its TTL has passed and drops it after', () => {
    const { cache, clock, reasons } = cacheWith({ ttlMs: 1000 });
    put(cache, { start: 0, end: 100 });
    clock.advance(999);
    expect(holds(cache, { start: 0, end: 100 })).toBe(true);
    clock.advance(1);
    const after = cache.lookup(KEY, { start: 0, end: 100 });
    expect(after.pieces).toEqual([]);
    expect(after.remaining).toEqual([{ start: 0, end: 100 }]);
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
    expect(reasons).toEqual(['ttl']);
  });

  it('returns zero-copy slices of the cached columns for a partial overlap', () => {
    const { cache } = cacheWith();
    const frame = put(cache, { start: 100, end: 200 });
    const { pieces, remaining } = cache.lookup(KEY, { start: 50, end: 150 });
    expect(remaining).toEqual([{ start: 50, end: 100 }]);
    expect(pieces).toHaveLength(1);
    const piece = pieces[0];
    expect(piece.range).toEqual({ start: 100, end: 150 });
    expect(Array.from(piece.frame.ts)).toEqual([100, 110, 120, 130, 140]);
    expect(piece.frame.ts.buffer).toBe(frame.ts.buffer);
    for (let c = 0; c < frame.values.length; c++) expect(piece.frame.values[c].buffer).toBe(frame.values[c].buffer);
  });

  it('reports the gaps between and around cached segments as remaining, in order', () => {
    const { cache } = cacheWith();
    put(cache, { start: 100, end: 200 });
    put(cache, { start: 300, end: 400 });
    const { pieces, remaining } = cache.lookup(KEY, { start: 0, end: 500 });
    expect(pieces.map((p) => p.range)).toEqual([{ start: 100, end: 200 }, { start: 300, end: 400 }]);
    expect(remaining).toEqual([{ start: 0, end: 100 }, { start: 200, end: 300 }, { start: 400, end: 500 }]);
  });

  it('splits any request exactly into cached pieces and remaining gaps (property)', () => {
    const range = fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 20 })).map(([s, n]) => ({ start: s * I, end: (s + n) * I }));
    fc.assert(fc.property(fc.array(range, { maxLength: 8 }), range, (segments, request) => {
      const { cache } = cacheWith();
      for (const s of segments) put(cache, s);
      const { pieces, remaining } = cache.lookup(KEY, request);
      for (let i = 1; i < pieces.length; i++) expect(pieces[i].range.start).toBeGreaterThanOrEqual(pieces[i - 1].range.end);
      for (let i = 1; i < remaining.length; i++) expect(remaining[i].start).toBeGreaterThan(remaining[i - 1].end);
      const all = [...pieces.map((p) => p.range), ...remaining].sort((a, b) => a.start - b.start);
      let cursor = request.start;
      for (const r of all) {
        expect(r.start).toBe(cursor); // no gap, no overlap
        expect(r.end).toBeGreaterThan(r.start);
        cursor = r.end;
      }
      expect(cursor).toBe(request.end);
      for (const p of pieces) expect(Array.from(p.frame.ts)).toEqual(Array.from(bars(p.range).ts));
    }), { numRuns: 300 });
  });

  it('drops every segment a new insert overlaps, keeping segments disjoint', () => {
    const { cache, reasons } = cacheWith();
    put(cache, { start: 0, end: 100 });
    put(cache, { start: 200, end: 300 });
    const newer = put(cache, { start: 50, end: 250 });
    const { pieces, remaining } = cache.lookup(KEY, { start: 0, end: 300 });
    expect(pieces.map((p) => p.range)).toEqual([{ start: 50, end: 250 }]);
    expect(pieces[0].frame).toBe(newer);
    expect(remaining).toEqual([{ start: 0, end: 50 }, { start: 250, end: 300 }]);
    expect(cache.stats()).toMatchObject({ entries: 1, bytes: segmentBytes(20) });
    expect(reasons).toEqual(['replaced', 'replaced']);
  });

  it('invalidates every world and asOf of one dataset and nothing of other datasets', () => {
    const { cache } = cacheWith();
    const w1 = cacheKey(NODE, I, 'w1', undefined, 'none');
    const w2asOf = cacheKey(NODE, I, 'w2', 1_700_000_000_000, 'none');
    const otherInterval = cacheKey(NODE, I * 10, 'w1', undefined, 'none');
    const longerNode = cacheKey(`${NODE}X`, I, 'w1', undefined, 'none');
    for (const key of [w1, w2asOf, otherInterval, longerNode]) put(cache, { start: 0, end: 100 }, key);
    cache.invalidate(datasetKeyPrefix(NODE, I));
    expect(holds(cache, { start: 0, end: 100 }, w1)).toBe(false);
    expect(holds(cache, { start: 0, end: 100 }, w2asOf)).toBe(false);
    expect(holds(cache, { start: 0, end: 100 }, otherInterval)).toBe(true);
    expect(holds(cache, { start: 0, end: 100 }, longerNode)).toBe(true);
  });

  it('invalidates only the segments overlapping the given range', () => {
    const { cache } = cacheWith();
    put(cache, { start: 0, end: 100 });
    put(cache, { start: 100, end: 200 });
    put(cache, { start: 300, end: 400 });
    cache.invalidate(datasetKeyPrefix(NODE, I), { start: 150, end: 300 });
    expect(holds(cache, { start: 0, end: 100 })).toBe(true);
    expect(holds(cache, { start: 100, end: 200 })).toBe(false);
    expect(holds(cache, { start: 300, end: 400 })).toBe(true);
  });

  it('does not share entries between worlds or asOf points', () => {
    const { cache } = cacheWith();
    put(cache, { start: 0, end: 100 }, cacheKey(NODE, I, 'w1', undefined, 'none'));
    expect(holds(cache, { start: 0, end: 100 }, cacheKey(NODE, I, 'w1', undefined, 'none'))).toBe(true);
    expect(holds(cache, { start: 0, end: 100 }, cacheKey(NODE, I, 'w2', undefined, 'none'))).toBe(false);
    expect(holds(cache, { start: 0, end: 100 }, cacheKey(NODE, I, undefined, undefined, 'none'))).toBe(false);
    expect(holds(cache, { start: 0, end: 100 }, cacheKey(NODE, I, 'w1', 1_700_000_000_000, 'none'))).toBe(false);
    expect(holds(cache, { start: 0, end: 100 }, cacheKey(NODE, I, 'w1', undefined, 'v2'))).toBe(false);
  });

  it('builds keys that keep node ids containing separators apart', () => {
    expect(cacheKey('a:b', I, 'c', undefined, 'none')).not.toBe(cacheKey('a', I, 'b:c', undefined, 'none'));
    expect(cacheKey(NODE, I, undefined, undefined, 'none').startsWith(datasetKeyPrefix(NODE, I))).toBe(true);
    expect(cacheKey(NODE, 600, undefined, undefined, 'none').startsWith(datasetKeyPrefix(NODE, 60))).toBe(false);
  });

  describe('a read that began before an invalidation', () => {
    const range = { start: 0, end: 100 };
    it('does not cache bars read before an invalidation of its range came in', () => {
      const cache = createResponseCache(ROOMY, createManualClock(0));
      const since = cache.epoch();
      // The read's storage query ran here; another gateway's write then invalidated the range.
      cache.invalidate(datasetKeyPrefix(NODE, I), { start: 50, end: 60 });
      cache.insert(KEY, range, bars(range), since);
      expect(cache.lookup(KEY, range).pieces).toEqual([]);
    });

    it('does not cache them after a clear (a change listener that lost its connection)', () => {
      const cache = createResponseCache(ROOMY, createManualClock(0));
      const since = cache.epoch();
      cache.clear();
      cache.insert(KEY, range, bars(range), since);
      expect(cache.lookup(KEY, range).pieces).toEqual([]);
    });

    it('caches them when the invalidations since were of another dataset or another range', () => {
      const cache = createResponseCache(ROOMY, createManualClock(0));
      const since = cache.epoch();
      cache.invalidate(datasetKeyPrefix('ohlcv:binance:ETH/USDT', I), range);
      cache.invalidate(datasetKeyPrefix(NODE, I), { start: 100, end: 200 });
      cache.insert(KEY, range, bars(range), since);
      expect(cache.lookup(KEY, range).remaining).toEqual([]);
    });

    it('refuses when the remembered invalidations no longer reach back to the read', () => {
      const cache = createResponseCache(ROOMY, createManualClock(0));
      const since = cache.epoch();
      for (let i = 0; i < 2_000; i++) cache.invalidate(datasetKeyPrefix('ohlcv:other', I), { start: i, end: i + 1 });
      cache.insert(KEY, range, bars(range), since);
      expect(cache.lookup(KEY, range).pieces).toEqual([]);
      // A read begun now is cached again.
      cache.insert(KEY, range, bars(range), cache.epoch());
      expect(cache.lookup(KEY, range).remaining).toEqual([]);
    });
  });
});
