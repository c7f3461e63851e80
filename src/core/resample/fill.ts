/**
 * Fill modes for gaps in an answer (issue 15 item 7): each expected bar with no row becomes a
 * row, and every such row is reported (never silent).
 *
 *   none   gaps stay gaps (the default; this module is not called)
 *   null   a row whose values are all NaN (JSON null, an empty CSV field)
 *   prev   forward fill: OHLCV open = high = low = close = the previous close, volume 0; other
 *          schemas repeat every value of the previous row
 *
 * The expected bars are the buckets of `edges` (bucket i = [edges[i], edges[i+1])): the epoch grid
 * of the interval, or the aligned buckets of a resampled answer. Only buckets from the first row
 * on are filled (nothing before the first bar), and the caller ends `edges` at the last closed
 * bar (nothing after it). Rows off the edges (misaligned bars) are kept where they fall.
 * Columnar: two passes over the rows and edges, no per-row objects.
 */
import { allocateFrame } from '../frame.js';
import type { Frame } from '../frame.js';
import type { TimeRange } from '../range.js';

export const FILL_MODES = ['none', 'null', 'prev'] as const;
export type FillMode = (typeof FILL_MODES)[number];

export interface Filled {
  readonly frame: Frame;
  /** Rows added. */
  readonly bars: number;
  /** The filled bars as merged half-open ranges. */
  readonly ranges: TimeRange[];
}

export function fillGaps(frame: Frame, edges: Float64Array, mode: Exclude<FillMode, 'none'>): Filled {
  const n = frame.length;
  const slots = edges.length - 1;
  if (n === 0 || slots <= 0) return { frame, bars: 0, ranges: [] };
  const ts = frame.ts;
  const first = ts[0];
  // Pass 1: count the slots (from the first row on) that hold no row.
  let add = 0;
  let i = 0;
  for (let s = 0; s < slots; s++) {
    const t = edges[s];
    if (t < first) continue;
    while (i < n && ts[i] < t) i++;
    if (i >= n || ts[i] !== t) add++;
  }
  if (add === 0) return { frame, bars: 0, ranges: [] };
  const out = allocateFrame(frame.schema, n + add);
  const cols = frame.values;
  const oCols = out.values as Float64Array[];
  const k = cols.length;
  const ohlcv = frame.schema.name === 'ohlcv';
  const ranges: TimeRange[] = [];
  // Pass 2: merge rows and missing slots in time order.
  let o = 0;
  i = 0;
  let s = 0;
  while (s < slots && edges[s] < first) s++;
  while (i < n || s < slots) {
    const slotT = s < slots ? edges[s] : Infinity;
    if (i < n && ts[i] <= slotT) {
      if (ts[i] === slotT) s++;
      out.ts[o] = ts[i];
      for (let c = 0; c < k; c++) oCols[c][o] = cols[c][i];
      i++;
      o++;
      continue;
    }
    out.ts[o] = slotT;
    if (mode === 'null') {
      for (let c = 0; c < k; c++) oCols[c][o] = Number.NaN;
    } else if (ohlcv) {
      const prevClose = oCols[3][o - 1];
      oCols[0][o] = prevClose; oCols[1][o] = prevClose; oCols[2][o] = prevClose; oCols[3][o] = prevClose; oCols[4][o] = 0;
    } else {
      for (let c = 0; c < k; c++) oCols[c][o] = oCols[c][o - 1];
    }
    const end = edges[s + 1];
    const last = ranges.length - 1;
    if (last >= 0 && ranges[last].end === slotT) ranges[last] = { start: ranges[last].start, end };
    else ranges.push({ start: slotT, end });
    s++;
    o++;
  }
  return { frame: out, bars: add, ranges };
}
