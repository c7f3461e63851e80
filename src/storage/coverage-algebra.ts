/**
 * Coverage algebra shared by every engine: a dataset's coverage is a sorted list of
 * non-overlapping entries of `stored`, `known_empty` or `failed`, adjacent entries of one state
 * merged. Engines load the entries, compute the new list here and write it back inside the
 * write's transaction. What a write records is derived from the rows it carries
 * (`writtenCoverage`): a stored claim vouches only for the bars actually in the batch.
 */
import { intersectRanges, subtractRanges } from '../core/index.js';
import type { TimeRange } from '../core/index.js';
import type { CoverageClaim, CoverageRange } from './bar-store.js';

/**
 * The coverage a validated write records: each `stored` claim becomes the runs of consecutive
 * grid bars of `ts` inside it (a bar absent from the batch is missing, never stored), each
 * `known_empty` claim is kept whole (the writer vouched for it). `claims` sorted and disjoint,
 * `ts` ascending on the `intervalMs` grid and inside the stored claims (validateWriteBatch).
 * One pass over `ts`: O(rows + claims), no per-row allocation.
 */
export function writtenCoverage(claims: readonly CoverageClaim[], ts: Float64Array, intervalMs: number): CoverageClaim[] {
  const out: CoverageClaim[] = [];
  let i = 0;
  for (const c of claims) {
    if (c.state === 'known_empty') {
      out.push({ start: c.start, end: c.end, state: 'known_empty' });
      continue;
    }
    while (i < ts.length && ts[i] < c.start) i++;
    while (i < ts.length && ts[i] < c.end) {
      const start = ts[i];
      let next = start + intervalMs;
      i++;
      while (i < ts.length && ts[i] === next && next < c.end) {
        next += intervalMs;
        i++;
      }
      out.push({ start, end: next, state: 'stored' });
    }
  }
  return out;
}

/**
 * The coverage after a write: every claimed range is cleared (its rows were replaced), then the
 * written coverage laid over it, merged. A claimed stretch the write left without bars or
 * known-empty evidence ends up with no entry: missing.
 */
export function rewriteCoverage(entries: readonly CoverageRange[], claims: readonly CoverageClaim[], written: readonly CoverageClaim[]): CoverageRange[] {
  const kept: CoverageRange[] = [];
  for (const e of entries) {
    for (const piece of subtractRanges([e], claims)) kept.push(withRange(e, piece));
  }
  for (const w of written) kept.push(claimToCoverage(w));
  return mergeCoverage(kept);
}

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
