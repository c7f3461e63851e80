/**
 * Coverage algebra shared by every engine: a dataset's coverage is a sorted list of
 * non-overlapping entries of `stored`, `known_empty` or `failed`, adjacent entries of one state
 * merged. Engines load the entries, compute the new list here and write it back inside the
 * write's transaction.
 */
import { intersectRanges, subtractRanges } from '../core/index.js';
import type { TimeRange } from '../core/index.js';
import type { CoverageClaim, CoverageRange } from './bar-store.js';

/** Entries of `entries` with the parts under `replacements` cut out, plus `replacements`, merged. */
export function overlayCoverage(entries: readonly CoverageRange[], replacements: readonly CoverageRange[]): CoverageRange[] {
  const out: CoverageRange[] = [];
  for (const e of entries) {
    for (const piece of subtractRanges([e], replacements)) out.push(withRange(e, piece));
  }
  for (const r of replacements) out.push(r);
  return mergeCoverage(out);
}

/**
 * The parts of `range` not stored or known empty become `failed` with `reason`; each part's
 * attempts is one more than the failed entry it replaces (1 where there was none).
 */
export function failCoverage(entries: readonly CoverageRange[], range: TimeRange, reason: string): CoverageRange[] {
  const settled: TimeRange[] = [];
  const failed: CoverageRange[] = [];
  for (const e of entries) {
    if (e.state === 'failed') failed.push(e);
    else settled.push(e);
  }
  const open = subtractRanges([range], settled);
  if (open.length === 0) return [...entries];
  const replacements: CoverageRange[] = [];
  for (const f of failed) {
    for (const piece of intersectRanges([f], open)) {
      replacements.push({ start: piece.start, end: piece.end, state: 'failed', reason, attempts: (f.attempts ?? 0) + 1 });
    }
  }
  for (const piece of subtractRanges(open, failed)) {
    replacements.push({ start: piece.start, end: piece.end, state: 'failed', reason, attempts: 1 });
  }
  return overlayCoverage(entries, replacements);
}

/** Sorts and joins touching entries of one state (failed ones only with the same reason and attempts). */
export function mergeCoverage(entries: readonly CoverageRange[]): CoverageRange[] {
  const sorted = [...entries].sort((a, b) => a.start - b.start);
  const out: CoverageRange[] = [];
  for (const e of sorted) {
    const last = out.length > 0 ? out[out.length - 1] : undefined;
    if (last !== undefined && last.end === e.start && sameState(last, e)) out[out.length - 1] = withRange(last, { start: last.start, end: e.end });
    else out.push(e);
  }
  return out;
}

function sameState(a: CoverageRange, b: CoverageRange): boolean {
  return a.state === b.state && a.reason === b.reason && a.attempts === b.attempts;
}

function withRange(e: CoverageRange, r: TimeRange): CoverageRange {
  return e.state === 'failed'
    ? { start: r.start, end: r.end, state: e.state, reason: e.reason, attempts: e.attempts }
    : { start: r.start, end: r.end, state: e.state };
}

/** Entries overlapping `range` (all when omitted), unclipped, ascending; a fresh array. */
export function overlappingCoverage(entries: readonly CoverageRange[], range: TimeRange | undefined): CoverageRange[] {
  if (range === undefined) return entries.slice();
  const out: CoverageRange[] = [];
  for (const e of entries) if (e.end > range.start && e.start < range.end) out.push(e);
  return out;
}

export function claimToCoverage(c: CoverageClaim): CoverageRange {
  return { start: c.start, end: c.end, state: c.state };
}
