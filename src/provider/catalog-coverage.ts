/**
 * The coverage summary of the catalog (`GET /v1/datasets`, `seamless datasets`): per interval of
 * a dataset, its first and last stored bar, the bars stored (a count of rows), known empty and
 * failed, when a write last changed its coverage, its base interval and its calendar. The
 * figures come from storage's one summary query (`BarStore.coverageSummary`), never from bars.
 */
import { alignDown, formatInterval, parseInterval } from '../core/index.js';
import type { CoverageSummary } from '../storage/index.js';

/** The calendar of a dataset that names none: markets that never close (crypto). */
export const DEFAULT_CALENDAR = '24/7';

export interface IntervalCoverage {
  readonly interval: string;
  readonly intervalMs: number;
  /** Open time (epoch ms) of the first and last stored bar; null when none is stored. */
  readonly firstBar: number | null;
  readonly lastBar: number | null;
  readonly barsStored: number;
  readonly knownEmptyBars: number;
  readonly failedBars: number;
  /** When a write (or a failure) last changed its coverage (epoch ms); null when never. */
  readonly lastWrite: number | null;
  /** The interval coarser ones are derived from (`datasets[].baseInterval`); null when none is set. */
  readonly baseInterval: string | null;
  /** `datasets[].calendar`, `24/7` by default. */
  readonly calendar: string;
  /**
   * The base interval when this interval is derived (never stored: reads resample the base
   * bars); its figures are then the base interval's, first and last bar as the buckets holding
   * the base's first and last bar, the counts in base bars. Null for an interval read as stored.
   */
  readonly derivedFrom: string | null;
}

/** What the catalog knows of a dataset's definition for its summary (both keys optional). */
export interface CoverageDefaults {
  readonly baseInterval?: string | number;
  readonly calendar?: string;
}

export type SummaryIndex = ReadonlyMap<string, CoverageSummary>;

export function summaryKey(nodeId: string, intervalMs: number): string {
  return JSON.stringify([nodeId, intervalMs]);
}

export function indexSummaries(summaries: readonly CoverageSummary[]): SummaryIndex {
  const index = new Map<string, CoverageSummary>();
  for (const s of summaries) index.set(summaryKey(s.nodeId, s.intervalMs), s);
  return index;
}

/** One entry per interval, in the order given; an interval storage never saw has zeros. */
export function intervalCoverage(nodeId: string, intervalsMs: readonly number[], summaries: SummaryIndex, defaults: CoverageDefaults): IntervalCoverage[] {
  const baseInterval = defaults.baseInterval === undefined ? null : formatInterval(parseInterval(defaults.baseInterval));
  const calendar = defaults.calendar ?? DEFAULT_CALENDAR;
  const baseMs = baseInterval === null ? undefined : parseInterval(baseInterval);
  return intervalsMs.map((intervalMs) => {
    // A derived interval summarises what reads get: the base bars, in its buckets.
    const derived = baseMs !== undefined && intervalMs !== baseMs;
    const s = summaries.get(summaryKey(nodeId, derived ? baseMs : intervalMs));
    const bucket = (t: number | undefined): number | null => (t === undefined ? null : derived ? alignDown(t, intervalMs) : t);
    return {
      interval: formatInterval(intervalMs),
      intervalMs,
      derivedFrom: derived ? baseInterval : null,
      firstBar: bucket(s?.firstTs),
      lastBar: bucket(s?.lastTs),
      barsStored: s?.barsStored ?? 0,
      knownEmptyBars: s?.knownEmptyBars ?? 0,
      failedBars: s?.failedBars ?? 0,
      lastWrite: s?.lastWriteAt ?? null,
      baseInterval,
      calendar,
    };
  });
}
