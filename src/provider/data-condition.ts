/**
 * The per-day condition of a dataset (`GET /v1/datasets/condition`): one entry per UTC day of
 * a range, `available` | `degraded` | `pending` | `missing`, with the reason and the last
 * change of the day's coverage. Computed from what storage records — the coverage entries with
 * the time each last changed, the ingest findings in force — and the backfill shards still at
 * work; no bar is read. The rules, in order (docs/user-guide.md "The catalog and data condition"):
 *
 * 1. `pending`: the day has not closed yet (its last bar is not closed at `now`), or a backfill
 *    job is working on it while some of its closed bars are neither stored nor known empty.
 * 2. `missing`: none of its closed bars is stored or known empty: `failed` (with the last
 *    failure's reason and attempts) or `not stored`.
 * 3. `degraded`: stored, but partly failed, partly not stored, or with ingest findings in force.
 * 4. `available`: every closed bar stored or known empty, no finding.
 */
import { InvalidRequestError } from '../core/index.js';
import type { Clock, IngestFinding, TimeRange } from '../core/index.js';
import type { BackfillCoordinator } from '../backfill/index.js';
import type { IngestFindingStore } from '../conformance/index.js';
import type { BarStore, DatasetKey, DatedCoverageRange } from '../storage/index.js';

export const DAY_MS = 86_400_000;
/** The longest range the condition answers, in days (ten years and then some). */
export const MAX_CONDITION_DAYS = 3_660;

export type DayCondition = 'available' | 'degraded' | 'pending' | 'missing';

export interface DayConditionEntry {
  /** The UTC day, `YYYY-MM-DD`. */
  readonly date: string;
  readonly start: number;
  readonly end: number;
  readonly condition: DayCondition;
  readonly reason: string;
  /** When the day's coverage last changed (epoch ms); null when nothing was ever recorded. */
  readonly lastChange: number | null;
  /** Bars opening on the day: all, closed at `now`, and how the closed ones are covered. */
  readonly bars: {
    readonly expected: number;
    readonly closed: number;
    readonly stored: number;
    readonly knownEmpty: number;
    readonly failed: number;
    readonly missing: number;
  };
  /** Ingest findings in force on the day (rows counted). */
  readonly findings: number;
}

/** A backfill shard still at work on the dataset (pending or running), and its job. */
export interface ActiveShard {
  readonly jobId: string;
  readonly start: number;
  readonly end: number;
}

export interface ConditionInput {
  readonly dataset: DatasetKey;
  /** UTC-day aligned (`conditionDays`). */
  readonly days: TimeRange;
  readonly now: number;
  /** Coverage entries overlapping `days`, ascending. */
  readonly coverage: readonly DatedCoverageRange[];
  /** Ingest findings in force inside `days`, by ts. */
  readonly findings: readonly IngestFinding[];
  readonly active: readonly ActiveShard[];
}

/**
 * The UTC days covering [start, end): start aligned down and end aligned up to a day.
 * InvalidRequestError naming `end` when end <= start, or `start`/`end` past MAX_CONDITION_DAYS.
 */
export function conditionDays(start: number, end: number): TimeRange {
  if (end <= start) throw new InvalidRequestError('end', `must be after start (${new Date(start).toISOString()})`, { start, end });
  const days = { start: Math.floor(start / DAY_MS) * DAY_MS, end: Math.ceil(end / DAY_MS) * DAY_MS };
  const count = (days.end - days.start) / DAY_MS;
  if (count > MAX_CONDITION_DAYS) {
    throw new InvalidRequestError('end', `start..end spans ${count} days; the condition answers at most ${MAX_CONDITION_DAYS} days per request (narrow start or end)`, { start, end, days: count, maxDays: MAX_CONDITION_DAYS });
  }
  return days;
}

/** Bars of the grid of `intervalMs` whose open time lies in [a, b). */
function barsIn(a: number, b: number, intervalMs: number): number {
  return b <= a ? 0 : Math.ceil(b / intervalMs) - Math.ceil(a / intervalMs);
}

/** One entry per UTC day of `input.days`, ascending. Entries are few (≤ 3,660): plain objects. */
export function classifyDays(input: ConditionInput): DayConditionEntry[] {
  const { dataset, days, now, coverage, findings, active } = input;
  const iv = dataset.intervalMs;
  // The end of the closed part of the grid: a bar is closed once ts + interval <= now.
  const closedUntil = Math.floor(now / iv) * iv;
  const out: DayConditionEntry[] = [];
  let c0 = 0; // first coverage entry that may overlap the current day (entries are sorted)
  let f = 0;
  for (let day = days.start; day < days.end; day += DAY_MS) {
    const dayEnd = day + DAY_MS;
    const expected = barsIn(day, dayEnd, iv);
    const closedEnd = Math.max(day, Math.min(dayEnd, closedUntil));
    const closed = barsIn(day, closedEnd, iv);
    let stored = 0;
    let knownEmpty = 0;
    let failed = 0;
    let lastChange: number | null = null;
    let failure: DatedCoverageRange | undefined;
    while (c0 < coverage.length && coverage[c0].end <= day) c0++;
    for (let i = c0; i < coverage.length && coverage[i].start < dayEnd; i++) {
      const e = coverage[i];
      if (e.end <= day) continue;
      lastChange = lastChange === null ? e.updatedAt : Math.max(lastChange, e.updatedAt);
      const n = barsIn(Math.max(e.start, day), Math.min(e.end, closedEnd), iv);
      if (e.state === 'stored') stored += n;
      else if (e.state === 'known_empty') knownEmpty += n;
      else if (n > 0) {
        failed += n;
        if (failure === undefined || e.updatedAt >= failure.updatedAt) failure = e;
      }
    }
    const flags = new Map<string, number>();
    let findingRows = 0;
    while (f < findings.length && findings[f].ts < day) f++;
    for (; f < findings.length && findings[f].ts < dayEnd; f++) {
      findingRows += findings[f].count;
      flags.set(findings[f].flag, (flags.get(findings[f].flag) ?? 0) + findings[f].count);
    }
    const missing = closed - stored - knownEmpty - failed;
    const bars = { expected, closed, stored, knownEmpty, failed, missing };
    const base = { date: new Date(day).toISOString().slice(0, 10), start: day, end: dayEnd, lastChange, bars, findings: findingRows };
    const job = missing + failed > 0 ? active.find((s) => s.start < closedEnd && s.end > day) : undefined;
    const failureText = failure === undefined ? '' : `${failure.reason ?? 'no reason recorded'} (${failure.attempts ?? 1} attempt(s))`;
    if (closed < expected) {
      out.push({ ...base, condition: 'pending', reason: `the day has not closed yet: ${closed} of ${expected} bars closed, ${stored + knownEmpty} stored or known empty` });
    } else if (job !== undefined) {
      out.push({ ...base, condition: 'pending', reason: `backfill job ${job.jobId} is working on it: ${missing + failed} of ${closed} bars not stored yet` });
    } else if (stored + knownEmpty === 0 && closed > 0) {
      out.push({ ...base, condition: 'missing', reason: failed > 0 ? `failed: ${failureText}` : 'not stored' });
    } else {
      const problems: string[] = [];
      if (failed > 0) problems.push(`partly failed: ${failed} of ${closed} bars failed: ${failureText}`);
      if (missing > 0) problems.push(`partly stored: ${missing} of ${closed} bars not stored`);
      if (findingRows > 0) problems.push(`ingest findings: ${[...flags].map(([flag, n]) => `${flag} ×${n}`).join(', ')}`);
      out.push(problems.length > 0
        ? { ...base, condition: 'degraded', reason: problems.join('; ') }
        : { ...base, condition: 'available', reason: expected === 0 ? 'no bar of the interval opens on this day' : `all ${closed} bars stored (${stored}) or known empty (${knownEmpty})` });
    }
  }
  return out;
}

/** What the condition reads: storage's dated coverage and findings, the coordinator's jobs, the clock. */
export interface ConditionSources {
  readonly store: Pick<BarStore, 'datedCoverage'>;
  readonly findings: Pick<IngestFindingStore, 'findings'>;
  readonly coordinator: Pick<BackfillCoordinator, 'jobs' | 'shards'>;
  readonly clock: Clock;
}

export interface DatasetConditionAnswer {
  readonly days: DayConditionEntry[];
  /** Days per condition, over the answer. */
  readonly summary: Readonly<Record<DayCondition, number>>;
}

/** The condition of `dataset` per UTC day of [start, end) (bounded by `conditionDays`). */
export async function datasetCondition(sources: ConditionSources, dataset: DatasetKey, start: number, end: number): Promise<DatasetConditionAnswer> {
  const days = conditionDays(start, end);
  const [coverage, findings] = await Promise.all([
    sources.store.datedCoverage(dataset, days),
    sources.findings.findings(dataset.nodeId, dataset.intervalMs, days.start, days.end),
  ]);
  const active: ActiveShard[] = [];
  for (const job of sources.coordinator.jobs()) {
    if (job.state !== 'running' || job.nodeId !== dataset.nodeId || job.intervalMs !== dataset.intervalMs) continue;
    for (const s of sources.coordinator.shards(job.id) ?? []) {
      if ((s.state === 'pending' || s.state === 'leased') && s.start < days.end && s.end > days.start) active.push({ jobId: job.id, start: s.start, end: s.end });
    }
  }
  const entries = classifyDays({ dataset, days, now: sources.clock.now(), coverage, findings, active });
  const summary: Record<DayCondition, number> = { available: 0, degraded: 0, pending: 0, missing: 0 };
  for (const e of entries) summary[e.condition]++;
  return { days: entries, summary };
}
