// The internal door of engines/postgres, for tests and benches only (ARCHITECTURE.md §2): the names they
// check that no other folder of src/ needs. No folder of src/ imports it.
export { createPostgresStorage } from './postgres-storage.js';
export { PG_MIGRATIONS, latestVersion, migrate } from './postgres-migrations.js';
export { monthsOf } from './postgres-partitions.js';
export { createBinaryCopyDecoder } from './binary-copy-decoder.js';
export { encodeBinaryCopy } from './binary-copy-encoder.js';
export { CHANGE_CHANNEL, PAYLOAD_LIMIT_BYTES, decodeChange, encodeChange } from './postgres-change-notify.js';
export { openPgChangeListener } from './postgres-change-listener.js';
export { POSITION_TTL_MS, createReadRouter } from './postgres-read-routing.js';

export type { PostgresStorage } from './postgres-storage.js';
export type { CopyColumnType } from './binary-copy-decoder.js';
export type { ReadRouter, ReplicaPosition, ReplicaProbe, Route } from './postgres-read-routing.js';
