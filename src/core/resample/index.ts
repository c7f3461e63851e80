// The door of core/resample: bucket edges (UTC grid or a time zone), the OHLCV kernel, fill modes.
export { ALIGNABLE_INTERVALS_MS, bucketEdges, checkAlign, edgesOnGrid, isTimeZone } from './bucket-grid.js';
export { ohlcvOutput, partialBuckets, resampleOhlcv } from './ohlcv-resample.js';
export { FILL_MODES, fillGaps } from './fill.js';
export type { OhlcvOutput, Resampled } from './ohlcv-resample.js';
export type { FillMode, Filled } from './fill.js';
