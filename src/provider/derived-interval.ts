/**
 * Derived intervals outside the read (issue 15 item 1, docs/resampling.md "Derived intervals in
 * the other endpoints"): an interval coarser than a dataset's `baseInterval` is never stored as
 * its own series; reads resample the BASE bars (read/resample-read.ts). The backfill, coverage,
 * estimate, catalog and condition doors therefore work on the base bars too, through these
 * helpers:
 *
 * - `derivationOf`: whether an interval of a dataset is derived, and from what;
 * - `bucketRange`: a range widened outward to whole buckets of the derived interval (the UTC
 *   epoch grid: the doors other than the read take no `align`);
 * - `bucketCoverage`: base coverage in bucket terms. A bucket is `stored` when every one of its
 *   base bars is stored or known empty (and some are stored), `known_empty` when all are known
 *   empty, `partial` when some base bars are stored or known empty and others are not, `failed`
 *   when it has no stored or known-empty base bar but some failed ones. Range algebra only: no
 *   per-bucket loop, so a decade of 5m buckets costs what its coverage entries cost.
 */
import { InvalidRequestError, alignDown, alignUp, formatInterval, intersectRanges, normaliseRanges, subtractRanges } from '../core/index.js';
import type { TimeRange } from '../core/index.js';
import type { CoverageRange, CoverageState } from '../storage/index.js';
import type { DatasetCatalog } from './dataset-catalog.js';

/** What a derived interval is read from. */
export interface Derivation {
  readonly baseMs: number;
  readonly intervalMs: number;
}

/** `derivedFrom` as the doors answer it: the base interval the bars come from. */
export interface DerivedFrom {
  readonly interval: string;
  readonly intervalMs: number;
}

/** What a backfill of a derived interval fetched instead: the base bars of the bucket-aligned range. */
export interface DerivedBackfill extends DerivedFrom {
  /** The interval asked for. */
  readonly forInterval: string;
  /** The range asked for, widened outward to whole buckets of `forInterval`. */
  readonly range: TimeRange;
}

/** The state of a bucket of a derived interval: a coverage state of its base bars, or `partial`. */
export type DerivedCoverageState = CoverageState | 'partial';

export interface DerivedCoverageRange {
  readonly start: number;
  readonly end: number;
  readonly state: DerivedCoverageState;
  /** Never set on a bucket: the failures' reasons are in the base interval's coverage. */
  readonly reason?: undefined;
  readonly attempts?: undefined;
}

function unionRanges(a: readonly TimeRange[], b: readonly TimeRange[]): TimeRange[] {
  return normaliseRanges([...a, ...b]);
}

/**
 * The derivation of `intervalMs` of `nodeId`, or undefined when it is read as stored (no base
 * interval, or the base itself). An interval that is no whole multiple of the base (only a dataset
 * not configured that way could ask) is `invalid_request` naming `interval`.
 */
export function derivationOf(catalog: Pick<DatasetCatalog, 'baseInterval'>, nodeId: string, intervalMs: number): Derivation | undefined {
  const baseMs = catalog.baseInterval(nodeId);
  if (baseMs === undefined || baseMs === intervalMs) return undefined;
  if (intervalMs < baseMs || intervalMs % baseMs !== 0) {
    throw new InvalidRequestError(
      'interval',
      `${formatInterval(intervalMs)} cannot be derived from ${nodeId}'s base interval ${formatInterval(baseMs)}: ask for the base or a whole multiple of it`,
      { reason: 'interval_not_derivable', baseInterval: formatInterval(baseMs), baseIntervalMs: baseMs },
    );
  }
  return { baseMs, intervalMs };
}

export function derivedFrom(derivation: Derivation): DerivedFrom {
  return { interval: formatInterval(derivation.baseMs), intervalMs: derivation.baseMs };
}

/** `range` widened outward to whole buckets of `intervalMs` on the epoch grid. */
export function bucketRange(range: TimeRange, intervalMs: number): TimeRange {
  return { start: alignDown(range.start, intervalMs), end: alignUp(range.end, intervalMs) };
}

/** The whole buckets inside each range (start up, end down). */
function innerBuckets(ranges: readonly TimeRange[], intervalMs: number): TimeRange[] {
  const out: TimeRange[] = [];
  for (const r of ranges) {
    const start = alignUp(r.start, intervalMs);
    const end = alignDown(r.end, intervalMs);
    if (end > start) out.push({ start, end });
  }
  return out;
}

/** The buckets each range touches (start down, end up). */
function outerBuckets(ranges: readonly TimeRange[], intervalMs: number): TimeRange[] {
  return normaliseRanges(ranges.map((r) => bucketRange(r, intervalMs)));
}

function ofState(base: readonly CoverageRange[], state: CoverageState): TimeRange[] {
  return normaliseRanges(base.filter((r) => r.state === state).map((r) => ({ start: r.start, end: r.end })));
}

/** Base coverage (any order) in buckets of `intervalMs`, sorted, one state per range (see the header). */
export function bucketCoverage(base: readonly CoverageRange[], intervalMs: number): DerivedCoverageRange[] {
  const stored = ofState(base, 'stored');
  const knownEmpty = ofState(base, 'known_empty');
  const failed = ofState(base, 'failed');
  const good = unionRanges(stored, knownEmpty);
  const complete = innerBuckets(good, intervalMs);
  const allEmpty = innerBuckets(knownEmpty, intervalMs);
  const touched = outerBuckets(unionRanges(good, failed), intervalMs);
  const incomplete = subtractRanges(touched, complete);
  const goodTouched = outerBuckets(good, intervalMs);
  const out: DerivedCoverageRange[] = [];
  const add = (ranges: readonly TimeRange[], state: DerivedCoverageState): void => {
    for (const r of ranges) out.push({ start: r.start, end: r.end, state });
  };
  add(subtractRanges(complete, allEmpty), 'stored');
  add(allEmpty, 'known_empty');
  add(intersectRanges(incomplete, goodTouched), 'partial');
  add(subtractRanges(incomplete, goodTouched), 'failed');
  return out.sort((a, b) => a.start - b.start);
}
