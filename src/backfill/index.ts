// The door of backfill: the coordinator interface, the in-process coordinator and the shard worker.
export { createInProcessCoordinator } from './in-process-coordinator.js';
export { createDistributedCoordinator, DEFAULT_LEASE_MS, DEFAULT_HEARTBEAT_MS } from './distributed-coordinator.js';
export { createShardFetcher } from './shard-fetcher.js';
export { normaliseIngest } from './ingest-normaliser.js';
export { shardKey } from './shard-key.js';
export { backoffDelay, isRetryable, sleep } from './retry.js';
export { StaleLeaseError, LeaseStoreUnavailableError } from './errors.js';
export { createMemoryLeaseBackend, createMemoryLeaseStore } from './memory-lease-store.js';
export {
  assertCurrentLease, claimShard, compareClaimOrder, completeShard, failShard, heartbeatShard, isClaimable, isLeaseExpired,
  newShardRecord, reopenShard, requeueExpiredShard,
} from './shard-transitions.js';

export type {
  BackfillCoordinator, BackfillEvent, BackfillJob, BackfillRequest, BackfillTarget, JobState, JobStatus, ShardState, ShardStatus,
} from './coordinator.js';
export type { ShardFetcher, ShardFetcherDeps, ShardOutcome, ShardTask } from './shard-fetcher.js';
export type { InProcessCoordinatorOptions } from './in-process-coordinator.js';
export type { IngestFindings, NormalisedBatch } from './ingest-normaliser.js';
export type { RetryPolicy } from './retry.js';
export type { ShardRecord, ShardSpec, JobRecord, ClaimResult, ShardChange, LeaseStore } from './lease-store.js';
export type { MemoryLeaseBackend } from './memory-lease-store.js';
export type { CoordinatorService, LeaseGrant, ClaimOutcome, ShardUpload } from './coordinator-service.js';
export type { BackfillEventType } from './coordinator.js';
export type { DistributedCoordinator, DistributedCoordinatorOptions } from './distributed-coordinator.js';
