/**
 * The regression digest: a report against the previous report of the same dataset. A flag is
 * new when it occurs now and did not before; increased when its rate grew, a rate being the
 * count per unit examined (the larger of rows received and bars in the range, at least 1), so
 * reads of different lengths compare; resolved when it occurred before and not now. With no
 * previous report every flag that occurs is new, and `previousReportId` is null.
 */
import type { ConformanceReport, RegressionDigest } from './conformance-report.js';
import { FLAG_TYPES } from './flags.js';
import type { FlagType } from './flags.js';

/** Rates closer than this (relative) are equal: float noise is not a regression. */
const RATE_EPSILON = 1e-9;

export function regressionDigest(current: ConformanceReport, previous: ConformanceReport | undefined): RegressionDigest {
  const newFlags: FlagType[] = [];
  const increased: { flag: FlagType; previousRate: number; rate: number }[] = [];
  const resolved: FlagType[] = [];
  const units = unitsExamined(current);
  const prevUnits = previous ? unitsExamined(previous) : 1;
  for (const flag of FLAG_TYPES) {
    const now = current.flags[flag] ?? 0;
    const before = previous?.flags[flag] ?? 0;
    if (now > 0 && before === 0) newFlags.push(flag);
    else if (now === 0 && before > 0) resolved.push(flag);
    else if (now > 0) {
      const rate = now / units;
      const previousRate = before / prevUnits;
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
