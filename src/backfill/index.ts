// The door of backfill: the coordinator interface, the distributed coordinator, lease stores and the shard worker.
export { createDistributedCoordinator, DEFAULT_LEASE_MS, DEFAULT_HEARTBEAT_MS } from './distributed-coordinator.js';
export { createShardFetcher, prepareBatch } from './shard-fetcher.js';
export { createCoordinatorClient, DEFAULT_COORDINATOR_TIMEOUT_MS } from './remote/coordinator-client.js';
export { startRemoteWorker } from './remote/remote-worker.js';
export { createRemoteCoordinator } from './remote/remote-coordinator.js';
export { encodeShardUpload, decodeShardUpload, SHARD_UPLOAD_CONTENT_TYPE, SHARD_UPLOAD_METADATA_KEY } from './remote/shard-upload-codec.js';
export { normaliseIngest } from './ingest-normaliser.js';
export { checkJobSize, DEFAULT_JOB_LIMITS, DEFAULT_MAX_BARS_PER_JOB, DEFAULT_MAX_SHARDS_PER_JOB } from './job-limits.js';
export { shardKey } from './shard-key.js';
export { StaleLeaseError, LeaseStoreUnavailableError, OpaqueLeaseLimitError } from './errors.js';
export { parseLeaseToken } from './lease-token.js';
export { createRemotePermitAuthority, DEFAULT_PERMIT_WAIT_MS } from './remote/upstream-permit-client.js';
export { createMemoryLeaseBackend, createMemoryLeaseStore } from './memory-lease-store.js';
export {
  assertCurrentLease, claimShard, compareClaimOrder, completeShard, failShard, heartbeatShard, isClaimable, isLeaseExpired,
  KNOWN_EMPTY_RECHECK_MS, newShardRecord, reensureShard, reopenShard, requeueExpiredShard,
  isOpaqueExpired, isOpaqueShard, DEFAULT_OPAQUE_LEASE_GRACE_MS, DEFAULT_OPAQUE_LEASE_MAX_KEYS, newOpaqueRecord, opaqueExpiresAt,
} from './shard-transitions.js';
export { parseKnownEmptyProvenance } from './known-empty-provenance.js';

export type {
  BackfillCoordinator, BackfillEvent, BackfillJob, BackfillRequest, BackfillTarget, JobState, JobStatus, ShardPriority, ShardState, ShardStatus,
} from './coordinator.js';
export type { PreparedBatch, ShardFetcher, ShardFetcherDeps, ShardOutcome, ShardTask } from './shard-fetcher.js';
export type { CoordinatorClient, CoordinatorClientOptions } from './remote/coordinator-client.js';
export type { RemoteLease, RemoteWorker, RemoteWorkerEvent, RemoteWorkerOptions, WorkerCoordinator } from './remote/remote-worker.js';
export type { IngestFindings, NormalisedBatch } from './ingest-normaliser.js';
export type { JobLimits, JobSize } from './job-limits.js';
export type { LeaseTokenInput } from './lease-token.js';
export type {
  ShardRecord, ShardSpec, JobRecord, ClaimResult, ShardChange, LeaseStore, LeaseStoreQuorum, OpaqueLeasePolicy, EnsureOptions,
  KnownEmptyProvenance, ShardResult,
} from './lease-store.js';
export type { MemoryLeaseBackend } from './memory-lease-store.js';
export type { LeaseAuthority, LeaseGrant, ClaimOutcome, KnownEmptyEvidence, ShardCompletion, ShardUpload } from './lease-authority.js';
export type { BackfillEventType } from './coordinator.js';
export type { DistributedCoordinator, DistributedCoordinatorOptions } from './distributed-coordinator.js';
export type { RemotePermitAuthorityOptions } from './remote/upstream-permit-client.js';
export type { RemoteCoordinatorOptions } from './remote/remote-coordinator.js';
