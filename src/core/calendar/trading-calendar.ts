/**
 * Trading calendars: when a dataset's market is open. A calendar answers, for any range, its
 * sessions (columnar: one `open` and one `close` Float64Array, one entry per session, never one
 * object per minute) and, on a bar grid, which bars are open (the bar [t, t + interval) overlaps
 * a session) and which are closed (it overlaps none). Closed bars are known empty by the
 * calendar itself: no upstream is asked for them and they are never missing (docs/calendars.md).
 */
import { alignDown, alignRange, alignUp, normaliseRanges, subtractRanges } from '../range.js';
import type { TimeRange } from '../range.js';

/** Sessions of a range, columnar: session i is [open[i], close[i]), ascending, disjoint. Read-only: they may be views of a cache. */
export interface Sessions {
  readonly open: Float64Array;
  readonly close: Float64Array;
  readonly length: number;
}

export interface TradingCalendar {
  /** The name datasets use in `calendar:` (`24/7`, `XNYS`). */
  readonly name: string;
  /** True for `24/7`: every bar is open, nothing is closed. */
  readonly alwaysOpen: boolean;
  /** The sessions overlapping `range` (not clipped to it). */
  sessions(range: TimeRange): Sessions;
  /** Whether the bar [ts, ts + intervalMs) overlaps a session. */
  isBarOpen(ts: number, intervalMs: number): boolean;
  /** The bars of `range` (aligned outwards to the grid) that overlap a session; normal form. */
  openRanges(range: TimeRange, intervalMs: number): TimeRange[];
  /** The bars of `range` (aligned outwards to the grid) that overlap no session; normal form. */
  closedRanges(range: TimeRange, intervalMs: number): TimeRange[];
}

/** The grid bars of `range` that overlap one of `sessions`, merged. */
export function barsOverlapping(sessions: Sessions, range: TimeRange, intervalMs: number): TimeRange[] {
  const aligned = alignRange(range, intervalMs);
  const out: TimeRange[] = [];
  for (let i = 0; i < sessions.length; i++) {
    const start = Math.max(alignDown(sessions.open[i], intervalMs), aligned.start);
    const end = Math.min(alignUp(sessions.close[i], intervalMs), aligned.end);
    if (start < end) out.push({ start, end });
  }
  return normaliseRanges(out);
}

/** Builds the grid answers of a calendar from its `sessions` (shared by every exchange calendar). */
export function calendarFromSessions(name: string, sessions: (range: TimeRange) => Sessions): TradingCalendar {
  return Object.freeze({
    name,
    alwaysOpen: false,
    sessions,
    isBarOpen(ts: number, intervalMs: number): boolean {
      const s = sessions({ start: ts, end: ts + intervalMs });
      for (let i = 0; i < s.length; i++) if (s.open[i] < ts + intervalMs && s.close[i] > ts) return true;
      return false;
    },
    openRanges: (range: TimeRange, intervalMs: number) => barsOverlapping(sessions(range), range, intervalMs),
    closedRanges(range: TimeRange, intervalMs: number): TimeRange[] {
      const aligned = alignRange(range, intervalMs);
      return subtractRanges([aligned], barsOverlapping(sessions(aligned), aligned, intervalMs));
    },
  });
}

/** `24/7`: one session spanning any range asked; crypto markets and the default. */
export const ALWAYS_OPEN: TradingCalendar = Object.freeze({
  name: '24/7',
  alwaysOpen: true,
  sessions: (range: TimeRange): Sessions => (range.end > range.start
    ? { open: Float64Array.of(range.start), close: Float64Array.of(range.end), length: 1 }
    : { open: new Float64Array(0), close: new Float64Array(0), length: 0 }),
  isBarOpen: () => true,
  openRanges: (range: TimeRange, intervalMs: number) => {
    const aligned = alignRange(range, intervalMs);
    return aligned.end > aligned.start ? [aligned] : [];
  },
  closedRanges: () => [],
});
