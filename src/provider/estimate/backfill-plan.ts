/**
 * The pure part of a pre-flight estimate: from a dataset's coverage, which bars of a closed range
 * are stored, known empty or missing, and what the backfill of the missing ones would do. It
 * follows the read path and the coordinator exactly: the read backfills its missing bars
 * (coverage-step.ts: `failed` counts as missing), the coordinator cuts them into aligned shards
 * (job-limits.ts, shard-size.ts), and each shard fetches every missing closed bar of the whole
 * shard, one upstream call per missing range (shard-fetcher.ts), paged by the source's page size
 * (ohlcv-pages.ts). Counts are arithmetic over ranges: no per-bar work.
 */
import { alignDown, alignUp, barCount, intersectRanges, missingRanges } from '../../core/index.js';
import type { TimeRange } from '../../core/index.js';
import type { CoverageRange } from '../../storage/index.js';
import type { EstimateCalendar } from './estimate-types.js';

/** The 24/7 calendar: every bar of the grid exists (crypto). */
export const ALWAYS_OPEN: EstimateCalendar = {
  name: '24/7',
  openBars: (range, intervalMs) => (range.end > range.start ? barCount(range, intervalMs) : 0),
};

export interface CoverageCounts {
  readonly inRange: number;
  readonly stored: number;
  readonly knownEmpty: number;
  readonly missing: number;
  /** The missing ranges of `closed`, on the grid. */
  readonly missingRanges: readonly TimeRange[];
}

/** Covered (stored or known empty) ranges: what the read path treats as not missing. */
export function coveredRanges(coverage: readonly CoverageRange[]): TimeRange[] {
  const covered: TimeRange[] = [];
  for (const c of coverage) if (c.state !== 'failed') covered.push(c);
  return covered;
}

/** Bars of `closed` by coverage state; `calendar` decides which bars exist. */
export function countCoverage(coverage: readonly CoverageRange[], closed: TimeRange, intervalMs: number, calendar: EstimateCalendar): CoverageCounts {
  if (closed.end <= closed.start) return { inRange: 0, stored: 0, knownEmpty: 0, missing: 0, missingRanges: [] };
  const stored: TimeRange[] = [];
  const empty: TimeRange[] = [];
  for (const c of coverage) {
    if (c.state === 'stored') stored.push(c);
    else if (c.state === 'known_empty') empty.push(c);
  }
  const missing = missingRanges(closed, coveredRanges(coverage), intervalMs);
  return {
    inRange: calendar.openBars(closed, intervalMs),
    stored: openBarsOf(intersectRanges(stored, [closed]), intervalMs, calendar),
    knownEmpty: openBarsOf(intersectRanges(empty, [closed]), intervalMs, calendar),
    missing: openBarsOf(missing, intervalMs, calendar),
    missingRanges: missing,
  };
}

function openBarsOf(ranges: readonly TimeRange[], intervalMs: number, calendar: EstimateCalendar): number {
  let bars = 0;
  for (const r of ranges) bars += calendar.openBars({ start: alignUp(r.start, intervalMs), end: alignDown(r.end, intervalMs) }, intervalMs);
  return bars;
}

export interface ShardPlan {
  readonly shards: number;
  /** Missing closed bars of those shards (a shard is fetched whole). */
  readonly bars: number;
  /** Upstream requests. */
  readonly requests: number;
}

/**
 * The shards covering `missing` (aligned to `barsPerShard` bars, each counted once) and, inside
 * each, the missing closed bars (`covered` is the coverage of every such shard, `closedEnd` the
 * end of closed history): one request per missing range of a shard, or `ceil(bars / barsPerRequest)`
 * for a paged source (an upper bound: a short page ends the range early).
 */
export function planShards(
  missing: readonly TimeRange[], covered: readonly TimeRange[], intervalMs: number, barsPerShard: number, closedEnd: number, barsPerRequest: number | undefined,
): ShardPlan {
  const shardMs = intervalMs * barsPerShard;
  let shards = 0;
  let bars = 0;
  let requests = 0;
  let lastShardEnd = -Infinity;
  for (const r of missing) {
    let at = Math.max(alignDown(r.start, shardMs), lastShardEnd);
    const end = alignUp(r.end, shardMs);
    for (; at < end; at += shardMs) {
      shards++;
      const fetchable = { start: at, end: Math.min(at + shardMs, closedEnd) };
      if (fetchable.end <= fetchable.start) continue;
      for (const m of missingRanges(fetchable, covered, intervalMs)) {
        const n = barCount(m, intervalMs);
        bars += n;
        requests += barsPerRequest === undefined ? 1 : Math.ceil(n / barsPerRequest);
      }
    }
    lastShardEnd = Math.max(lastShardEnd, end);
  }
  return { shards, bars, requests };
}

/** The span of the shards that may hold `closed`'s missing bars: the coverage an estimate reads. */
export function shardSpan(closed: TimeRange, intervalMs: number, barsPerShard: number): TimeRange {
  const shardMs = intervalMs * barsPerShard;
  return { start: alignDown(closed.start, shardMs), end: alignUp(closed.end, shardMs) };
}
