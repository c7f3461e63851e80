/**
 * Half-open ranges as two parallel arrays, the shape PostgreSQL's
 * `unnest($n::bigint[], $m::bigint[])` takes, so one statement covers every range.
 */
import type { TimeRange } from '../../core/index.js';

export function rangeArrays(ranges: readonly TimeRange[]): { readonly starts: number[]; readonly ends: number[] } {
  const starts: number[] = [];
  const ends: number[] = [];
  for (const r of ranges) {
    starts.push(r.start);
    ends.push(r.end);
  }
  return { starts, ends };
}
