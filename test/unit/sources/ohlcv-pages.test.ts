/**
 * The edge between half-open ranges and an exchange's since/limit candle pages, against a model
 * exchange (a set of bar open times answering "the earliest `limit` bars with open time ≥ since,
 * the building one included, nothing after now").
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TimeRange } from '../../../src/core/index.js';
import { ExchangeRequestError, closedEnd, fetchPaged, pageRequest } from '../../../src/sources/internal.js';
import type { OhlcvRow, PageFetcher } from '../../../src/sources/internal.js';

const MINUTE = 60_000;
const BASE = 1_709_510_400_000; // 2024-03-04T00:00Z

interface ModelExchange {
  readonly fetch: PageFetcher;
  readonly asked: { since: number; limit: number }[];
}

/** Bars at `slots` (indices on the grid from BASE); answers at most `maxPage` bars per request. */
function modelExchange(slots: readonly number[], intervalMs: number, now: number, maxPage: number): ModelExchange {
  const times = [...new Set(slots)].sort((a, b) => a - b).map((k) => BASE + k * intervalMs);
  const asked: { since: number; limit: number }[] = [];
  return {
    asked,
    fetch: (since, limit) => {
      asked.push({ since, limit });
      const rows: OhlcvRow[] = [];
      for (const ts of times) {
        if (rows.length >= Math.min(limit, maxPage)) break;
        if (ts >= since && ts <= now) rows.push([ts, 1, 2, 0.5, 1.5, 10]);
      }
      return Promise.resolve(rows);
    },
  };
}

function plan(range: TimeRange, intervalMs: number, now: number, pageLimit: number) {
  return { range, intervalMs, now, pageLimit, exchange: 'model' };
}

/** Merged runs of grid slots in [start, end) that hold no bar. */
function expectedEmpty(times: ReadonlySet<number>, start: number, end: number, intervalMs: number): TimeRange[] {
  const out: { start: number; end: number }[] = [];
  for (let t = start; t < end; t += intervalMs) {
    if (times.has(t)) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last.end === t) last.end = t + intervalMs;
    else out.push({ start: t, end: t + intervalMs });
  }
  return out;
}

describe('exchange candle pages (edge conversion)', () => {
  it('converts a half-open range to since/limit requests that never reach past its end', () => {
    expect(pageRequest(BASE, BASE + 5 * MINUTE, MINUTE, 1000)).toEqual({ since: BASE, limit: 5 });
    expect(pageRequest(BASE, BASE + 5 * MINUTE, MINUTE, 2)).toEqual({ since: BASE, limit: 2 });
    // A bar is closed once ts + interval <= now: at 00:05:00 exactly the 00:04 bar has closed.
    expect(closedEnd(BASE + 5 * MINUTE, MINUTE)).toBe(BASE + 5 * MINUTE);
    expect(closedEnd(BASE + 5 * MINUTE - 1, MINUTE)).toBe(BASE + 4 * MINUTE);
  });

  it('returns exactly the closed bars of the range and reports every other grid slot of it known empty', async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(1_000, MINUTE, 5 * MINUTE, 3_600_000),
      fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: 250 }),
      fc.integer({ min: 0, max: 320 }), fc.integer({ min: 0, max: 320 }),
      fc.integer({ min: 0, max: 330 }), fc.double({ min: 0, max: 0.999, noNaN: true }),
      fc.integer({ min: 1, max: 40 }),
      async (intervalMs, slots, a, b, nowSlot, nowFraction, pageLimit) => {
        const start = BASE + Math.min(a, b) * intervalMs;
        const end = BASE + Math.max(a, b) * intervalMs;
        const now = BASE + nowSlot * intervalMs + Math.floor(nowFraction * intervalMs);
        const model = modelExchange(slots, intervalMs, now, pageLimit);
        const result = await fetchPaged(plan({ start, end }, intervalMs, now, pageLimit), model.fetch);

        const upTo = Math.min(end, closedEnd(now, intervalMs));
        const times = new Set(slots.map((k) => BASE + k * intervalMs));
        const want = [...times].filter((t) => t >= start && t < upTo).sort((x, y) => x - y);
        expect(Array.from(result.frame.ts)).toEqual(want);
        expect(result.knownEmpty).toEqual(start < upTo ? expectedEmpty(times, start, upTo, intervalMs) : []);
        // Each request stays inside the closed part of the range, on the grid.
        for (const { since, limit } of model.asked) {
          expect(since % intervalMs).toBe(0);
          expect(since).toBeGreaterThanOrEqual(start);
          expect(limit).toBeGreaterThanOrEqual(1);
          expect(since + limit * intervalMs).toBeLessThanOrEqual(upTo);
        }
        // No request is wasted: one per full page of bars, plus at most the one that proves the rest empty.
        expect(result.pages).toBeLessThanOrEqual(Math.ceil(want.length / pageLimit) + 1);
        expect(result.pages).toBe(model.asked.length);
      },
    ), { numRuns: 300 });
  });

  it('marks the hour before a listing known empty from the first page, which answers bars after the range', async () => {
    const model = modelExchange([60, 61, 62], MINUTE, BASE + 100 * MINUTE, 500);
    const result = await fetchPaged(plan({ start: BASE, end: BASE + 60 * MINUTE }, MINUTE, BASE + 100 * MINUTE, 500), model.fetch);
    expect(result.frame.length).toBe(0);
    expect(result.knownEmpty).toEqual([{ start: BASE, end: BASE + 60 * MINUTE }]);
    expect(result.pages).toBe(1);
  });

  it('takes a short page as proof that nothing follows its last bar, and an empty page as proof that nothing follows at all', async () => {
    const now = BASE + 200 * MINUTE;
    const short = modelExchange([0, 1, 2, 5], MINUTE, now, 10);
    const a = await fetchPaged(plan({ start: BASE, end: BASE + 100 * MINUTE }, MINUTE, now, 10), short.fetch);
    expect(Array.from(a.frame.ts)).toEqual([BASE, BASE + MINUTE, BASE + 2 * MINUTE, BASE + 5 * MINUTE]);
    expect(a.knownEmpty).toEqual([{ start: BASE + 3 * MINUTE, end: BASE + 5 * MINUTE }, { start: BASE + 6 * MINUTE, end: BASE + 100 * MINUTE }]);
    expect(short.asked).toEqual([{ since: BASE, limit: 10 }]);

    const empty = modelExchange([], MINUTE, now, 10);
    const b = await fetchPaged(plan({ start: BASE, end: BASE + 30 * MINUTE }, MINUTE, now, 10), empty.fetch);
    expect(b.frame.length).toBe(0);
    expect(b.knownEmpty).toEqual([{ start: BASE, end: BASE + 30 * MINUTE }]);
  });

  it('drops the bar still building and reports nothing about slots that have not closed', async () => {
    const now = BASE + 10 * MINUTE + 41_318; // 00:10:41: the 00:10 bar is building
    const model = modelExchange([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], MINUTE, now, 500);
    const result = await fetchPaged(plan({ start: BASE, end: BASE + 20 * MINUTE }, MINUTE, now, 500), model.fetch);
    expect(result.frame.length).toBe(10);
    expect(result.frame.ts[9]).toBe(BASE + 9 * MINUTE);
    expect(result.knownEmpty).toEqual([]);
    expect(model.asked).toEqual([{ since: BASE, limit: 10 }]);
  });

  it('sorts an unsorted page, keeps duplicate bars for the ingest normaliser and skips bars before since', async () => {
    const rows: OhlcvRow[] = [[BASE + 2 * MINUTE, 3, 3, 3, 3, 1], [BASE - MINUTE, 9, 9, 9, 9, 9], [BASE, 1, 1, 1, 1, 1], [BASE, 1.5, 1.5, 1.5, 1.5, 1]];
    const result = await fetchPaged(plan({ start: BASE, end: BASE + 3 * MINUTE }, MINUTE, BASE + 100 * MINUTE, 10), () => Promise.resolve(rows));
    expect(Array.from(result.frame.ts)).toEqual([BASE, BASE, BASE + 2 * MINUTE]);
    expect(result.knownEmpty).toEqual([{ start: BASE + MINUTE, end: BASE + 2 * MINUTE }]);
  });

  it('turns missing values into NaN', async () => {
    const result = await fetchPaged(plan({ start: BASE, end: BASE + MINUTE }, MINUTE, BASE + 10 * MINUTE, 10), () => Promise.resolve([[BASE, 1, undefined, 0.5, 1, undefined]]));
    expect(Number.isNaN(result.frame.values[1][0])).toBe(true);
    expect(Number.isNaN(result.frame.values[4][0])).toBe(true);
  });

  it('fails with a non-retryable bad_response when a full page holds no bar at or after since', async () => {
    const stale: OhlcvRow[] = [[BASE - 2 * MINUTE, 1, 1, 1, 1, 1], [BASE - MINUTE, 1, 1, 1, 1, 1]];
    const failure = fetchPaged(plan({ start: BASE, end: BASE + 10 * MINUTE }, MINUTE, BASE + 100 * MINUTE, 2), () => Promise.resolve(stale));
    await expect(failure).rejects.toBeInstanceOf(ExchangeRequestError);
    await expect(failure).rejects.toMatchObject({ reason: 'bad_response', retryable: false, code: 'upstream_unavailable' });
  });

  it('asks nothing for an empty or entirely unclosed range', async () => {
    let asked = 0;
    const count: PageFetcher = () => { asked++; return Promise.resolve([]); };
    await fetchPaged(plan({ start: BASE, end: BASE }, MINUTE, BASE + 100 * MINUTE, 10), count);
    const future = await fetchPaged(plan({ start: BASE + 100 * MINUTE, end: BASE + 200 * MINUTE }, MINUTE, BASE + 100 * MINUTE, 10), count);
    expect(asked).toBe(0);
    expect(future.knownEmpty).toEqual([]);
  });
});
