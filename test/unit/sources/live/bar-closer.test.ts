import { describe, expect, it } from 'vitest';
import { createBarCloser } from '../../../../src/sources/internal.js';
import type { LiveEvent } from '../../../../src/sources/index.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 5, 1, 12);
const v = (x: number): Float64Array => Float64Array.of(x, x + 1, x - 1, x, 1);

function rig(graceMs = 2_000) {
  const events: LiveEvent[] = [];
  const closer = createBarCloser(MIN, graceMs, (e) => events.push(e));
  const bars = () => events.flatMap((e) => (e.type === 'bar' ? [{ ts: e.ts, close: e.values[3], closed: e.closed }] : []));
  return { closer, bars };
}

describe('bar closer (closedness of bars from feeds without a closed flag)', () => {
  it('closes the building bar with its last values when the next bar arrives', () => {
    const { closer, bars } = rig();
    closer.update(T0, v(1), undefined, T0 + 1_000);
    closer.update(T0, v(2), undefined, T0 + 30_000);
    closer.update(T0 + MIN, v(3), undefined, T0 + MIN + 500);
    expect(bars()).toEqual([
      { ts: T0, close: 1, closed: false },
      { ts: T0, close: 2, closed: false },
      { ts: T0, close: 2, closed: true },
      { ts: T0 + MIN, close: 3, closed: false },
    ]);
  });

  it('closes the building bar by the clock once its time and the grace have passed with no newer bar', () => {
    const { closer, bars } = rig(2_000);
    closer.update(T0, v(1), undefined, T0 + 1_000);
    closer.tick(T0 + MIN + 1_999);
    expect(bars().filter((b) => b.closed)).toEqual([]);
    closer.tick(T0 + MIN + 2_000);
    expect(bars().at(-1)).toEqual({ ts: T0, close: 1, closed: true });
    // A late update of the bar is a correction, final by definition (the newest values win downstream).
    closer.update(T0, v(5), undefined, T0 + MIN + 3_000);
    expect(bars().at(-1)).toEqual({ ts: T0, close: 5, closed: true });
  });

  it('forgets the building bar on reset (a dropped connection) instead of closing it with values that may not be final', () => {
    const { closer, bars } = rig();
    closer.update(T0, v(1), undefined, T0 + 1_000);
    closer.reset();
    closer.update(T0 + 3 * MIN, v(4), undefined, T0 + 3 * MIN + 1);
    expect(bars()).toEqual([{ ts: T0, close: 1, closed: false }, { ts: T0 + 3 * MIN, close: 4, closed: false }]);
  });

  it('passes an upstream closed flag through as it is', () => {
    const { closer, bars } = rig();
    closer.update(T0, v(1), false, T0 + 1);
    closer.update(T0, v(2), true, T0 + MIN);
    closer.tick(T0 + 10 * MIN);
    expect(bars()).toEqual([{ ts: T0, close: 1, closed: false }, { ts: T0, close: 2, closed: true }]);
  });
});
