/**
 * The resampling kernel: OHLCV bars of a base interval aggregated into buckets (bucket-grid.ts)
 * in one pass over the columns: open = first, high = max, low = min, close = last, volume = sum.
 * NaN propagates (Math.max/min and +), so a defective base bar stays visible in its bucket.
 * A bucket without any base bar gives no row (a gap stays a gap; see fill.ts).
 *
 * Columnar: one indexed loop over Float64Arrays; no per-row objects (STYLE.md §12). The output
 * columns are allocated once at the bucket count and returned as views of the rows written.
 */
import { InternalError } from '../errors.js';
import { createFrame, emptyFrame } from '../frame.js';
import type { Frame } from '../frame.js';
import type { TimeRange } from '../range.js';

export interface Resampled {
  /** One row per bucket holding at least one base bar, stamped with the bucket's start. */
  readonly frame: Frame;
  /** Base bars aggregated into each row of `frame`. */
  readonly baseRows: Int32Array;
}

/**
 * Aggregates the OHLCV `base` frame (ts ascending) into the buckets of `edges`; base rows outside
 * `[edges[0], edges[last])` are left out.
 */
export function resampleOhlcv(base: Frame, edges: Float64Array): Resampled {
  if (base.schema.name !== 'ohlcv') throw new InternalError(`resampling needs an ohlcv frame, not ${base.schema.name}`);
  const buckets = edges.length - 1;
  if (buckets <= 0 || base.length === 0) return { frame: emptyFrame(base.schema), baseRows: new Int32Array(0) };
  const ts = base.ts;
  const [open, high, low, close, volume] = base.values;
  const oTs = new Float64Array(buckets);
  const oOpen = new Float64Array(buckets);
  const oHigh = new Float64Array(buckets);
  const oLow = new Float64Array(buckets);
  const oClose = new Float64Array(buckets);
  const oVolume = new Float64Array(buckets);
  const rows = new Int32Array(buckets);
  const n = base.length;
  let i = 0;
  const first = edges[0];
  while (i < n && ts[i] < first) i++;
  let out = -1;
  let b = 0;
  let bucketEnd = edges[1];
  let current = -1;
  for (; i < n; i++) {
    const t = ts[i];
    if (t >= bucketEnd) {
      // Advance to the bucket holding t (buckets are few; a gap skips several at once).
      while (b < buckets && t >= edges[b + 1]) b++;
      if (b >= buckets) break;
      bucketEnd = edges[b + 1];
    }
    if (b !== current) {
      current = b;
      out++;
      oTs[out] = edges[b];
      oOpen[out] = open[i];
      oHigh[out] = high[i];
      oLow[out] = low[i];
      oClose[out] = close[i];
      oVolume[out] = volume[i];
      rows[out] = 1;
      continue;
    }
    oHigh[out] = Math.max(oHigh[out], high[i]);
    oLow[out] = Math.min(oLow[out], low[i]);
    oClose[out] = close[i];
    oVolume[out] += volume[i];
    rows[out]++;
  }
  const len = out + 1;
  const frame = createFrame(base.schema, oTs.subarray(0, len), [oOpen.subarray(0, len), oHigh.subarray(0, len), oLow.subarray(0, len), oClose.subarray(0, len), oVolume.subarray(0, len)]);
  return { frame, baseRows: rows.subarray(0, len) };
}

/**
 * The buckets of `edges` that overlap a range of `missing` (normal form: sorted, disjoint): the
 * buckets that are not complete. Returned as the start of each such bucket, ascending.
 */
export function partialBuckets(edges: Float64Array, missing: readonly TimeRange[]): number[] {
  const out: number[] = [];
  let m = 0;
  for (let b = 0; b + 1 < edges.length && m < missing.length; b++) {
    const s = edges[b];
    const e = edges[b + 1];
    while (m < missing.length && missing[m].end <= s) m++;
    if (m < missing.length && missing[m].start < e) out.push(s);
  }
  return out;
}
