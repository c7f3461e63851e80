/**
 * Deterministic, realistic defects for the defective demo node (`ohlcv:demo:DEFECTS`).
 *
 * Bars are grouped in windows of DEFECT_WINDOW (240) bars counted from the epoch (4 h at 1m,
 * so every UTC day has six windows). Each window holds exactly one defect of each kind, each in
 * its own quarter of 60 bars, at an offset hashed from (seed, nodeId, interval, window):
 *
 * | kind        | bars of the window | what the source emits                                    |
 * |-------------|--------------------|----------------------------------------------------------|
 * | `gap`       | 1 … 58             | the bar is missing (and NOT reported as knownEmpty)      |
 * | `duplicate` | 61 … 118           | the bar twice, consecutive; the 2nd close is 0.05 % off  |
 * | `nan_close` | 121 … 178          | close is NaN                                             |
 * | `high_low`  | 181 … 238          | high is 0.2 % below close (OHLC inconsistency)           |
 *
 * Any range of 480 bars or more (8 h at 1m; so every one-day 1m range) therefore contains at
 * least one of each. Defects never sit at a window edge, so two never touch.
 */
import { allocateFrame, lowerBound } from '../../core/index.js';
import type { Frame, TimeRange } from '../../core/index.js';
import { hashAt } from './hash-rng.js';

export const DEFECT_WINDOW = 240;
const QUARTER = DEFECT_WINDOW / 4;
const DEFECT_STREAM = 100;
const DUPLICATE_CLOSE_SHIFT = 0.0005;
const HIGH_BELOW_CLOSE = 0.998;

export const DEFECT_KINDS = ['gap', 'duplicate', 'nan_close', 'high_low'] as const;
export type DefectKind = (typeof DEFECT_KINDS)[number];

/** Bar index (ts / interval) of defect `kind` (0..3, DEFECT_KINDS order) in window `w`. */
export function defectBar(key: number, w: number, kind: number): number {
  return w * DEFECT_WINDOW + kind * QUARTER + 1 + (hashAt(key, w, DEFECT_STREAM + kind) % (QUARTER - 2));
}

/**
 * Returns `clean` (an OHLCV frame of the source's bars in `range`, ascending) with the defects
 * whose bars are present in it applied. Allocates one new frame; the few defects are applied by
 * copying the runs between them with TypedArray.set (no per-row work besides the defect rows).
 */
export function applyDefects(clean: Frame, key: number, intervalMs: number, range: TimeRange): Frame {
  const n0 = range.start / intervalMs;
  const n1 = range.end / intervalMs;
  const ts = clean.ts;
  // Rows (in `clean`) of the gaps and duplicates, in ascending order; NaN/high edits in place later.
  const gapRows: number[] = [];
  const dupRows: number[] = [];
  const nanRows: number[] = [];
  const highRows: number[] = [];
  const lists = [gapRows, dupRows, nanRows, highRows];
  for (let w = Math.floor(n0 / DEFECT_WINDOW); w * DEFECT_WINDOW < n1; w++) {
    for (let k = 0; k < 4; k++) {
      const n = defectBar(key, w, k);
      if (n < n0 || n >= n1) continue;
      const row = lowerBound(ts, n * intervalMs);
      if (row < clean.length && ts[row] === n * intervalMs) lists[k].push(row);
    }
  }
  const length = clean.length - gapRows.length + dupRows.length;
  const out = allocateFrame(clean.schema, length);
  // Merge the gap/dup edits (both ascending, never on the same row) into one copy pass.
  let src = 0;
  let dst = 0;
  let g = 0;
  let d = 0;
  const copyTo = (end: number): void => {
    out.ts.set(ts.subarray(src, end), dst);
    for (let c = 0; c < out.values.length; c++) (out.values[c] as Float64Array).set(clean.values[c].subarray(src, end), dst);
    dst += end - src;
    src = end;
  };
  while (g < gapRows.length || d < dupRows.length) {
    const nextGap = g < gapRows.length ? gapRows[g] : Infinity;
    const nextDup = d < dupRows.length ? dupRows[d] : Infinity;
    if (nextGap < nextDup) {
      copyTo(nextGap);
      src++; // skip the bar: a silent gap
      g++;
    } else {
      copyTo(nextDup + 1); // the original bar, then its near-copy right after it
      duplicateLastRow(out, dst, key, ts[nextDup] / intervalMs);
      dst++;
      d++;
    }
  }
  copyTo(clean.length);
  const [, high, low, close] = out.values as Float64Array[];
  const nanOut = shifted(nanRows, gapRows, dupRows);
  for (let i = 0; i < nanOut.length; i++) close[nanOut[i]] = Number.NaN;
  const highOut = shifted(highRows, gapRows, dupRows);
  for (let i = 0; i < highOut.length; i++) {
    const r = highOut[i];
    high[r] = close[r] * HIGH_BELOW_CLOSE;
    if (low[r] > high[r]) low[r] = high[r];
  }
  return out;
}

/** Writes a copy of row `at - 1` at `at`, with a slightly different close (and wicks widened to match). */
function duplicateLastRow(out: Frame, at: number, key: number, bar: number): void {
  const [open, high, low, close, volume] = out.values as Float64Array[];
  out.ts[at] = out.ts[at - 1];
  open[at] = open[at - 1];
  const sign = (hashAt(key, bar, DEFECT_STREAM + 9) & 1) === 0 ? 1 : -1;
  close[at] = close[at - 1] * (1 + sign * DUPLICATE_CLOSE_SHIFT);
  high[at] = Math.max(high[at - 1], close[at]);
  low[at] = Math.min(low[at - 1], close[at]);
  volume[at] = volume[at - 1];
}

/** Output rows of the ascending clean-frame `rows`, after the gaps and duplicates before each (one merge pass). */
function shifted(rows: readonly number[], gapRows: readonly number[], dupRows: readonly number[]): number[] {
  const out: number[] = [];
  let g = 0;
  let d = 0;
  for (const row of rows) {
    while (g < gapRows.length && gapRows[g] < row) g++;
    while (d < dupRows.length && dupRows[d] < row) d++;
    out.push(row - g + d);
  }
  return out;
}
