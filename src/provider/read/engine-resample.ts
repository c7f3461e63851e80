/**
 * Resampling inside the storage engine (issue 15): a derived read whose base bars are all read
 * from storage asks the engine for bucket aggregates (`OhlcvBucketReader`, DuckDB) instead of
 * bringing every base bar into a frame. The answer must be byte-identical to the JS path
 * (storage rows → conformance → src/core/resample), so this module serves the read only when it
 * can PROVE that path's outcome, and otherwise hands the read back to it (`undefined`):
 *
 *  - the buckets the engine groups by are sub-buckets of the answer's (`subBucketMs`: every edge,
 *    UTC or time-zone aligned, is a multiple of their width), folded into the answer here;
 *  - open, high, low come from the engine (first by ts; max and min of finite, non-zero values do
 *    not depend on the order); close and volume from each row placed in its base-bar slot, so the
 *    volume is summed in ts order exactly as the kernel sums it;
 *  - conformance: a suspect row (non-finite or inconsistent price, zero high/low), a misaligned or
 *    duplicated ts, a non-finite or negative volume, a price jump, a stale run or a gap outside
 *    the known-empty ranges sends the read back to the JS path, which reports them; so does a
 *    registry schema or an ingest finding (`ConformanceStage.withoutFrame`). What is served here
 *    is therefore exactly what the JS path calls clean (no flags, no warnings, no report).
 *
 * Not used for as-of reads, cache or live pieces, or a store without the capability: there the
 * JS path runs as before. Columnar: typed arrays, indexed loops (STYLE.md §12).
 */
import { abortable, alignDown, alignUp, normaliseRanges, ohlcvOutput, subtractRanges } from '../../core/index.js';
import type { Frame, FrameSchema, TimeRange } from '../../core/index.js';
import { readsOhlcvBuckets } from '../../storage/index.js';
import type { OhlcvBucketReader, OhlcvBuckets } from '../../storage/index.js';
import { CONFORMANCE_VERSION } from '../../conformance/index.js';
import type { ResponseCache } from '../response-cache.js';
import { conformanceKnownEmpty } from './conformance-stage.js';
import { slaCut } from './read-context.js';
import type { DataProviderDeps, ReadContext } from './read-context.js';

/** What a derived read asks of its base pipeline: the edges of every bucket of the answer. */
export interface EngineResamplePlan {
  readonly edges: Float64Array;
  readonly intervalMs: number;
  readonly align: string | undefined;
}

/** The quality bounds conformance judges closes by (its options). */
export interface QualityBounds {
  readonly priceJumpMaxAbsLogReturn: number;
  readonly stalePriceMinRun: number;
}

/** The base bars of a read as the engine aggregated them, each row placed in its base-bar slot. */
export interface EngineBuckets {
  readonly baseMs: number;
  /** The ts of slot 0 (the read's closed range start). */
  readonly start: number;
  readonly present: Uint8Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
  readonly aggregates: OhlcvBuckets;
  /** Base rows read. */
  readonly rows: number;
  /** The ts of the last base row; undefined without rows. */
  readonly lastTs: number | undefined;
  /** Set when the answer came from the response cache (an engine answer of the same bars): the resampled bars. */
  readonly cached?: Frame;
}

/** What a cached engine answer stood for, by the frame the cache holds (the cache drops the frame when a write invalidates it). */
const engineAnswers = new WeakMap<Frame, { readonly rows: number; readonly lastTs: number | undefined }>();

/**
 * The cache key of an engine answer: beside the derived answer's (same base-dataset prefix, so a
 * write or repair of the base drops it), apart from it because it also vouches for the proof
 * above (a JS-path answer may have had findings).
 */
export function engineCacheKey(nodeId: string, baseMs: number, worldId: string | null, intervalMs: number, align: string | undefined): string {
  return JSON.stringify([nodeId, baseMs, worldId, null, CONFORMANCE_VERSION, 'resample-engine', intervalMs, align ?? null]);
}

/** Caches an engine answer over the base read's closed range (the same read later finds it whole, or reads again). */
export function rememberEngineAnswer(cache: ResponseCache, key: string, closed: TimeRange, frame: Frame, b: EngineBuckets, since: number | undefined): void {
  if (b.cached !== undefined || closed.end <= closed.start) return;
  engineAnswers.set(frame, { rows: b.rows, lastTs: b.lastTs });
  cache.insert(key, closed, frame, since);
}

function cachedEngineAnswer(cache: ResponseCache | undefined, key: string, closed: TimeRange, baseMs: number): EngineBuckets | undefined {
  const hit = cache?.lookup(key, closed);
  if (hit === undefined || hit.remaining.length > 0 || hit.pieces.length !== 1) return undefined;
  const frame = hit.pieces[0].segment.frame;
  const meta = engineAnswers.get(frame);
  if (meta === undefined || hit.pieces[0].segment.start !== closed.start || hit.pieces[0].segment.end !== closed.end) return undefined;
  const none = new Float64Array(0);
  const aggregates = { bucketMs: baseMs, starts: none, open: none, high: none, low: none, suspect: new Uint8Array(0), rowTs: none, rowClose: none, rowVolume: none };
  return { baseMs, start: closed.start, present: new Uint8Array(0), close: none, volume: none, aggregates, rows: meta.rows, lastTs: meta.lastTs, cached: frame };
}

/** Epoch-ms bounds inside which conformance reads a float ts as milliseconds without a finding (timestamp-normaliser.ts). */
const MS_UNIT_MIN = 1e11;
const MS_UNIT_MAX = 1e14;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** The widest bucket width dividing every edge: each such bucket lies inside one bucket of the answer. */
export function subBucketMs(edges: Float64Array): number {
  let g = 0;
  for (let i = 0; i < edges.length; i++) g = gcd(g, edges[i]);
  return g;
}

/** Whether the store can serve `plan` at all (the cheap checks, before any query). */
export function canReadInEngine<S extends object>(store: S, plan: EngineResamplePlan | undefined, schema: FrameSchema, baseMs: number): store is S & OhlcvBucketReader {
  if (plan === undefined || schema.name !== 'ohlcv' || !readsOhlcvBuckets(store)) return false;
  const g = subBucketMs(plan.edges);
  return g > 0 && g % baseMs === 0;
}

/**
 * Reads `range` (a whole closed range, on the base grid) as engine buckets and places each row;
 * `null` when the JS path must answer (see the header). `quality` undefined: conformance is
 * off, only what byte-identity needs is checked.
 */
export async function engineBuckets(
  read: (bucketMs: number) => Promise<OhlcvBuckets>, plan: EngineResamplePlan, range: TimeRange, baseMs: number,
  quality: QualityBounds | undefined, knownEmpty: readonly TimeRange[],
): Promise<EngineBuckets | null> {
  if (quality && (range.start < MS_UNIT_MIN || range.end >= MS_UNIT_MAX)) return null;
  const aggregates = await read(subBucketMs(plan.edges));
  for (let i = 0; i < aggregates.suspect.length; i++) if (aggregates.suspect[i] !== 0) return null;
  const slots = (range.end - range.start) / baseMs;
  const present = new Uint8Array(slots);
  const close = new Float64Array(slots);
  const volume = new Float64Array(slots);
  const { rowTs, rowClose, rowVolume } = aggregates;
  const n = rowTs.length;
  let last = -1;
  for (let i = 0; i < n; i++) {
    const d = (rowTs[i] - range.start) / baseMs;
    // A small-integer slot index keeps the typed-array accesses on V8's fast path (a double
    // index costs a conversion per access: ~3× this loop on 1M rows).
    const s = d | 0;
    // Off the grid, outside the range or a second row for one bar: the JS path judges it.
    if (s !== d || s < 0 || s >= slots || present[s] !== 0) return null;
    const v = rowVolume[i];
    if (quality && (v - v !== 0 || v < 0)) return null;
    present[s] = 1;
    close[s] = rowClose[i];
    volume[s] = v;
    if (s > last) last = s;
  }
  if (quality && (!closesClean(present, close, quality) || hasGaps(present, range.start, baseMs, knownEmpty))) return null;
  return { baseMs, start: range.start, present, close, volume, aggregates, rows: n, lastTs: last < 0 ? undefined : range.start + last * baseMs };
}

/** No `price_jump` and no `stale_price` over the closes in ts order (quality-ohlcv.ts, same tests). */
function closesClean(present: Uint8Array, close: Float64Array, q: QualityBounds): boolean {
  const up = Math.exp(q.priceJumpMaxAbsLogReturn);
  const down = Math.exp(-q.priceJumpMaxAbsLogReturn);
  const minRun = q.stalePriceMinRun;
  let prev = Number.NaN;
  let run = 0;
  for (let s = 0; s < present.length; s++) {
    if (present[s] === 0) continue;
    const c = close[s];
    if (c > 0 && prev > 0 && c < Infinity && prev < Infinity && (c > prev * up || c < prev * down)) return false;
    if (c === prev && c < Infinity && c > -Infinity) run++;
    else {
      if (run >= minRun) return false;
      run = 1;
    }
    prev = c;
  }
  return run < minRun;
}

/** Whether a bar without a row lies outside the known-empty ranges (temporal-rollup.ts: known-empty shrunk inward to whole bars). */
function hasGaps(present: Uint8Array, start: number, baseMs: number, knownEmpty: readonly TimeRange[]): boolean {
  const raw: TimeRange[] = [];
  for (let s = 0; s < present.length; s++) {
    if (present[s] !== 0) continue;
    let e = s;
    while (e < present.length && present[e] === 0) e++;
    raw.push({ start: start + s * baseMs, end: start + e * baseMs });
    s = e;
  }
  if (raw.length === 0) return false;
  const bars: TimeRange[] = [];
  for (const r of normaliseRanges(knownEmpty)) {
    const s = alignUp(r.start, baseMs);
    const e = alignDown(r.end, baseMs);
    if (e > s) bars.push({ start: s, end: e });
  }
  return subtractRanges(raw, bars).length > 0;
}

/** Base rows inside `ranges` (rows a backfill this read waited for wrote). */
export function rowsInRanges(b: EngineBuckets, ranges: readonly TimeRange[]): number {
  let n = 0;
  for (const r of ranges) {
    const from = Math.max(0, Math.ceil((r.start - b.start) / b.baseMs));
    const to = Math.min(b.present.length, Math.ceil((r.end - b.start) / b.baseMs));
    for (let s = from; s < to; s++) n += b.present[s];
  }
  return n;
}

/**
 * The answer's bars over `edges` (the closed buckets), as `resampleOhlcv` builds them from the
 * same base rows: one row per bucket holding a base row, stamped with the bucket's start.
 */
export function foldBuckets(b: EngineBuckets, edges: Float64Array, schema: FrameSchema): Frame {
  if (b.cached !== undefined) return b.cached;
  const buckets = Math.max(0, edges.length - 1);
  const o = ohlcvOutput(buckets);
  const { starts, open, high, low } = b.aggregates;
  const { present, close, volume, baseMs } = b;
  let j = 0;
  let out = 0;
  for (let k = 0; k < buckets; k++) {
    const lo = edges[k];
    const hi = edges[k + 1];
    const s1 = Math.min(present.length, ((hi - b.start) / baseMs) | 0);
    let first = -1;
    let c = 0;
    let v = 0;
    for (let s = Math.max(0, ((lo - b.start) / baseMs) | 0); s < s1; s++) {
      if (present[s] === 0) continue;
      // The kernel's order: the first row's volume, then each later row's added in ts order.
      if (first < 0) {
        first = s;
        v = volume[s];
      } else v += volume[s];
      c = close[s];
    }
    while (j < starts.length && starts[j] < lo) j++;
    if (first < 0) continue;
    o.ts[out] = lo;
    o.open[out] = open[j];
    let h = high[j];
    let l = low[j];
    for (j++; j < starts.length && starts[j] < hi; j++) {
      h = Math.max(h, high[j]);
      l = Math.min(l, low[j]);
    }
    o.high[out] = h;
    o.low[out] = l;
    o.close[out] = c;
    o.volume[out] = v;
    out++;
  }
  return o.frame(schema, out);
}

/**
 * The storage read of a derived read's base pipeline (strategy-runner.ts), in the engine: true
 * when it answered (`ctx.engineBuckets` set, or the SLA storage budget cut it: the range is then
 * missing, as a cut row read would leave it); false: read the rows.
 */
export async function engineStorageRead(ctx: ReadContext, deps: DataProviderDeps, backfilled: readonly TimeRange[], signal: AbortSignal | undefined): Promise<boolean> {
  const { req, resolved, closed, remaining, counts } = ctx;
  const { store } = deps;
  const plan = ctx.engineResample;
  if (plan === undefined || !canReadInEngine(store, plan, resolved.schema, req.intervalMs)) return false;
  const whole = remaining.length === 1 && remaining[0].start === closed.start && remaining[0].end === closed.end;
  if (!whole || req.asOf !== undefined || ctx.asOfServed !== undefined || ctx.pieces.length > 0) return false;
  const stage = deps.conformance;
  const quality = stage === undefined ? undefined : await stage.withoutFrame?.({ nodeId: req.nodeId, intervalMs: req.intervalMs, subject: resolved.subject, frameSchema: resolved.schema, closed }, false);
  if (stage !== undefined && quality === undefined) return false;
  // The same bars answered through the engine before (no write since): the answer the cache holds.
  const key = engineCacheKey(req.nodeId, req.intervalMs, req.worldId ?? null, plan.intervalMs, plan.align);
  const hit = backfilled.length === 0 ? cachedEngineAnswer(deps.cache, key, closed, req.intervalMs) : undefined;
  if (hit !== undefined) {
    ctx.engineBuckets = hit;
    counts.cache += hit.rows;
    // The answer comes whole from the response cache: a hit (of this second lookup; the base
    // bars' lookup before it missed, the engine path caching no base bars).
    ctx.cacheHit = true;
    deps.cache?.countHit();
    deps.metrics.cacheHits.inc();
    return true;
  }
  const knownEmpty = stage === undefined ? [] : await conformanceKnownEmpty(ctx, deps);
  const read = (bucketMs: number): Promise<OhlcvBuckets> => store.readOhlcvBuckets(resolved.dataset, closed, bucketMs);
  const outcome = await abortable(engineBuckets(read, plan, closed, req.intervalMs, quality, knownEmpty), signal).catch((error: unknown) => slaCut(error, ctx.sla));
  if (outcome === null) return false;
  if (outcome === undefined) {
    ctx.missing = normaliseRanges([...ctx.missing, closed]);
    return true;
  }
  ctx.engineBuckets = outcome;
  const fromBackfill = rowsInRanges(outcome, backfilled);
  counts.backfill += fromBackfill;
  counts.storage += outcome.rows - fromBackfill;
  return true;
}
