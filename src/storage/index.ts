// The door of storage: engines behind the BarStore interface (embedded DuckDB, PostgreSQL), the
// embedded database that also keeps the schema registry, the report archive and ingest findings,
// and storage's own errors.
export { createDuckDbBarStore } from './duckdb/duckdb-bar-store.js';
export { createEmbeddedDatabase } from './duckdb/embedded-database.js';
export { DEFAULT_REPORT_LIST_LIMIT, MAX_REPORT_LIST_LIMIT } from './duckdb/duckdb-report-archive.js';
export { DatasetSchemaConflictError, StorageEngineError, StorageUnavailableError } from './errors.js';
export { createPostgresStorage, DEFAULT_PG_CONNECT_TIMEOUT_MS, DEFAULT_PG_POOL_MAX } from './postgres/postgres-storage.js';

export type {
  BarStore, CoverageClaim, CoverageRange, CoverageState, DatasetKey, DatasetSummary, Fence, WriteBatch, WriteReport,
} from './bar-store.js';
export type { DuckDbBarStoreOptions } from './duckdb/duckdb-bar-store.js';
export type { EmbeddedDatabase, EmbeddedDatabaseOptions } from './duckdb/embedded-database.js';
export type { StorageFailure, StorageFailureReason, WalFinding } from './storage-failure.js';
export type { PostgresStorage, PostgresStorageOptions } from './postgres/postgres-storage.js';
