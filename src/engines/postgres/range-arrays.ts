/**
 * Half-open ranges as two parallel arrays, the shape PostgreSQL's
 * `unnest($n::bigint[], $m::bigint[])` takes, so one statement covers every range; plus their
 * span (lowest start, highest end), bound as plain bounds so the planner prunes month partitions.
 */
import type { TimeRange } from '../../core/index.js';

export function rangeArrays(ranges: readonly TimeRange[]): { readonly starts: number[]; readonly ends: number[]; readonly lo: number; readonly hi: number } {
  const starts: number[] = [];
  const ends: number[] = [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of ranges) {
    starts.push(r.start);
    ends.push(r.end);
    if (r.start < lo) lo = r.start;
    if (r.end > hi) hi = r.end;
  }
  return { starts, ends, lo, hi };
}
