// The internal door of backfill, for tests and benches only (ARCHITECTURE.md §2): the names they
// check that no other folder of src/ needs. No folder of src/ imports it.
export { encodeShardUpload } from './remote/shard-upload-codec.js';
export { prepareBatch } from './shard-fetcher.js';
export { createMemoryLeaseBackend } from './memory-lease-store.js';
export { normaliseIngest } from './ingest-normaliser.js';
export { DEFAULT_MAX_BARS_PER_JOB, DEFAULT_MAX_SHARDS_PER_JOB, checkJobSize } from './job-limits.js';
export { KNOWN_EMPTY_RECHECK_MS } from './shard-transitions.js';
export { createJobTracker } from './job-tracker.js';

export type { DistributedCoordinator } from './distributed-coordinator.js';
export type { ShardUpload } from './lease-authority.js';
export type { MemoryLeaseBackend } from './memory-lease-store.js';
export type { BackfillRequest } from './coordinator.js';
export type { RemoteWorker, WorkerCoordinator } from './remote/remote-worker.js';
