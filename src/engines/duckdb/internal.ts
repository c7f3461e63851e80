// The internal door of engines/duckdb, for tests and benches only (ARCHITECTURE.md §2): the names they
// check that no other folder of src/ needs. No folder of src/ imports it.
export { openDatabaseHandle } from './duckdb-database.js';
export { barStoreOn, createDuckDbBarStore } from './duckdb-bar-store.js';
export { createEmbeddedDatabase } from './embedded-database.js';
export { DUCKDB_MIGRATIONS, migrate } from './duckdb-migrations.js';
export { DEFAULT_REPORT_LIST_LIMIT, MAX_REPORT_LIST_LIMIT, reportListLimit } from './duckdb-report-archive.js';
export { inspectWal } from './wal-inspection.js';
export { createReaderPool, createSerialQueue } from './connection.js';
export { createBuckets, finishBuckets, placeChunk } from './dataset-buckets.js';
export { DuckDbVersionIndex, VersionColumns } from './duckdb-version-index.js';
export { orderByTs } from './grid-order.js';
export { SHORT_QUEUE } from './duckdb-claimable.js';
export { createWriteCoalescer } from './write-coalescer.js';
