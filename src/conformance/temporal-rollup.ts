/**
 * Stage 2, temporal rollup (after timestamp normalisation): which rows make the frame and in
 * what order, and what the grid says about them.
 *
 * Per row, in this order: an unusable ts → dropped, `invalid_timestamp`; off the interval grid
 * → dropped, `misaligned_ts`; a bar not closed yet (`ts + interval > now`) → dropped,
 * `future_ts` (checked before the range: an unclosed bar is a defect of the source wherever it
 * sits); outside `expected` → dropped silently (a read asks for a range; rows beyond it are not
 * findings, and `CheckResult.outOfRangeRows` counts them). Then rows are sorted (`unsorted_ts`,
 * info: rows that arrived after a later ts) and duplicates resolved, the last arrival winning
 * (`duplicate_ts`: the dropped rows).
 *
 * Gaps: closed bars of `expected` with no row and not known empty (`gap`: missing bars, first ts;
 * the report lists the merged ranges). A known-empty range counts only for the bars it wholly
 * covers. Bars that have not closed by `now` are neither gaps nor expected.
 */
import { alignDown, alignUp, normaliseRanges, subtractRanges } from '../core/index.js';
import type { TimeRange } from '../core/index.js';
import type { Findings } from './findings.js';

/** Rows of the frame: all of them as they are, a contiguous run of them, or gathered by index. */
export type RowSelection =
  | { readonly kind: 'all' }
  | { readonly kind: 'slice'; readonly from: number; readonly to: number }
  | { readonly kind: 'gather'; readonly index: Uint32Array };

export interface TemporalInput {
  /** Normalised ts, ms, arrival order (NaN or out-of-bounds where unusable). */
  readonly ts: Float64Array;
  readonly intervalMs: number;
  readonly expected: TimeRange;
  readonly knownEmpty: readonly TimeRange[];
  readonly now: number;
}

export interface TemporalResult {
  readonly rows: RowSelection;
  readonly gaps: TimeRange[];
  /** Closed bars of `expected`: `[alignUp(start), min(alignUp(end), alignDown(now)))`. */
  readonly grid: TimeRange;
  /** Known-empty bars (aligned inward), normal form. */
  readonly knownEmptyBars: TimeRange[];
  readonly outOfRange: number;
}

const MAX_TIME_MS = 8.64e15;
const ALL: RowSelection = Object.freeze({ kind: 'all' });

export function temporalRollup(input: TemporalInput, findings: Findings): TemporalResult {
  const { ts, intervalMs: I, expected, now } = input;
  const n = ts.length;
  const gridStart = Math.max(0, alignUp(expected.start, I));
  const gridEnd = Math.max(gridStart, Math.min(alignUp(Math.max(expected.end, expected.start), I), alignDown(Math.min(now, MAX_TIME_MS), I)));
  const grid = { start: gridStart, end: gridEnd };
  const knownEmptyBars = alignInward(input.knownEmpty, I);

  // Fast path: a clean frame is sorted, unique, on the grid and inside the closed bars, so each
  // row is either exactly the next expected bar or a later grid bar after a gap. One equality
  // per row replaces the modulo, range, future and order tests (fmod on doubles is the costly
  // one); a row that fails it sends the whole batch to the general path below.
  const gapBounds: number[] = [];
  let next = gridStart;
  let i = 0;
  for (; i < n; i++) {
    const t = ts[i];
    if (t === next) {
      next = t + I;
      continue;
    }
    if (t > next && t < gridEnd && (t - next) % I === 0) {
      gapBounds.push(next, t);
      next = t + I;
      continue;
    }
    break;
  }
  // Rows ascend strictly, so the last one is `next - I`: one comparison bounds them all by gridEnd.
  if (i === n && next <= gridEnd) {
    if (next < gridEnd) gapBounds.push(next, gridEnd);
    return { rows: ALL, gaps: finishGaps(gapBounds, knownEmptyBars, I, findings), grid, knownEmptyBars, outOfRange: 0 };
  }
  return generalPath(input, grid, knownEmptyBars, findings);
}

function generalPath(input: TemporalInput, grid: TimeRange, knownEmptyBars: TimeRange[], findings: Findings): TemporalResult {
  const { ts, intervalMs: I, expected, now } = input;
  const n = ts.length;
  const keep = new Uint32Array(n);
  let m = 0;
  let invalid = 0;
  let misaligned = 0, misFirst = Infinity;
  let future = 0, futureFirst = Infinity;
  let outOfRange = 0;
  let unsorted = 0, unsortedFirst = Infinity;
  let maxSeen = -Infinity;
  let minKept = Infinity;
  for (let i = 0; i < n; i++) {
    const t = ts[i];
    if (!(t >= 0 && t <= MAX_TIME_MS)) {
      invalid++;
      continue;
    }
    if (t % I !== 0) {
      misaligned++;
      if (t < misFirst) misFirst = t;
      continue;
    }
    if (t + I > now) {
      future++;
      if (t < futureFirst) futureFirst = t;
      continue;
    }
    if (t < expected.start || t >= expected.end) {
      outOfRange++;
      continue;
    }
    if (t < maxSeen) {
      unsorted++;
      if (t < unsortedFirst) unsortedFirst = t;
    } else maxSeen = t;
    if (t < minKept) minKept = t;
    keep[m++] = i;
  }
  findings.add('invalid_timestamp', 'ts', invalid, Number.NaN, 'rows dropped');
  findings.add('misaligned_ts', 'ts', misaligned, misFirst, `off the ${I} ms grid; rows dropped`);
  findings.add('future_ts', 'ts', future, futureFirst, `bar not closed at ${now}; rows dropped`);
  findings.add('unsorted_ts', 'ts', unsorted, unsortedFirst, 'rows sorted by ts');

  const index = keep.subarray(0, m);
  let w = 0;
  let dups = 0, dupFirst = Infinity;
  const span = m > 0 ? (maxSeen - minKept) / I + 1 : 0;
  if (unsorted > 0 && span <= 4 * m + 1_024) {
    // Kept rows sit on the grid, so each has a slot (ts - min) / I: placing them in arrival
    // order sorts them and resolves duplicates (a later arrival overwrites) in O(rows + slots),
    // where a comparison sort of the index costs O(rows · log rows) calls of a comparator.
    const slots = new Int32Array(span).fill(-1);
    for (let j = 0; j < m; j++) {
      const r = index[j];
      const k = (ts[r] - minKept) / I;
      if (slots[k] >= 0) {
        dups++;
        if (ts[r] < dupFirst) dupFirst = ts[r];
      }
      slots[k] = r;
    }
    for (let k = 0; k < span; k++) if (slots[k] >= 0) index[w++] = slots[k];
  } else {
    // Sparse rows over a long range: sort the index. Ties are broken by arrival index, so the
    // sort is stable whatever the engine and the last arrival of a ts ends up last among equals.
    if (unsorted > 0) index.sort((a, b) => ts[a] - ts[b] || a - b);
    for (let j = 0; j < m; j++) {
      const r = index[j];
      if (j + 1 < m && ts[index[j + 1]] === ts[r]) {
        dups++;
        if (ts[r] < dupFirst) dupFirst = ts[r];
        continue;
      }
      index[w++] = r;
    }
  }
  findings.add('duplicate_ts', 'ts', dups, dupFirst, 'the last row of each ts was kept');

  const gapBounds: number[] = [];
  let next = grid.start;
  for (let j = 0; j < w; j++) {
    const t = ts[index[j]];
    if (t > next) gapBounds.push(next, t);
    next = t + I;
  }
  if (next < grid.end) gapBounds.push(next, grid.end);
  const gaps = finishGaps(gapBounds, knownEmptyBars, I, findings);

  return { rows: selection(index.subarray(0, w), n), gaps, grid, knownEmptyBars, outOfRange };
}

/** The kept rows as the cheapest selection: all, a contiguous run (views, no copy), or an index. */
function selection(index: Uint32Array, n: number): RowSelection {
  const w = index.length;
  if (w === 0) return { kind: 'slice', from: 0, to: 0 };
  const from = index[0];
  if (index[w - 1] - from !== w - 1) return { kind: 'gather', index };
  // Strictly increasing indices spanning w values are exactly from..from+w-1.
  for (let j = 1; j < w; j++) if (index[j] <= index[j - 1]) return { kind: 'gather', index };
  if (from === 0 && w === n) return ALL;
  return { kind: 'slice', from, to: from + w };
}

function finishGaps(bounds: readonly number[], knownEmptyBars: readonly TimeRange[], I: number, findings: Findings): TimeRange[] {
  if (bounds.length === 0) return [];
  const raw: TimeRange[] = [];
  for (let j = 0; j < bounds.length; j += 2) raw.push({ start: bounds[j], end: bounds[j + 1] });
  const gaps = knownEmptyBars.length === 0 ? normaliseRanges(raw) : subtractRanges(raw, knownEmptyBars);
  let ms = 0;
  for (const g of gaps) ms += g.end - g.start;
  if (gaps.length > 0) findings.add('gap', 'ts', ms / I, gaps[0].start, `${gaps.length} missing range${gaps.length === 1 ? '' : 's'}`);
  return gaps;
}

/** Known-empty ranges as whole bars: merged, then each shrunk inward to the grid. */
function alignInward(ranges: readonly TimeRange[], I: number): TimeRange[] {
  if (ranges.length === 0) return [];
  const out: TimeRange[] = [];
  for (const r of normaliseRanges(ranges)) {
    const s = alignUp(r.start, I);
    const e = alignDown(r.end, I);
    if (e > s) out.push({ start: s, end: e });
  }
  return out;
}
