/**
 * Step 4 of the read pipeline: the dataset's coverage over the closed range, read once from
 * storage (under the SLA `storage` budget), and the ranges still missing on the bar grid inside
 * what live and the cache did not answer. `known_empty` counts as covered, `failed` as missing.
 * Later steps reuse this read: the strategy re-reads coverage once, only after a backfill it
 * waited for; conformance and metadata use whichever is newest. A read that live and the cache
 * answer whole reads no coverage here.
 */
import { abortable, intersectRanges, missingRanges } from '../../core/index.js';
import type { TimeRange } from '../../core/index.js';
import type { CoverageRange } from '../../storage/index.js';
import { unrecordedClosed, withCalendarClosed } from './calendar-coverage.js';
import { slaCut } from './read-context.js';
import type { ReadStep } from './read-context.js';

export const coverageStep: ReadStep = async (ctx, deps) => {
  if (ctx.remaining.length === 0) return;
  const { sla, closed } = ctx;
  const phase = sla?.phase('storage');
  const read = await ctx.trace.step('seamless.storage', () => abortable(deps.store.coverage(ctx.resolved.dataset, closed), phase?.signal), { 'seamless.storage.op': 'coverage' })
    .catch((error: unknown) => slaCut(error, sla))
    .finally(() => phase?.end());
  // The storage budget ran out: nothing is known to be covered.
  // Closed calendar time is known empty whether recorded or not (calendar-coverage.ts).
  ctx.coverage = withCalendarClosed(read ?? [], closed, ctx.resolved.calendar, ctx.req.intervalMs);
  ctx.unrecordedClosed = read === undefined ? [] : unrecordedClosed(read, ctx.remaining, ctx.resolved.calendar, ctx.req.intervalMs);
  ctx.missing = missingIn(ctx.coverage, closed, ctx.remaining, ctx.req.intervalMs);
};

/** The bars of `closed` that `coverage` does not hold (stored or known empty), inside `within`. */
export function missingIn(coverage: readonly CoverageRange[], closed: TimeRange, within: readonly TimeRange[], intervalMs: number): readonly TimeRange[] {
  const covered: TimeRange[] = [];
  for (const c of coverage) if (c.state !== 'failed') covered.push(c);
  return intersectRanges(missingRanges(closed, covered, intervalMs), within);
}
