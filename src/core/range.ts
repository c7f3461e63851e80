/**
 * Half-open time ranges `[start, end)` in epoch ms, and their algebra on the bar grid.
 *
 * Conventions (ARCHITECTURE.md §1): a bar of interval `I` is stamped with its open time `ts` and
 * sits on the epoch-aligned grid `ts % I === 0`; the bar covers `[ts, ts + I)`.
 *
 * Two kinds of input, two rules:
 * - functions on ONE range (`alignRange`, `barCount`, `missingRanges`' request, `shardsCovering`)
 *   throw `InvertedRangeError` when `end < start`; an empty range (`end === start`) gives an
 *   empty answer.
 * - functions on LISTS of ranges accept anything: empty and inverted members are dropped.
 *
 * Every list returned is a fresh array of fresh plain `{ start, end }` objects, in normal form:
 * non-empty, sorted by start, neither overlapping nor adjacent. Two lists in normal form describe
 * the same set of instants exactly when they are deep-equal.
 */

import { InternalError, InvalidRequestError, InvertedRangeError } from './errors.js';

export interface TimeRange {
  readonly start: number;
  readonly end: number;
}

/** Floors `t` to the grid of `intervalMs` (returns `t` when it is already on the grid). */
export function alignDown(t: number, intervalMs: number): number {
  const r = t % intervalMs;
  // `+ 0` turns -0 into 0 so results compare equal under Object.is.
  return r === 0 ? t + 0 : r > 0 ? t - r : t - r - intervalMs;
}

/** Ceils `t` to the grid of `intervalMs` (returns `t` when it is already on the grid). */
export function alignUp(t: number, intervalMs: number): number {
  const r = t % intervalMs;
  return r === 0 ? t + 0 : r > 0 ? t - r + intervalMs : t - r;
}

/** The smallest grid-aligned range containing `range`: start rounded down, end rounded up. */
export function alignRange(range: TimeRange, intervalMs: number): TimeRange {
  assertInterval(intervalMs);
  assertOrdered(range);
  const start = alignDown(range.start, intervalMs);
  if (range.end === range.start) return { start, end: start };
  return { start, end: alignUp(range.end, intervalMs) };
}

/** Whether both ends of `range` sit on the grid (and it is not inverted). */
export function isAlignedRange(range: TimeRange, intervalMs: number): boolean {
  return range.start <= range.end && range.start % intervalMs === 0 && range.end % intervalMs === 0;
}

/** How many bar timestamps `ts` on the grid satisfy `start <= ts < end`; the range need not be aligned. */
export function barCount(range: TimeRange, intervalMs: number): number {
  assertInterval(intervalMs);
  assertOrdered(range);
  return (alignUp(range.end, intervalMs) - alignUp(range.start, intervalMs)) / intervalMs;
}

/** Normal form of a list: empty and inverted ranges dropped, sorted, overlapping and adjacent ranges merged. */
export function normaliseRanges(ranges: readonly TimeRange[]): TimeRange[] {
  const kept: TimeRange[] = [];
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i];
    if (r.end > r.start) kept.push(r);
  }
  kept.sort(byStart);
  const out: TimeRange[] = [];
  let start = 0;
  let end = 0;
  for (let i = 0; i < kept.length; i++) {
    const r = kept[i];
    if (i > 0 && r.start <= end) {
      if (r.end > end) end = r.end;
      continue;
    }
    if (i > 0) out.push({ start, end });
    start = r.start;
    end = r.end;
  }
  if (kept.length > 0) out.push({ start, end });
  return out;
}

/** Every instant in `a` or in `b`, in normal form. */
export function unionRanges(a: readonly TimeRange[], b: readonly TimeRange[]): TimeRange[] {
  const all: TimeRange[] = new Array<TimeRange>(a.length + b.length);
  for (let i = 0; i < a.length; i++) all[i] = a[i];
  for (let i = 0; i < b.length; i++) all[a.length + i] = b[i];
  return normaliseRanges(all);
}

/** Every instant in both `a` and `b`, in normal form. */
export function intersectRanges(a: readonly TimeRange[], b: readonly TimeRange[]): TimeRange[] {
  const x = normaliseRanges(a);
  const y = normaliseRanges(b);
  const out: TimeRange[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const start = Math.max(x[i].start, y[j].start);
    const end = Math.min(x[i].end, y[j].end);
    if (start < end) out.push({ start, end });
    if (x[i].end < y[j].end) i++;
    else j++;
  }
  return out;
}

/** Every instant in `from` that is not in `minus`, in normal form. */
export function subtractRanges(from: readonly TimeRange[], minus: readonly TimeRange[]): TimeRange[] {
  const x = normaliseRanges(from);
  const y = normaliseRanges(minus);
  const out: TimeRange[] = [];
  let j = 0;
  for (let i = 0; i < x.length; i++) {
    const end = x[i].end;
    let start = x[i].start;
    while (j < y.length && y[j].end <= start) j++;
    // y[j] may also overlap x[i + 1], so scan with k and leave j where it is.
    for (let k = j; k < y.length && y[k].start < end && start < end; k++) {
      if (y[k].start > start) out.push({ start, end: y[k].start });
      if (y[k].end > start) start = y[k].end;
    }
    if (start < end) out.push({ start, end });
  }
  return out;
}

/** The number of ms covered by `ranges`, counting overlaps once. */
export function totalLength(ranges: readonly TimeRange[]): number {
  const n = normaliseRanges(ranges);
  let total = 0;
  for (let i = 0; i < n.length; i++) total += n[i].end - n[i].start;
  return total;
}

/**
 * The parts of `request` whose bars are not covered, as aligned ranges in normal form.
 *
 * `request` is first aligned outward (a no-op when it is already aligned). `covered` is merged and
 * then shrunk INWARD to the grid: a bar counts as covered only when its whole `[ts, ts + I)` lies
 * inside the union of `covered`, so a partially covered bar is still missing.
 *
 * @example
 * missingRanges({ start: 0, end: 300_000 }, [{ start: 60_000, end: 120_000 }], 60_000);
 * // [{ start: 0, end: 60_000 }, { start: 120_000, end: 300_000 }]
 */
export function missingRanges(request: TimeRange, covered: readonly TimeRange[], intervalMs: number): TimeRange[] {
  const want = alignRange(request, intervalMs);
  if (want.start === want.end) return [];
  return subtractRanges([want], coveredBars(covered, intervalMs));
}

/**
 * The grid-aligned part of the union of `covered`: each merged range shrunk inward to whole bars.
 * The result is in normal form (shrinking merged, non-adjacent ranges keeps them apart).
 */
export function coveredBars(covered: readonly TimeRange[], intervalMs: number): TimeRange[] {
  assertInterval(intervalMs);
  const merged = normaliseRanges(covered);
  const out: TimeRange[] = [];
  for (let i = 0; i < merged.length; i++) {
    const start = alignUp(merged[i].start, intervalMs);
    const end = alignDown(merged[i].end, intervalMs);
    if (start < end) out.push({ start, end });
  }
  return out;
}

/**
 * The whole shards that intersect `range`. A shard is a block of `barsPerShard` bars starting at a
 * multiple of `intervalMs * barsPerShard` from the epoch. Shards are NOT clipped to `range`, so any
 * two requests that touch the same shard get the identical `{ start, end }` for it.
 *
 * @example
 * shardsCovering({ start: 90_000, end: 150_000 }, 60_000, 2);
 * // [{ start: 0, end: 120_000 }, { start: 120_000, end: 240_000 }]
 */
export function shardsCovering(range: TimeRange, intervalMs: number, barsPerShard: number): TimeRange[] {
  assertInterval(intervalMs);
  if (!Number.isSafeInteger(barsPerShard) || barsPerShard <= 0) {
    throw new InvalidRequestError('barsPerShard', `must be a positive integer, got ${barsPerShard}`, { value: barsPerShard });
  }
  const shardMs = intervalMs * barsPerShard;
  if (!Number.isSafeInteger(shardMs)) {
    throw new InvalidRequestError('barsPerShard', `shard of ${barsPerShard} × ${intervalMs} ms is too long`, { value: barsPerShard });
  }
  assertOrdered(range);
  const out: TimeRange[] = [];
  if (range.end === range.start) return out;
  const last = alignUp(range.end, shardMs);
  for (let t = alignDown(range.start, shardMs); t < last; t += shardMs) out.push({ start: t, end: t + shardMs });
  return out;
}

function byStart(a: TimeRange, b: TimeRange): number {
  return a.start - b.start || a.end - b.end;
}

function assertInterval(intervalMs: number): void {
  if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) {
    throw new InternalError(`interval must be a positive integer number of ms, got ${intervalMs}`, { details: { intervalMs } });
  }
}

function assertOrdered(range: TimeRange): void {
  if (range.end < range.start) throw new InvertedRangeError(range.start, range.end);
}
