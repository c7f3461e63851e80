// The internal door of core, for tests and benches only (ARCHITECTURE.md §2): the names they
// check that no other folder of src/ needs. No folder of src/ imports it.
export { createManualClock } from './clock.js';
export { columnNames } from './frame-schema.js';
export { ERROR_REASONS, ERROR_REASON_CODES } from './error-reasons.js';
export { MAX_INTERVAL_MS } from './interval.js';
export { coveredBars, isAlignedRange, totalLength, unionRanges } from './range.js';
export { ResourceStackDisposedError } from './resource-stack.js';
export { sliceByTime } from './frame.js';

export type { ManualClock } from './clock.js';
export type { WithSuppressed } from './resource-stack.js';
