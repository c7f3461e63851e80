/**
 * The dataset's calendar on the read path (docs/calendars.md):
 * - closed calendar time is known empty whether or not a backfill recorded it yet, so it is never
 *   missing, never a gap, and counts as covered in the coverage ratio (`withCalendarClosed`); a
 *   read that backfills hands what is not recorded yet to the coordinator too (`unrecordedClosed`),
 *   which records it known-empty with provenance `calendar:<name>` without asking the upstream;
 * - known-empty coverage in open time is an upstream's word and re-checkable: a read that
 *   backfills (`seamless`, `auto_backfill`) hands it to the coordinator with its missing ranges,
 *   and the lease store re-opens the shards whose word is older than
 *   `seamless.backfill.knownEmptyRecheckMs` (`upstreamKnownEmpty`, `recheckKnownEmpty`); the
 *   read waits for them within its backfill budget and then reads what they stored.
 */
import { AbortedError, intersectRanges, normaliseRanges, subtractRanges } from '../../core/index.js';
import type { TimeRange, TradingCalendar } from '../../core/index.js';
import type { JobStatus } from '../../backfill/index.js';
import type { CoverageRange } from '../../storage/index.js';
import type { StrategyDeps, StrategyInput, StrategyOutcome } from './strategy-runner.js';

/** `coverage` of `range` with the calendar's closed bars added as `known_empty` where nothing else is recorded; sorted. */
export function withCalendarClosed(coverage: readonly CoverageRange[], range: TimeRange, calendar: TradingCalendar, intervalMs: number): readonly CoverageRange[] {
  if (calendar.alwaysOpen || range.end <= range.start) return coverage;
  const closed = calendar.closedRanges(range, intervalMs);
  if (closed.length === 0) return coverage;
  const settled: TimeRange[] = [];
  for (const c of coverage) if (c.state !== 'failed') settled.push(c);
  const out: CoverageRange[] = [];
  for (const c of coverage) {
    // A failed attempt over closed time is moot: the calendar answers it.
    if (c.state !== 'failed') out.push(c);
    else for (const r of subtractRanges([c], closed)) out.push({ ...c, start: r.start, end: r.end });
  }
  for (const r of subtractRanges(closed, settled)) out.push({ start: r.start, end: r.end, state: 'known_empty' });
  out.sort((a, b) => a.start - b.start);
  return out;
}

/** Closed calendar time inside `within` that storage has not recorded as known empty (or stored). */
export function unrecordedClosed(raw: readonly CoverageRange[], within: readonly TimeRange[], calendar: TradingCalendar, intervalMs: number): TimeRange[] {
  if (calendar.alwaysOpen || within.length === 0) return [];
  const closed: TimeRange[] = [];
  for (const w of within) for (const r of calendar.closedRanges(w, intervalMs)) closed.push(r);
  const settled: TimeRange[] = [];
  for (const c of raw) if (c.state !== 'failed') settled.push(c);
  return intersectRanges(subtractRanges(normaliseRanges(closed), settled), within);
}

/** Known-empty coverage inside `within` that the calendar calls open: an upstream's word, re-checkable. */
export function upstreamKnownEmpty(coverage: readonly CoverageRange[], within: readonly TimeRange[], calendar: TradingCalendar, intervalMs: number): TimeRange[] {
  const empty: TimeRange[] = [];
  for (const c of coverage) if (c.state === 'known_empty') empty.push(c);
  if (empty.length === 0) return [];
  const inside = intersectRanges(normaliseRanges(empty), within);
  if (inside.length === 0 || calendar.alwaysOpen) return inside;
  const open: TimeRange[] = [];
  for (const r of inside) for (const o of calendar.openRanges(r, intervalMs)) open.push(o);
  return intersectRanges(normaliseRanges(open), inside);
}

/**
 * A read with nothing missing but an upstream's known-empty word in its range, or closed calendar
 * time not recorded yet: the ranges are handed to the coordinator (a word re-opened there only
 * when due; closed time recorded without asking the upstream), waited for within the read's
 * budgets without downgrading the answer when they run out (the known-empty answer stands), and
 * the coverage read again.
 */
export async function recheckKnownEmpty(input: StrategyInput, recheck: readonly TimeRange[], deps: StrategyDeps): Promise<StrategyOutcome> {
  const { request, resolved } = input;
  if (resolved.source === undefined) return { missing: [], backfilled: [], upstreamGaps: [], job: undefined, downgradeReason: null };
  const job = deps.coordinator.submit({
    target: { dataset: resolved.dataset, schema: resolved.schema, source: resolved.source, calendar: resolved.calendar },
    ranges: recheck,
    requestedBy: request.requestedBy,
    priority: 'read',
    ...(input.traceparent ? { traceparent: input.traceparent } : {}),
  });
  const waits: AbortSignal[] = [AbortSignal.timeout(deps.syncBudgetMs)];
  if (input.signal) waits.push(input.signal);
  if (input.deadline) waits.push(input.deadline);
  let status: JobStatus;
  try {
    status = await deps.coordinator.wait(job.id, AbortSignal.any(waits));
  } catch (error) {
    if (!(error instanceof AbortedError) || input.signal?.aborted) throw error;
    status = job.status();
  }
  const raw = await deps.store.coverage(resolved.dataset, input.closed);
  const coverage = withCalendarClosed(raw, input.closed, resolved.calendar, resolved.dataset.intervalMs);
  const stored: TimeRange[] = [];
  for (const c of raw) if (c.state === 'stored') stored.push(c);
  return { missing: [], backfilled: intersectRanges(recheck, normaliseRanges(stored)), upstreamGaps: [], job: status, downgradeReason: null, coverage };
}
