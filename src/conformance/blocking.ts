/**
 * Whether a report blocks its read. Blocking mode blocks on any error-level flag unless the
 * caller passed `partialOk`; shadow mode never blocks. Schema-stage flags of a `canary`
 * subject never block (canary records, it does not enforce); a `strict` subject's violations
 * are rejected by the caller as a schema validation error before this decision is asked.
 *
 * `reasons` lists the error-level flags that block (or would block, in shadow mode or with
 * `partialOk`), in catalogue order, so the caller can log what it let through.
 */
import type { ConformanceReport } from './conformance-report.js';
import { FLAG_CATALOGUE, FLAG_TYPES } from './flags.js';
import type { FlagType } from './flags.js';

export function blockingDecision(report: ConformanceReport, opts: { readonly partialOk: boolean }): { block: boolean; reasons: FlagType[] } {
  const reasons: FlagType[] = [];
  // Most reports have no flag at all (every cache hit of clean bars asks): nothing to walk.
  if (!hasFlags(report)) return { block: false, reasons };
  const canary = report.schema?.mode === 'canary';
  for (const flag of FLAG_TYPES) {
    const c = FLAG_CATALOGUE[flag];
    if (c.level !== 'error' || !((report.flags[flag] ?? 0) > 0)) continue;
    if (canary && c.stage === 'schema') continue;
    reasons.push(flag);
  }
  return { block: report.mode === 'blocking' && !opts.partialOk && reasons.length > 0, reasons };
}

function hasFlags(report: ConformanceReport): boolean {
  for (const k in report.flags) if ((report.flags[k as FlagType] ?? 0) > 0) return true;
  return false;
}
