/**
 * How many bars one aligned shard holds, per interval. Every shard costs a fixed amount of
 * bookkeeping (a claim, a fenced write transaction, a completion), so fine intervals get large
 * shards (a cold week of 1m bars is 3–4 shards, not 11); coarse intervals get shards spanning
 * about a month, so a two-week read of a 1d dataset fetches at most two months, not 1,000 days.
 *
 * Shard keys are built from this geometry: every coordinator sharing a lease store (etcd) must
 * run the same policy (the same configuration), or overlapping requests stop sharing shards.
 * Remote workers need not know it (a claimed shard carries its range).
 */
import { parseInterval } from '../core/index.js';

const DAY = 86_400_000;

/** The default policy: bars per shard by interval (ms). */
export const DEFAULT_BARS_PER_SHARD_BY_INTERVAL: ReadonlyMap<number, number> = new Map([
  [parseInterval('1s'), 3_600], // 1 hour
  [parseInterval('5s'), 4_320], // 6 hours
  [parseInterval('1m'), 4_320], // 3 days
  [parseInterval('3m'), 3_360], // 7 days
  [parseInterval('5m'), 2_016], // 7 days
  [parseInterval('15m'), 2_880], // 30 days
  [parseInterval('30m'), 1_440], // 30 days
  [parseInterval('1h'), 720], // 30 days
  [parseInterval('2h'), 360], // 30 days
  [parseInterval('4h'), 180], // 30 days
  [parseInterval('6h'), 120], // 30 days
  [parseInterval('12h'), 60], // 30 days
  [parseInterval('1d'), 30], // 30 days
  [parseInterval('1w'), 52], // 1 year
]);

/** Bounds of the rule for intervals not in the table: about 30 days of bars, within these. */
export const MIN_BARS_PER_SHARD = 16;
export const MAX_BARS_PER_SHARD = 10_000;

export interface ShardSizePolicy {
  /** `seamless.backfill.barsPerShard`: one size for every interval (overrides everything else). */
  readonly barsPerShard?: number;
  /** `seamless.backfill.barsPerShardByInterval`, interval in ms → bars: overrides table entries. */
  readonly byInterval?: ReadonlyMap<number, number>;
}

/** Bars per shard of `intervalMs` under `policy`. */
export type ShardSizer = (intervalMs: number) => number;

export function createShardSizer(policy: ShardSizePolicy = {}): ShardSizer {
  const fixed = policy.barsPerShard;
  if (fixed !== undefined) return () => fixed;
  const byInterval = policy.byInterval;
  return (intervalMs) => byInterval?.get(intervalMs) ?? DEFAULT_BARS_PER_SHARD_BY_INTERVAL.get(intervalMs)
    ?? Math.min(MAX_BARS_PER_SHARD, Math.max(MIN_BARS_PER_SHARD, Math.round((30 * DAY) / intervalMs)));
}
