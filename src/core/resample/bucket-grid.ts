/**
 * Bucket boundaries of a target interval (resampling, issue 15): the edges `e0 < e1 < … < eN`
 * of the buckets covering a range, bucket `i` being `[e[i], e[i+1])`.
 *
 * - No alignment (`align` undefined): the epoch grid every stored bar uses (ARCHITECTURE.md §1),
 *   so `1d` buckets open at 00:00 UTC and `1w` buckets on Thursday 00:00 UTC (1970-01-01 was a
 *   Thursday), exactly like bars stored at that interval.
 * - `align` = an IANA time zone (`America/New_York`, also `UTC`): calendar buckets of that zone.
 *   `1d` opens at local midnight (23 or 25 hours long on DST change days); `1w` opens on
 *   **Monday** at local midnight (ISO 8601 weeks). Local days come from @date-fns/tz (TZDate),
 *   never from a fixed offset.
 *
 * Edges are computed per bucket, not per bar: a year of daily buckets is 366 small steps.
 */
import { TZDate, tzOffset } from '@date-fns/tz';
import { InvalidRequestError } from '../errors.js';
import type { TimeRange } from '../range.js';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/** The intervals a time-zone alignment applies to. */
export const ALIGNABLE_INTERVALS_MS: readonly number[] = [DAY_MS, WEEK_MS];

/** Whether `zone` names a time zone @date-fns/tz (and Intl) know. */
export function isTimeZone(zone: string): boolean {
  if (zone.length === 0 || zone.length > 64) return false;
  return !Number.isNaN(tzOffset(zone, new Date(0)));
}

/**
 * Checks an `align` value for `intervalMs`: a known IANA time zone, and an interval of 1d or 1w.
 * Throws `InvalidRequestError` naming `field`.
 */
export function checkAlign(zone: string, intervalMs: number, field = 'align'): string {
  if (!isTimeZone(zone)) throw new InvalidRequestError(field, `unknown time zone ${JSON.stringify(zone)}; expected an IANA name such as America/New_York or UTC`, { value: zone });
  if (intervalMs < DAY_MS) throw new InvalidRequestError(field, `aligns daily and weekly bars only; interval ${intervalMs} ms is below 1d`, { value: zone, intervalMs });
  if (!ALIGNABLE_INTERVALS_MS.includes(intervalMs)) throw new InvalidRequestError(field, `aligns 1d and 1w bars only, not an interval of ${intervalMs} ms`, { value: zone, intervalMs });
  return zone;
}

/**
 * The edges of the buckets of `intervalMs` that cover `range` (the first bucket holds
 * `range.start`, the last holds `range.end - 1`); `align` as in the header. An empty range gives
 * no edges. `align` must have passed `checkAlign`.
 */
export function bucketEdges(range: TimeRange, intervalMs: number, align?: string): Float64Array {
  if (range.end <= range.start) return new Float64Array(0);
  if (align === undefined) {
    const first = Math.floor(range.start / intervalMs) * intervalMs;
    const last = Math.ceil(range.end / intervalMs) * intervalMs;
    const n = (last - first) / intervalMs;
    const edges = new Float64Array(n + 1);
    for (let i = 0; i <= n; i++) edges[i] = first + i * intervalMs;
    return edges;
  }
  const stepDays = intervalMs === WEEK_MS ? 7 : 1;
  const at = new TZDate(range.start, align);
  // ISO weeks open on Monday: getDay() is 0 for Sunday.
  const back = stepDays === 7 ? (at.getDay() + 6) % 7 : 0;
  const y = at.getFullYear();
  const m = at.getMonth();
  const d0 = at.getDate() - back;
  const out: number[] = [];
  for (let k = 0; ; k++) {
    // TZDate normalises day overflow like Date (March 32 is April 1), in the zone's calendar.
    const edge = new TZDate(y, m, d0 + k * stepDays, align).getTime();
    out.push(edge);
    if (edge >= range.end) break;
  }
  return Float64Array.from(out);
}

/** Whether every edge lies on the epoch grid of `baseMs` (a bucket is then a whole number of base bars). */
export function edgesOnGrid(edges: Float64Array, baseMs: number): boolean {
  for (let i = 0; i < edges.length; i++) if (edges[i] % baseMs !== 0) return false;
  return true;
}
