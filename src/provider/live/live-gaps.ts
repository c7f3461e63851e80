/**
 * Gap arithmetic of live feeds. A gap is the run of bars between what is known — the newest
 * closed bar received, or on start the end of stored coverage — and the first bar a
 * (re)connected feed delivers. It is backfilled, then verified by reading coverage: a bar of the
 * gap counts as recovered only when `stored` or `known_empty` coverage spans it whole.
 */
import { alignDown, alignUp, missingRanges } from '../../core/index.js';
import type { TimeRange } from '../../core/index.js';
import type { CoverageRange } from '../../storage/index.js';

export interface LiveGap {
  /** Aligned, non-empty. */
  readonly range: TimeRange;
  /** Bars of the whole gap before clipping. */
  readonly bars: number;
  /** Whether the gap was longer than `maxBars` and only its newest `maxBars` bars are kept. */
  readonly clipped: boolean;
}

/**
 * The bars in [anchor, firstTs) on the grid, or undefined when there are none (no anchor yet,
 * or the first bar continues where the known bars end). Longer than `maxBars`: the newest
 * `maxBars` bars (what the read path would backfill anyway is left to it).
 */
export function gapBefore(anchor: number | undefined, firstTs: number, intervalMs: number, maxBars: number): LiveGap | undefined {
  if (anchor === undefined) return undefined;
  const start = alignUp(anchor, intervalMs);
  const end = alignDown(firstTs, intervalMs);
  if (end <= start) return undefined;
  const bars = (end - start) / intervalMs;
  if (bars <= maxBars) return { range: { start, end }, bars, clipped: false };
  return { range: { start: end - maxBars * intervalMs, end }, bars, clipped: true };
}

/** Where stored knowledge ends: the end of the newest `stored` or `known_empty` coverage, or undefined. */
export function coverageFrontier(coverage: readonly CoverageRange[]): number | undefined {
  let end: number | undefined;
  for (const c of coverage) if (c.state !== 'failed' && (end === undefined || c.end > end)) end = c.end;
  return end;
}

/** The parts of `gap` that coverage does not vouch for (failed coverage does not count). */
export function unrecoveredRanges(gap: TimeRange, coverage: readonly CoverageRange[], intervalMs: number): TimeRange[] {
  const covered: TimeRange[] = [];
  for (const c of coverage) if (c.state !== 'failed') covered.push(c);
  return missingRanges(gap, covered, intervalMs);
}
