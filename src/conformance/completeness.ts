/**
 * Completeness windows: the expected range cut into aligned windows of `windowBars` bars (on
 * the epoch grid of `windowBars × interval`, so windows of different reads line up), each with
 * the bars expected (closed bars, known-empty bars excluded), the bars present and their ratio.
 * Computed from the gap ranges and the known-empty bars only: no pass over rows.
 */
import { alignDown, alignUp } from '../core/index.js';
import type { TimeRange } from '../core/index.js';
import type { CompletenessWindow } from './conformance-report.js';

export interface CompletenessInput {
  readonly expected: TimeRange;
  /** Closed bars of `expected` that rows should fill: `[gridStart, gridEnd)` on the grid. */
  readonly grid: TimeRange;
  /** Known-empty bars, aligned inward, normal form. */
  readonly knownEmpty: readonly TimeRange[];
  /** Missing bars (known-empty excluded), normal form, inside `grid`. */
  readonly gaps: readonly TimeRange[];
  readonly intervalMs: number;
  readonly windowBars: number;
}

export function completenessWindows(input: CompletenessInput): { windowMs: number; windows: CompletenessWindow[] } {
  const { expected, grid, knownEmpty, gaps, intervalMs } = input;
  const windowMs = Math.max(1, Math.floor(input.windowBars)) * intervalMs;
  const windows: CompletenessWindow[] = [];
  if (!(expected.end > expected.start)) return { windowMs, windows };
  const last = alignUp(expected.end, intervalMs);
  let k = 0;
  let g = 0;
  for (let ws = alignDown(expected.start, windowMs); ws < last; ws += windowMs) {
    const we = ws + windowMs;
    const cs = Math.max(ws, grid.start);
    const ce = Math.min(we, grid.end);
    let expectedBars = ce > cs ? (ce - cs) / intervalMs : 0;
    while (k < knownEmpty.length && knownEmpty[k].end <= cs) k++;
    expectedBars -= overlapBars(knownEmpty, k, cs, ce, intervalMs);
    while (g < gaps.length && gaps[g].end <= cs) g++;
    const present = expectedBars - overlapBars(gaps, g, cs, ce, intervalMs);
    windows.push({
      start: Math.max(ws, expected.start),
      end: Math.min(we, expected.end),
      expected: expectedBars,
      present,
      ratio: expectedBars === 0 ? 1 : present / expectedBars,
    });
  }
  return { windowMs, windows };
}

/** Bars of the sorted `ranges` (from index `from`) inside `[start, end)`. */
function overlapBars(ranges: readonly TimeRange[], from: number, start: number, end: number, intervalMs: number): number {
  let ms = 0;
  for (let i = from; i < ranges.length && ranges[i].start < end; i++) {
    const s = Math.max(ranges[i].start, start);
    const e = Math.min(ranges[i].end, end);
    if (e > s) ms += e - s;
  }
  return ms / intervalMs;
}
