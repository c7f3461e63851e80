/**
 * Derived reads and fill modes (issue 15 items 1 and 7), around the read pipeline.
 *
 * A dataset with a `baseInterval` answers every interval that is a whole multiple of the base by
 * reading its BASE bars through the whole pipeline (cache, coverage, backfill of missing base
 * bars, conformance, SLA, tracing, metrics: `readBase` is the pipeline itself) and then
 * resampling them (src/core/resample: open first, high max, low min, close last, volume sum).
 * Only closed buckets are answered. A bucket that a missing base range overlaps is partial: the
 * answer is then `partial`, `missingRanges` lists the missing base bars, and
 * `resample.partialBuckets` counts them. `align` (an IANA zone) opens 1d buckets at local
 * midnight and 1w buckets on Monday at local midnight, DST-correct.
 *
 * Fill modes apply to any answer, derived or not: `none` (default), `null`, `prev`; filled bars
 * are reported in `metadata.filled`, from the first bar of the answer to its last closed bar.
 *
 * The derived answer is cached under its own key (dataset, base interval, world, asOf,
 * conformance version, target interval, align), which shares the base dataset's key prefix so
 * invalidating the base (a repair) drops it too. It is cached before fill (fill is a cheap,
 * deterministic pass whose rows must be reported on every read) and only when complete.
 */
import {
  FILL_MODES, InvalidRequestError, InvertedRangeError, bucketEdges, checkAlign, edgesOnGrid, fillGaps, fingerprintFrameAsync,
  formatInterval, parseInterval, parseTime, partialBuckets, resampleOhlcv,
} from '../../core/index.js';
import type { FillMode, Frame, TimeRange } from '../../core/index.js';
import type { DatasetCatalog } from '../dataset-catalog.js';
import type { FetchRequest } from './fetch-request.js';
import type { FetchResult, ReadMetadata } from './read-metadata.js';

/** What a read asks beyond the pipeline: a derived interval (with its base and alignment) and a fill mode. */
export interface ReadPlan {
  readonly fill: FillMode;
  /** Set when the interval is derived from the dataset's base interval. */
  readonly derived: { readonly baseMs: number; readonly intervalMs: number; readonly align: string | undefined } | undefined;
}

export interface ResampleMetadata {
  readonly baseInterval: string;
  readonly baseIntervalMs: number;
  /** The IANA zone of daily/weekly buckets; null: the epoch (UTC) grid. */
  readonly align: string | null;
  /** Closed buckets in the answer's range. */
  readonly buckets: number;
  /** Buckets a missing base range overlaps (their bars are built from the base bars present). */
  readonly partialBuckets: number;
  /** The start of each partial bucket. */
  readonly partialBucketStarts: readonly number[];
  /** Base bars read. */
  readonly baseRows: number;
}

export interface FillMetadata {
  readonly mode: Exclude<FillMode, 'none'>;
  /** Rows added by the fill. */
  readonly bars: number;
  /** The filled bars, as merged half-open ranges. */
  readonly ranges: readonly TimeRange[];
}

const NOT_DERIVED: ReadPlan = { fill: 'none', derived: undefined };

/** Checks `align` and `fill` and decides whether the read is derived; bad input is `invalid_request` naming the field. */
export function planRead(request: FetchRequest, catalog: DatasetCatalog): ReadPlan {
  if (request === null || typeof request !== 'object') return NOT_DERIVED;
  const fill = parseFill(request.fill);
  const align = request.align === undefined || request.align === '' ? undefined : request.align;
  if (align !== undefined && typeof align !== 'string') throw new InvalidRequestError('align', 'must be an IANA time zone name such as America/New_York');
  // Other bad input (no node, no interval) is the pipeline's to name.
  if (typeof request.nodeId !== 'string' || request.interval === undefined || request.interval === '') return { fill, derived: undefined };
  const baseMs = catalog.baseInterval(request.nodeId);
  const intervalMs = parseInterval(request.interval, 'interval');
  if (baseMs === undefined || intervalMs === baseMs) {
    if (align !== undefined) {
      checkAlign(align, intervalMs);
      throw new InvalidRequestError('align', `${request.nodeId} ${formatInterval(intervalMs)} is stored bars on the UTC grid; align applies to intervals derived from a baseInterval`, { value: align });
    }
    return { fill, derived: undefined };
  }
  if (intervalMs < baseMs || intervalMs % baseMs !== 0) {
    throw new InvalidRequestError(
      'interval',
      `${formatInterval(intervalMs)} cannot be derived from ${request.nodeId}'s base interval ${formatInterval(baseMs)}: ask for the base or a whole multiple of it`,
      { reason: 'interval_not_derivable', value: request.interval, baseInterval: formatInterval(baseMs), baseIntervalMs: baseMs },
    );
  }
  if (align !== undefined) checkAlign(align, intervalMs);
  return { fill, derived: { baseMs, intervalMs, align } };
}

function parseFill(value: unknown): FillMode {
  if (value === undefined || value === '') return 'none';
  if (typeof value === 'string' && (FILL_MODES as readonly string[]).includes(value)) return value as FillMode;
  throw new InvalidRequestError('fill', `unknown fill mode ${JSON.stringify(value)}; one of ${FILL_MODES.join(', ')}`, { value: String(value) });
}

/** A read of a derived interval: the base bars through `readBase` (the pipeline), resampled, then filled. */
export async function derivedRead(
  request: FetchRequest, plan: ReadPlan & { derived: NonNullable<ReadPlan['derived']> }, readBase: (r: FetchRequest) => Promise<FetchResult>,
): Promise<FetchResult> {
  const { baseMs, intervalMs, align } = plan.derived;
  if (request.includeBuilding === true) {
    throw new InvalidRequestError('includeBuilding', `is not available for ${formatInterval(intervalMs)}, which is derived from ${formatInterval(baseMs)} bars: ask for the base interval`);
  }
  if (request.start === undefined || request.start === '') throw new InvalidRequestError('start', 'is required (epoch ms or ISO-8601)');
  if (request.end === undefined || request.end === '') throw new InvalidRequestError('end', 'is required (epoch ms or ISO-8601)');
  const requested = { start: parseTime(request.start, 'start'), end: parseTime(request.end, 'end') };
  if (requested.end <= requested.start) throw new InvertedRangeError(requested.start, requested.end);
  const edges = bucketEdges(requested, intervalMs, align);
  if (align !== undefined && !edgesOnGrid(edges, baseMs)) {
    throw new InvalidRequestError('align', `local midnights of ${align} are not on the ${formatInterval(baseMs)} grid of the base bars`, { value: align });
  }
  const aligned = { start: edges[0], end: edges[edges.length - 1] };
  const base = await readBase({ ...request, interval: baseMs, start: aligned.start, end: aligned.end, includeBuilding: false, align: undefined, fill: undefined });
  const bm = base.metadata;
  // Closed buckets only: a bucket exists once its last base bar has closed.
  let k = edges.length - 1;
  while (k > 0 && edges[k] > bm.closedRange.end) k--;
  const closedEdges = edges.subarray(0, k + 1);
  const { frame: resampled } = resampleOhlcv(base.frame, closedEdges);
  const partial = partialBuckets(closedEdges, bm.missingRanges);
  const filled = plan.fill === 'none' ? undefined : fillGaps(resampled, closedEdges, plan.fill);
  const answer = filled?.frame ?? resampled;
  const resample: ResampleMetadata = {
    baseInterval: formatInterval(baseMs), baseIntervalMs: baseMs, align: align ?? null,
    buckets: Math.max(0, closedEdges.length - 1), partialBuckets: partial.length, partialBucketStarts: partial, baseRows: base.frame.length,
  };
  const metadata: ReadMetadata = {
    ...bm,
    interval: formatInterval(intervalMs),
    intervalMs,
    requestedRange: requested,
    alignedRange: aligned,
    rangeAdjusted: aligned.start !== requested.start || aligned.end !== requested.end,
    closedRange: { start: aligned.start, end: closedEdges.length > 0 ? closedEdges[closedEdges.length - 1] : aligned.start },
    rows: answer.length,
    partial: bm.partial || partial.length > 0,
    fingerprint: await fingerprintFrameAsync(answer),
    resample,
    filled: fillMetadata(plan.fill, filled),
  };
  return { frame: answer, metadata };
}

/** Fill on an answer of the pipeline (not derived): the epoch grid of its interval, up to its last closed bar. */
export async function filledRead(result: FetchResult, fill: FillMode): Promise<FetchResult> {
  if (fill === 'none') return result;
  const { frame, metadata } = result;
  const closed = metadata.closedRange;
  const edges = frame.length === 0 ? new Float64Array(0) : bucketEdges({ start: frame.ts[0], end: closed.end }, metadata.intervalMs);
  // The grid's last edge is the closed end (on the grid): nothing is filled after the last closed bar.
  const filled = fillGaps(frame, edges.length > 0 && edges[edges.length - 1] > closed.end ? edges.subarray(0, edges.length - 1) : edges, fill);
  if (filled.bars === 0) return { frame, metadata: { ...metadata, filled: fillMetadata(fill, filled) } };
  const answer: Frame = filled.frame;
  return { frame: answer, metadata: { ...metadata, rows: answer.length, fingerprint: await fingerprintFrameAsync(answer), filled: fillMetadata(fill, filled) } };
}

function fillMetadata(mode: FillMode, filled: { readonly bars: number; readonly ranges: TimeRange[] } | undefined): FillMetadata | null {
  if (mode === 'none' || filled === undefined) return null;
  return { mode, bars: filled.bars, ranges: filled.ranges };
}
