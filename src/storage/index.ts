// The door of storage: engines behind the BarStore interface, and storage's own errors.
export { createDuckDbBarStore } from './duckdb/duckdb-bar-store.js';
export { DatasetSchemaConflictError, StorageEngineError } from './errors.js';

export type {
  BarStore, CoverageClaim, CoverageRange, CoverageState, DatasetKey, DatasetSummary, Fence, WriteBatch, WriteReport,
} from './bar-store.js';
export type { DuckDbBarStoreOptions } from './duckdb/duckdb-bar-store.js';
