import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, TICK_SCHEMA } from '../../../../src/core/index.js';
import type { Frame } from '../../../../src/core/index.js';
import { createLiveBuffer } from '../../../../src/provider/internal.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 5, 1);
const ALL = { start: 0, end: Number.POSITIVE_INFINITY };
const row = (x: number): number[] => [x, x + 2, x - 1, x + 1, 10 * x];

function rows(f: Frame): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < f.length; i++) out.push([f.ts[i], f.values[3][i]]);
  return out;
}

describe('live buffer', () => {
  it('keeps closed bars ascending and returns a range as a columnar frame of the dataset schema', () => {
    const b = createLiveBuffer(OHLCV_SCHEMA, 10);
    for (let i = 0; i < 5; i++) expect(b.update(T0 + i * MIN, row(i), true)).toBe('appended');
    const f = b.closed({ start: T0 + MIN, end: T0 + 4 * MIN });
    expect(f.schema).toBe(OHLCV_SCHEMA);
    expect(rows(f)).toEqual([[T0 + MIN, 2], [T0 + 2 * MIN, 3], [T0 + 3 * MIN, 4]]);
    expect(Array.from(f.column('volume'))).toEqual([10, 20, 30]);
    expect(b.lastClosedTs).toBe(T0 + 4 * MIN);
    expect(b.closed({ start: T0 + 10 * MIN, end: T0 + 20 * MIN }).length).toBe(0);
  });

  it('lets the newest update for a ts win', () => {
    const b = createLiveBuffer(OHLCV_SCHEMA, 4);
    b.update(T0, row(1), true);
    b.update(T0 + MIN, row(2), true);
    expect(b.update(T0, row(7), true)).toBe('replaced');
    expect(rows(b.closed(ALL))).toEqual([[T0, 8], [T0 + MIN, 3]]);
  });

  it('is a bounded ring: the oldest bars go, snapshots across the wrap are whole and ordered, and copies', () => {
    const b = createLiveBuffer(OHLCV_SCHEMA, 3);
    for (let i = 0; i < 7; i++) b.update(T0 + i * MIN, row(i), true);
    expect(b.size).toBe(3);
    const snap = b.closed(ALL);
    expect(rows(snap)).toEqual([[T0 + 4 * MIN, 5], [T0 + 5 * MIN, 6], [T0 + 6 * MIN, 7]]);
    expect(b.update(T0, row(0), true)).toBe('too_old');
    b.update(T0 + 7 * MIN, row(8), true);
    // The snapshot taken before is not changed by later updates.
    expect(rows(snap)).toEqual([[T0 + 4 * MIN, 5], [T0 + 5 * MIN, 6], [T0 + 6 * MIN, 7]]);
  });

  it('places an out-of-order closed bar in order', () => {
    const b = createLiveBuffer(OHLCV_SCHEMA, 5);
    b.update(T0, row(0), true);
    b.update(T0 + 2 * MIN, row(2), true);
    expect(b.update(T0 + MIN, row(1), true)).toBe('inserted');
    expect(rows(b.closed(ALL)).map(([t]) => (t - T0) / MIN)).toEqual([0, 1, 2]);
  });

  it('holds one building bar: newer updates replace it, closing it clears it, stale ones are ignored', () => {
    const b = createLiveBuffer(OHLCV_SCHEMA, 5);
    b.update(T0, row(0), true);
    expect(b.update(T0 + MIN, row(1), false)).toBe('building');
    expect(b.update(T0 + MIN, row(2), false)).toBe('building');
    const building = b.building({ start: T0, end: T0 + 2 * MIN });
    expect(building && rows(building)).toEqual([[T0 + MIN, 3]]);
    expect(b.building({ start: T0, end: T0 + MIN })).toBeUndefined();
    expect(b.closed(ALL).length).toBe(1);
    expect(b.update(T0, row(9), false)).toBe('stale');
    b.update(T0 + MIN, row(3), true);
    expect(b.buildingTs).toBeUndefined();
    b.update(T0 + 2 * MIN, row(4), false);
    b.clearBuilding();
    expect(b.building(ALL)).toBeUndefined();
  });

  it('works for any schema (tick: price, size)', () => {
    const b = createLiveBuffer(TICK_SCHEMA, 2);
    b.update(1_000, [5, 6], true);
    expect(Array.from(b.closed(ALL).column('size'))).toEqual([6]);
  });

  it('always holds the newest `capacity` closed ts received, each with its newest values (model check)', () => {
    fc.assert(fc.property(
      // Capacities below and above the rows a ring starts with (64), so growth meets wraps and inserts.
      fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 60, max: 300 })),
      fc.oneof(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 1_000 })), { maxLength: 80 }),
        // Mostly ascending with stragglers: the ring grows while it holds out-of-order rows.
        fc.array(fc.tuple(fc.integer({ min: -5, max: 1 }), fc.integer({ min: 0, max: 1_000 })), { minLength: 100, maxLength: 600 })
          .map((steps) => { let k = 0; return steps.map(([d, x]): [number, number] => [(k += d < 0 ? 0 : 1) + Math.min(0, d), x]); }),
      ),
      (capacity, updates) => {
        const b = createLiveBuffer(OHLCV_SCHEMA, capacity);
        const model = new Map<number, number>();
        for (const [k, x] of updates) {
          b.update(T0 + k * MIN, row(x), true);
          model.set(T0 + k * MIN, x + 1);
        }
        const expected = [...model.entries()].sort((a, c) => a[0] - c[0]).slice(-capacity);
        // Whatever the order of arrival: the newest `capacity` ts, each with its newest values.
        expect(rows(b.closed(ALL))).toEqual(expected);
      },
    ));
  });
});
