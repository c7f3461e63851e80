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
 * The resample runs inside the base read's `seamless.pipeline` span (child `seamless.resample`),
 * admission and SLA window. The resampled answer is cached under its own key (dataset, base
 * interval, world, asOf, conformance version, target interval, align), which shares the base
 * dataset's key prefix so invalidating the base (a repair) drops it too; it is cached only when
 * complete, before fill (a cheap pass whose rows must be reported on every read), and reused
 * only when the base read itself was a whole cache hit — so the domain gate, SLA and
 * conformance still judge every read.
 */
import {
  FILL_MODES, InvalidRequestError, InvertedRangeError, bucketEdges, checkAlign, edgesOnGrid, fillGaps, fingerprintFrameAsync,
  formatInterval, parseInterval, parseTime, partialBuckets, resampleOhlcv,
} from '../../core/index.js';
import type { FillMode, TimeRange } from '../../core/index.js';
import { CONFORMANCE_VERSION } from '../../conformance/index.js';
import type { DatasetCatalog } from '../dataset-catalog.js';
import { engineCacheKey, foldBuckets, rememberEngineAnswer } from './engine-resample.js';
import type { EngineBuckets, EngineResamplePlan } from './engine-resample.js';
import type { ResponseCache } from '../response-cache.js';
import { memoFingerprint } from './cache-fill.js';
import type { FetchRequest } from './fetch-request.js';
import type { FetchResult, ReadMetadata } from './read-metadata.js';
import type { ReadTrace } from './read-trace.js';

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
  /** The resampled bars came from the response cache (the base read was a whole cache hit too). */
  readonly cached: boolean;
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
export function planRead(request: FetchRequest, catalog: Pick<DatasetCatalog, 'baseInterval'>): ReadPlan {
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
      throw new InvalidRequestError('align', `${request.nodeId} ${formatInterval(intervalMs)} is read as stored, on the UTC grid; align applies only to intervals derived from a baseInterval`, { value: align });
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

/**
 * `fill` and `align` of a read of many datasets, checked once for all (a universe read): a bad
 * value is a 400 for the whole read, not an error per dataset. Whether each dataset can be
 * aligned (it must derive the interval) is still judged per dataset by planRead.
 */
export function checkFillAndAlign(request: Pick<FetchRequest, 'fill' | 'align'>, intervalMs: number): void {
  parseFill(request.fill);
  const align = request.align;
  if (align === undefined || align === '') return;
  if (typeof align !== 'string') throw new InvalidRequestError('align', 'must be an IANA time zone name such as America/New_York');
  checkAlign(align, intervalMs);
}

function parseFill(value: unknown): FillMode {
  if (value === undefined || value === '') return 'none';
  if (typeof value === 'string' && (FILL_MODES as readonly string[]).includes(value)) return value as FillMode;
  throw new InvalidRequestError('fill', `unknown fill mode ${JSON.stringify(value)}; one of ${FILL_MODES.join(', ')}`, { value: String(value) });
}

/**
 * Turns the pipeline's answer into the caller's, inside the read's span (`seamless.resample`,
 * `seamless.fill`). `cacheEpoch`: the response cache's epoch before the pipeline read storage
 * (what an insert of a result computed from these bars passes as `since`).
 */
export type FinishRead = (result: FetchResult, trace: ReadTrace, cacheEpoch: number | undefined, engine?: EngineBuckets) => Promise<FetchResult>;

export interface PipelineOptions {
  /** Runs after the metadata step, inside the read's span, admission and SLA window. */
  readonly finish?: FinishRead;
  /** Fingerprint the pipeline's answer (default: unless `finish` replaces it). */
  readonly fingerprinted?: boolean;
  /** A derived read's buckets: the storage read may aggregate them in the engine (engine-resample.ts). */
  readonly engineResample?: EngineResamplePlan;
  /** The interval whose SLA policy judges the read (a derived read: the interval asked for). */
  readonly slaIntervalMs?: number;
}

/** The pipeline of one stored interval. */
export type ReadBase = (request: FetchRequest, options?: PipelineOptions) => Promise<FetchResult>;

/**
 * The cache key of a derived answer: under the BASE dataset's prefix (a repair that invalidates
 * the base drops it too), then the rest of a read's key, the target interval and the alignment.
 */
export function derivedCacheKey(nodeId: string, baseMs: number, worldId: string | null, asOf: number | null, intervalMs: number, align: string | undefined): string {
  return JSON.stringify([nodeId, baseMs, worldId, asOf, CONFORMANCE_VERSION, 'resample', intervalMs, align ?? null]);
}

/** A read of a derived interval: the base bars through the pipeline, resampled (or the cached resampled answer), then filled. */
export async function derivedRead(
  request: FetchRequest, plan: ReadPlan & { derived: NonNullable<ReadPlan['derived']> }, readBase: ReadBase, cache: ResponseCache | undefined, maxBars: number,
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
  const baseBars = (aligned.end - aligned.start) / baseMs;
  if (baseBars > maxBars) {
    throw new InvalidRequestError('end', `the range holds ${edges.length - 1} ${formatInterval(intervalMs)} bars derived from ${baseBars} ${formatInterval(baseMs)} bars, more than the maximum of ${maxBars} bars read; narrow it or read it in parts`, { bars: baseBars, maxBars });
  }
  const baseRequest = { ...request, interval: baseMs, start: aligned.start, end: aligned.end, includeBuilding: false, align: undefined, fill: undefined };
  return readBase(baseRequest, { slaIntervalMs: intervalMs, engineResample: { edges, intervalMs, align }, finish: (base, trace, since, engine) => trace.step('seamless.resample', async (span) => {
    const bm = base.metadata;
    // Closed buckets only: a bucket exists once its last base bar has closed.
    let k = edges.length - 1;
    while (k > 0 && edges[k] > bm.closedRange.end) k--;
    const closedEdges = edges.subarray(0, k + 1);
    const closed = { start: aligned.start, end: closedEdges[closedEdges.length - 1] };
    const partial = partialBuckets(closedEdges, bm.missingRanges);
    const key = derivedCacheKey(bm.nodeId, baseMs, bm.worldId, bm.asOf, intervalMs, align);
    // The resampled answer is reused only when the base read was answered whole by the cache
    // (so it is the same base bars); it is stored only when complete.
    const hit = cache && bm.cacheHit && closed.end > closed.start ? cache.lookup(key, closed) : undefined;
    const cached = hit && hit.remaining.length === 0 && hit.pieces.length === 1 ? hit.pieces[0] : undefined;
    // Aggregated in the engine (engine-resample.ts) or from the base rows: the same bars.
    const resampled = cached ? cached.frame : engine ? foldBuckets(engine, closedEdges, base.frame.schema) : resampleOhlcv(base.frame, closedEdges).frame;
    const baseRows = engine ? engine.rows : base.frame.length;
    if (cache && !cached && partial.length === 0 && bm.missingRanges.length === 0 && closed.end > closed.start) cache.insert(key, closed, resampled, since);
    if (cache && engine && partial.length === 0 && bm.missingRanges.length === 0) rememberEngineAnswer(cache, engineCacheKey(bm.nodeId, baseMs, bm.worldId, intervalMs, align), bm.closedRange, resampled, engine, since);
    const filled = plan.fill === 'none' ? undefined : fillGaps(resampled, closedEdges, plan.fill);
    const answer = filled?.frame ?? resampled;
    span?.setAttributes({ 'seamless.resample.base_rows': baseRows, 'seamless.resample.engine': engine !== undefined, 'seamless.resample.buckets': closedEdges.length - 1, 'seamless.resample.partial_buckets': partial.length, 'seamless.resample.cached': cached !== undefined || engine?.cached !== undefined });
    const resample: ResampleMetadata = {
      baseInterval: formatInterval(baseMs), baseIntervalMs: baseMs, align: align ?? null,
      buckets: closedEdges.length - 1, partialBuckets: partial.length, partialBucketStarts: partial, baseRows,
      cached: cached !== undefined || engine?.cached !== undefined,
    };
    const metadata: ReadMetadata = {
      ...bm,
      interval: formatInterval(intervalMs),
      intervalMs,
      requestedRange: requested,
      alignedRange: aligned,
      rangeAdjusted: aligned.start !== requested.start || aligned.end !== requested.end,
      closedRange: closed,
      rows: answer.length,
      partial: bm.partial || partial.length > 0,
      fingerprint: cached && answer === resampled ? memoFingerprint(cached, answer) : await fingerprintFrameAsync(answer),
      resample,
      filled: fillMetadata(plan.fill, filled),
    };
    return { frame: answer, metadata };
  }, { 'seamless.resample.interval_ms': intervalMs }) });
}

/** Fill on an answer of the pipeline (not derived): the epoch grid of its interval, from its first bar up to its last closed bar. */
export function fillStep(fill: Exclude<FillMode, 'none'>): FinishRead {
  return (result, trace) => trace.step('seamless.fill', async () => {
    const { frame, metadata } = result;
    const closed = metadata.closedRange;
    // closed.end is on the grid, so the last edge is the end of the last closed bar.
    const edges = frame.length === 0 ? new Float64Array(0) : bucketEdges({ start: frame.ts[0], end: closed.end }, metadata.intervalMs);
    const filled = fillGaps(frame, edges, fill);
    if (filled.bars === 0) return { frame, metadata: { ...metadata, filled: fillMetadata(fill, filled) } };
    return { frame: filled.frame, metadata: { ...metadata, rows: filled.frame.length, fingerprint: await fingerprintFrameAsync(filled.frame), filled: fillMetadata(fill, filled) } };
  });
}

function fillMetadata(mode: FillMode, filled: { readonly bars: number; readonly ranges: TimeRange[] } | undefined): FillMetadata | null {
  if (mode === 'none' || filled === undefined) return null;
  return { mode, bars: filled.bars, ranges: filled.ranges };
}
