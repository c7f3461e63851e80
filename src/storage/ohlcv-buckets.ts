/**
 * What an engine answers for a resample done inside it (issue 15, `BarStore.readOhlcvBuckets`):
 * the OHLCV rows of one dataset over one range grouped into buckets of a fixed width on the epoch
 * grid, in two parts read in ONE snapshot of the store:
 *
 *  - per non-empty bucket (ascending): its start, the open of its first row, the max of its highs,
 *    the min of its lows, and whether any of its rows is `suspect` (a NULL or non-finite price,
 *    high below the body, low above it or above high, or a zero high/low, whose sign a max/min
 *    may not keep): order-independent aggregates the engine computes without sorting;
 *  - every row's ts, close and volume, in the engine's storage order (NOT sorted, NULL as NaN):
 *    what depends on the order of the rows (the close of the last bar, the sum of the volumes in
 *    ts order, the runs and jumps of the closes that conformance judges) is left to the caller,
 *    which places each row by its ts.
 *
 * Columnar: one Float64Array per field, no per-row objects (STYLE.md §12).
 */
import type { TimeRange } from '../core/index.js';
import type { DatasetKey } from './bar-store.js';

export interface OhlcvBuckets {
  /** Width of the buckets (ms); bucket `k` of the epoch grid is `[k·width, (k+1)·width)`. */
  readonly bucketMs: number;
  readonly starts: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  /** 1 when some row of the bucket is suspect (see the header), else 0. */
  readonly suspect: Uint8Array;
  /** Every row of the range in storage order. */
  readonly rowTs: Float64Array;
  readonly rowClose: Float64Array;
  readonly rowVolume: Float64Array;
}

/** The capability, beside `BarStore` (an engine without it resamples from `read`'s rows). */
export interface OhlcvBucketReader {
  /** The rows of `range` of an ohlcv dataset as buckets of `bucketMs`, plus their ts, close and volume, in one snapshot. */
  readOhlcvBuckets(dataset: DatasetKey, range: TimeRange, bucketMs: number): Promise<OhlcvBuckets>;
}

/** Whether `store` resamples inside its engine. */
export function readsOhlcvBuckets<S extends object>(store: S): store is S & OhlcvBucketReader {
  return 'readOhlcvBuckets' in store && typeof store.readOhlcvBuckets === 'function';
}
