/**
 * The size caps of one backfill job, checked before any shard is built: a job's bars and its
 * aligned shards are counted arithmetically from the ranges (O(ranges), never O(shards)), so a
 * request over the whole time axis is refused in microseconds instead of materialising billions
 * of shard specs. The same caps hold for POST /v1/backfills, the coordinator's POST /v1/jobs and
 * the jobs the read path cuts from its missing ranges (they all go through `submit`).
 */
import { InvalidRequestError, alignDown, alignUp, barCount, formatInterval, normaliseRanges } from '../core/index.js';
import type { TimeRange } from '../core/index.js';

/** Default `seamless.backfill.maxBarsPerJob` (as many as the largest read, `limits.maxBars`). */
export const DEFAULT_MAX_BARS_PER_JOB = 2_000_000;
/** Default `seamless.backfill.maxShardsPerJob`. */
export const DEFAULT_MAX_SHARDS_PER_JOB = 10_000;

export interface JobLimits {
  readonly maxBarsPerJob: number;
  readonly maxShardsPerJob: number;
}

export const DEFAULT_JOB_LIMITS: JobLimits = Object.freeze({
  maxBarsPerJob: DEFAULT_MAX_BARS_PER_JOB, maxShardsPerJob: DEFAULT_MAX_SHARDS_PER_JOB,
});

export interface JobSize {
  /** The ranges in normal form (sorted, merged). */
  readonly ranges: readonly TimeRange[];
  readonly bars: number;
  /** Distinct aligned shards covering the ranges. */
  readonly shards: number;
}

/**
 * Counts a job's bars and shards; InvalidRequestError naming `end` (the range) and the limit when
 * either is over its cap. Shards shared by adjacent ranges are counted once.
 */
export function checkJobSize(ranges: readonly TimeRange[], intervalMs: number, barsPerShard: number, limits: JobLimits): JobSize {
  const normal = normaliseRanges(ranges);
  const shardMs = intervalMs * barsPerShard;
  let bars = 0;
  let shards = 0;
  let lastShardEnd = -Infinity;
  for (const r of normal) {
    bars += barCount(r, intervalMs);
    const first = Math.max(alignDown(r.start, shardMs), lastShardEnd);
    const end = alignUp(r.end, shardMs);
    if (end > first) shards += (end - first) / shardMs;
    lastShardEnd = Math.max(lastShardEnd, end);
  }
  const span = normal.length === 0 ? undefined : { start: normal[0].start, end: normal[normal.length - 1].end };
  const details = { bars, shards, maxBarsPerJob: limits.maxBarsPerJob, maxShardsPerJob: limits.maxShardsPerJob, ...span };
  if (bars > limits.maxBarsPerJob) {
    throw new InvalidRequestError('end', `the range holds ${bars} ${formatInterval(intervalMs)} bars, more than the maximum of ${limits.maxBarsPerJob} per backfill job (seamless.backfill.maxBarsPerJob); narrow it or backfill it in parts`, details);
  }
  if (shards > limits.maxShardsPerJob) {
    throw new InvalidRequestError('end', `the range needs ${shards} shards of ${barsPerShard} bars, more than the maximum of ${limits.maxShardsPerJob} per backfill job (seamless.backfill.maxShardsPerJob); narrow it or backfill it in parts`, details);
  }
  return { ranges: normal, bars, shards };
}
