/**
 * Merges the findings recorded when upstream batches were stored (duplicates and off-grid rows
 * dropped before the write) into the report of a read over the same dataset: their counts are
 * added to the flags, their warnings merged per (flag, `ts` column) with the earliest ts, and
 * `hasErrors` recomputed. Findings of another dataset or outside the report's range are ignored.
 * Returns a new report; the given one is not changed.
 */
import type { ConformanceReport, ConformanceWarning } from './conformance-report.js';
import { FLAG_CATALOGUE, FLAG_TYPES } from './flags.js';
import type { FlagType } from './flags.js';
import { toWarning } from './findings.js';
import type { IngestFinding } from './report-archive.js';

export function mergeIngestFindings(report: ConformanceReport, findings: readonly IngestFinding[]): ConformanceReport {
  const added = new Map<FlagType, { count: number; firstTs: number }>();
  for (const f of findings) {
    if (f.nodeId !== report.nodeId || f.intervalMs !== report.intervalMs) continue;
    if (!(f.ts >= report.range.start && f.ts < report.range.end) || !(f.count > 0)) continue;
    const have = added.get(f.flag);
    if (have) {
      have.count += f.count;
      if (f.ts < have.firstTs) have.firstTs = f.ts;
    } else added.set(f.flag, { count: f.count, firstTs: f.ts });
  }
  if (added.size === 0) return report;

  const flags: Partial<Record<FlagType, number>> = { ...report.flags };
  const warnings: ConformanceWarning[] = [...report.warnings];
  for (const [flag, a] of added) {
    flags[flag] = (flags[flag] ?? 0) + a.count;
    const at = warnings.findIndex((w) => w.flag === flag && w.column === 'ts');
    const prior = at >= 0 ? warnings[at] : undefined;
    const count = (prior?.count ?? 0) + a.count;
    const firstTs = prior?.firstTs != null && prior.firstTs < a.firstTs ? prior.firstTs : a.firstTs;
    const detail = prior ? `${a.count} of them found when upstream batches were stored` : 'found when upstream batches were stored';
    const merged = toWarning({ flag, column: 'ts', count, firstTs, detail });
    if (at >= 0) warnings[at] = merged;
    else warnings.push(merged);
  }
  const order = (f: FlagType): number => FLAG_TYPES.indexOf(f);
  warnings.sort((x, y) => order(x.flag) - order(y.flag));
  const ordered: Partial<Record<FlagType, number>> = {};
  for (const f of FLAG_TYPES) if (flags[f] !== undefined) ordered[f] = flags[f];
  return {
    ...report,
    flags: ordered,
    warnings,
    hasErrors: FLAG_TYPES.some((f) => (ordered[f] ?? 0) > 0 && FLAG_CATALOGUE[f].level === 'error'),
  };
}
