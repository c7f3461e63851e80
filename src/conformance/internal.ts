// The internal door of conformance, for tests and benches only (ARCHITECTURE.md §2): the names they
// check that no other folder of src/ needs. No folder of src/ imports it.
export { FLAG_CATALOGUE } from './flags.js';
export { inferEpochUnit } from './timestamp-normaliser.js';

export type { CheckInput, CheckResult, ConformanceOptions } from './conformance-pipeline.js';
export type { RawBatch, RawColumn } from './raw-batch.js';
