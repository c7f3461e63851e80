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
import type { FrameSchema } from '../frame-schema.js';
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
  const o = ohlcvOutput(buckets);
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
      o.ts[out] = edges[b];
      o.open[out] = open[i];
      o.high[out] = high[i];
      o.low[out] = low[i];
      o.close[out] = close[i];
      o.volume[out] = volume[i];
      rows[out] = 1;
      continue;
    }
    o.high[out] = Math.max(o.high[out], high[i]);
    o.low[out] = Math.min(o.low[out], low[i]);
    o.close[out] = close[i];
    o.volume[out] += volume[i];
    rows[out]++;
  }
  const len = out + 1;
  const frame = o.frame(base.schema, len);
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

/** Output columns of an OHLCV aggregation, one row per bucket at most; `frame` keeps the first `rows`. */
export interface OhlcvOutput {
  readonly ts: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
  frame(schema: FrameSchema, rows: number): Frame;
}

export function ohlcvOutput(buckets: number): OhlcvOutput {
  const cols = Array.from({ length: 6 }, () => new Float64Array(buckets));
  const [ts, open, high, low, close, volume] = cols;
  return {
    ts, open, high, low, close, volume,
    frame: (schema, rows) => createFrame(schema, ts.subarray(0, rows), [open.subarray(0, rows), high.subarray(0, rows), low.subarray(0, rows), close.subarray(0, rows), volume.subarray(0, rows)]),
  };
}
