// The columns of a universe answer (universe-columns.ts): adjacent slices of one read are answered
// as one view of it, anything else is copied; either way each dataset's rows are its span.
import { describe, expect, it } from 'vitest';
import { TICK_SCHEMA, createFrame } from '../../../src/core/index.js';
import type { Frame } from '../../../src/core/index.js';
import { joinUniverseFrames } from '../../../src/provider/internal.js';

function tickFrame(ts: number[]): Frame {
  return createFrame(TICK_SCHEMA, Float64Array.from(ts), [Float64Array.from(ts, (t) => t + 0.5), Float64Array.from(ts, (t) => -t)]);
}

function rows(f: Frame): number[][] {
  return [Array.from(f.ts), ...f.values.map((v) => Array.from(v))];
}

describe('universe answer columns', () => {
  it('answers adjacent slices of one frame as a view of its columns, failed and empty datasets included', () => {
    const all = tickFrame([1, 2, 3, 4, 5, 6]);
    const { frame, offsets } = joinUniverseFrames(TICK_SCHEMA, [all.slice(1, 3), undefined, all.slice(3, 3), all.slice(3, 6)]);
    expect(rows(frame)).toEqual(rows(all.slice(1, 6)));
    expect(Array.from(offsets)).toEqual([0, 2, 2, 2, 5]);
    expect(frame.ts.buffer).toBe(all.ts.buffer);
    expect(frame.values[1].buffer).toBe(all.values[1].buffer);
  });

  it('copies slices that are not adjacent, out of order or from different frames, keeping each in its span', () => {
    const all = tickFrame([1, 2, 3, 4, 5, 6]);
    const other = tickFrame([10, 11]);
    for (const parts of [[all.slice(0, 2), all.slice(3, 5)], [all.slice(3, 5), all.slice(0, 3)], [all.slice(0, 2), other]]) {
      const { frame, offsets } = joinUniverseFrames(TICK_SCHEMA, parts);
      expect(frame.ts.buffer).not.toBe(all.ts.buffer);
      for (let i = 0; i < parts.length; i++) expect(rows(frame.slice(offsets[i], offsets[i + 1]))).toEqual(rows(parts[i]));
    }
  });

  it('answers no rows with empty columns', () => {
    const { frame, offsets } = joinUniverseFrames(TICK_SCHEMA, [undefined, tickFrame([])]);
    expect(frame.length).toBe(0);
    expect(Array.from(offsets)).toEqual([0, 0, 0]);
  });
});
