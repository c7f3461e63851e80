// The door of storage: the ports only. The BarStore interface (versioned bars + coverage), the
// engine descriptor every src/engines/<engine> folder implements, and what engines share so that
// they behave alike: write validation, bar tables, the coverage algebra, storage's errors and the
// failure classification. No engine lives here (src/engines/*).
export { ALL_BAR_TABLES, barTableFor } from './bar-tables.js';
export { failCoverage, overlappingCoverage, rewriteCoverage, writtenCoverage } from './coverage-algebra.js';
export { DatasetSchemaConflictError, DuplicateSnapshotError, StorageEngineError, StorageUnavailableError } from './errors.js';
export { SNAPSHOT_PART_ROWS, decodeSnapshotParts, encodeSnapshotParts } from './snapshot-columns.js';
export type { SnapshotPart } from './snapshot-columns.js';
export { validateDataset, validateFence, validateFindings, validateRange, validateWriteBatch } from './write-validation.js';
export { barTableNamed, repairAuditEntry } from './repair-audit.js';
export { AsOfBeyondRetentionError, DEFAULT_VERSION_RETENTION_MS, checkAsOfRetention, contentHash, decodeVersionCoverage, distinctVersions, encodeVersionCoverage, versionSpan } from './bar-versions.js';
export { barsByState, coverageAfterPurge, removedCoverage, validatePurge } from './purge-plan.js';

export type {
  BarStore, CoverageClaim, CoverageRange, CoverageState, CoverageSummary, DatasetKey, DatasetSummary, DatedCoverageRange, Fence, ManyDatasetsFrame,
  WriteBatch, WriteReport, PurgeReport, PurgeRequest, RepairAction, RepairAuditEntry,
} from './bar-store.js';
export type { BarTable } from './bar-tables.js';
export { readsOhlcvBuckets } from './ohlcv-buckets.js';
export type { OhlcvBucketReader, OhlcvBuckets } from './ohlcv-buckets.js';
export type { SnapshotDatasetManifest, SnapshotDatasetRows, SnapshotManifest, SnapshotStore, SnapshotVersionSource } from './snapshot-store.js';
export type { AsOfFrame, BarVersion, VersionKind } from './bar-versions.js';
export type { RepairAuditRow } from './repair-audit.js';
export type { EngineContext, EngineDescriptor, ReadRoutingObserver } from './engine-descriptor.js';
export type { StorageFailure, StorageFailureReason, WalFinding } from './storage-failure.js';
export type { StorageChange, StorageChangeEvent, StorageChangeFeed, StorageChangeFeedHealth, StorageChangeKind } from './storage-change-feed.js';
