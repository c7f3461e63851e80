/**
 * What every engine's purge shares (BarStore.purge): the checks of a purge request before any SQL,
 * and the coverage arithmetic — what coverage the purge cuts (clipped to its range, for the report
 * and the audit) and what coverage remains (every entry with the range cut out).
 */
import { InvalidRequestError, InvertedRangeError, formatInterval } from '../core/index.js';
import type { TimeRange } from '../core/index.js';
import type { CoverageRange, CoverageState, PurgeRequest } from './bar-store.js';
import { rewriteCoverage } from './coverage-algebra.js';
import { validateDataset, validateFence, validateRange } from './write-validation.js';

/** Longest actor name the audit keeps (API key names are far shorter). */
const MAX_ACTOR_LENGTH = 256;

/** Throws InvalidRequestError naming the field; nothing is written before this passes. */
export function validatePurge(request: PurgeRequest): void {
  validateDataset(request.dataset);
  validateRange(request.range);
  const { start, end } = request.range;
  const iv = request.dataset.intervalMs;
  if (end <= start) throw new InvertedRangeError(start, end);
  if (start % iv !== 0) throw new InvalidRequestError('start', `must lie on the ${formatInterval(iv)} grid of the dataset (a purge removes whole bars)`, { start });
  if (end % iv !== 0) throw new InvalidRequestError('end', `must lie on the ${formatInterval(iv)} grid of the dataset (a purge removes whole bars)`, { end });
  for (const fence of request.fences) validateFence(fence);
  if (typeof request.actor !== 'string' || request.actor.length === 0 || request.actor.length > MAX_ACTOR_LENGTH) {
    throw new InvalidRequestError('actor', `must be 1–${MAX_ACTOR_LENGTH} characters`);
  }
  if (request.action !== 'purge' && request.action !== 'force_backfill') {
    throw new InvalidRequestError('action', 'must be purge or force_backfill');
  }
}

/** The entries of `entries` inside `range`, clipped to it: what a purge of `range` removes. */
export function removedCoverage(entries: readonly CoverageRange[], range: TimeRange): CoverageRange[] {
  const out: CoverageRange[] = [];
  for (const e of entries) {
    const start = Math.max(e.start, range.start);
    const end = Math.min(e.end, range.end);
    if (start < end) out.push({ ...e, start, end });
  }
  return out;
}

/** The coverage left after purging `range`: every entry with the range cut out, merged. */
export function coverageAfterPurge(entries: readonly CoverageRange[], range: TimeRange): CoverageRange[] {
  return rewriteCoverage(entries, [{ start: range.start, end: range.end, state: 'stored' }], []);
}

/** Bars spanned by `removed`, per state (for the audit). */
export function barsByState(removed: readonly CoverageRange[], intervalMs: number): Record<CoverageState, number> {
  const out: Record<CoverageState, number> = { stored: 0, known_empty: 0, failed: 0 };
  for (const e of removed) out[e.state] += Math.round((e.end - e.start) / intervalMs);
  return out;
}
