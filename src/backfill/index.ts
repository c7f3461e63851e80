// The door of backfill: the coordinator interface, the distributed coordinator, lease stores and the shard worker.
export { createDistributedCoordinator, DEFAULT_LEASE_MS } from './distributed-coordinator.js';
export { createShardFetcher } from './shard-fetcher.js';
export { createCoordinatorClient } from './remote/coordinator-client.js';
export { startRemoteWorker } from './remote/remote-worker.js';
export { createRemoteCoordinator } from './remote/remote-coordinator.js';
export { decodeShardUpload, SHARD_UPLOAD_CONTENT_TYPE } from './remote/shard-upload-codec.js';
export { StaleLeaseError, LeaseStoreUnavailableError, OpaqueLeaseLimitError } from './errors.js';
export { createRemotePermitAuthority } from './remote/upstream-permit-client.js';
export { createMemoryLeaseStore } from './memory-lease-store.js';
export {
  assignClaims, claimShard, compareClaimOrder, completeShard, failShard, heartbeatShard, isClaimable, newShardRecord, reensureShard,
  requeueExpiredShard, purgedShard, isOpaqueShard, DEFAULT_OPAQUE_LEASE_GRACE_MS, newOpaqueRecord, opaqueExpiresAt,
} from './shard-transitions.js';
export { parseKnownEmptyProvenance } from './known-empty-provenance.js';
export { createShardSizer, DEFAULT_BARS_PER_SHARD_BY_INTERVAL } from './shard-size.js';

export type {
  BackfillCoordinator, BackfillEvent, BackfillTarget, JobStatus, ShardPriority, ShardState, ShardStatus,
} from './coordinator.js';
export type { RemoteWorkerEvent } from './remote/remote-worker.js';
export type { LeaseTokenInput } from './lease-token.js';
export type {
  ShardRecord, ShardSpec, JobRecord, ClaimResult, ShardChange, LeaseStore, LeaseStoreQuorum, OpaqueLeasePolicy, EnsureOptions,
  KnownEmptyProvenance, ShardResult, ClaimGrant, ClaimSlot, ClaimBatchOptions, ArmedCompletion,
} from './lease-store.js';
export type { LeaseAuthority, KnownEmptyEvidence } from './lease-authority.js';
export type { ShardSizer, ShardSizePolicy } from './shard-size.js';
export type { BackfillEventType } from './coordinator.js';
