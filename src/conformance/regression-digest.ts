/**
 * The regression digest: a report against the previous report of the same dataset whose range
 * overlaps it — like with like. The previous findings are carried onto the current range: all of
 * them may lie in the overlap (unchanged data cannot hold more there), and the bars of the
 * current range the previous report did not examine are expected at the previous rate (count per
 * unit examined, a unit being the larger of rows received and bars in the range, at least 1).
 * A flag is new when it occurs now and the previous report had none; increased when its count
 * exceeds that expectation (both given as rates over the current range); resolved when it
 * occurred before and not now, only where the current range re-examined the whole previous one.
 * So a sub-range of unchanged data never regresses, and reads of different lengths compare.
 * With no comparable previous report every flag that occurs is new, and `previousReportId` is
 * null.
 */
import type { TimeRange } from '../core/index.js';
import type { ConformanceReport, RegressionDigest } from './conformance-report.js';
import { FLAG_TYPES } from './flags.js';
import type { FlagType } from './flags.js';

/** Rates closer than this (relative) are equal: float noise is not a regression. */
const RATE_EPSILON = 1e-9;

/** Whether `previous` can be compared with `current`: same dataset, overlapping ranges. */
export function comparableReports(current: ConformanceReport, previous: ConformanceReport): boolean {
  return previous.nodeId === current.nodeId && previous.intervalMs === current.intervalMs
    && previous.range.start < current.range.end && current.range.start < previous.range.end;
}

export function regressionDigest(current: ConformanceReport, candidate: ConformanceReport | undefined): RegressionDigest {
  const previous = candidate !== undefined && comparableReports(current, candidate) ? candidate : undefined;
  const newFlags: FlagType[] = [];
  const increased: { flag: FlagType; previousRate: number; rate: number }[] = [];
  const resolved: FlagType[] = [];
  const units = unitsExamined(current);
  const prevUnits = previous ? unitsExamined(previous) : 1;
  const unexamined = previous ? barsOutside(current.range, previous.range, current.intervalMs) : 0;
  const reexamined = previous !== undefined && current.range.start <= previous.range.start && previous.range.end <= current.range.end;
  for (const flag of FLAG_TYPES) {
    const now = current.flags[flag] ?? 0;
    const before = previous?.flags[flag] ?? 0;
    if (now > 0 && before === 0) newFlags.push(flag);
    else if (now === 0 && before > 0) {
      if (reexamined) resolved.push(flag);
    } else if (now > 0) {
      const expected = before + (before / prevUnits) * unexamined;
      const rate = now / units;
      const previousRate = expected / units;
      if (rate > previousRate * (1 + RATE_EPSILON)) increased.push({ flag, previousRate, rate });
    }
  }
  return {
    previousReportId: previous?.id ?? null,
    newFlags,
    increased,
    resolved,
    regressed: newFlags.length > 0 || increased.length > 0,
  };
}

function unitsExamined(report: ConformanceReport): number {
  const span = report.range.end - report.range.start;
  const bars = report.intervalMs > 0 && span > 0 ? Math.ceil(span / report.intervalMs) : 0;
  return Math.max(1, report.rowsIn, bars);
}

/** Bars of `range` outside `other`. */
function barsOutside(range: TimeRange, other: TimeRange, intervalMs: number): number {
  if (!(intervalMs > 0)) return 0;
  let ms = 0;
  if (other.start > range.start) ms += Math.min(other.start, range.end) - range.start;
  if (other.end < range.end) ms += range.end - Math.max(other.end, range.start);
  return Math.ceil(ms / intervalMs);
}
