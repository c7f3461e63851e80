// The door of provider: the read path (and the live hub it blends from).
export { createDataProvider, CONFORMANCE_VERSION } from './read/data-provider.js';
export { UnknownDatasetError } from './errors.js';
export { createResponseCache, cacheKey, datasetKeyPrefix } from './response-cache.js';
export { createDatasetCatalog } from './dataset-catalog.js';
export { createConformanceStage, reportUri, REPORT_URI_PREFIX } from './read/conformance-stage.js';
export { createFindingsIndex, watchWrites } from './findings-index.js';
export { createSlaStage } from './read/sla-stage.js';
export { BackfillSuspendedError, ConformanceBlockedError, DomainPolicyError, RemoteCoordinatorStorageError, SchemaValidationError } from './errors.js';
export { normaliseRequest, validateNodeId, STRATEGIES, DOMAINS, DEFAULT_STRATEGY } from './read/fetch-request.js';
export { createLiveHub, DEFAULT_LIVE_FLUSH_MS, DEFAULT_LIVE_FLUSH_BARS, DEFAULT_LIVE_MAX_GAP_BARS } from './live/live-hub.js';
export { createLiveBuffer } from './live/live-buffer.js';

export type { DataProvider, DataProviderDeps, FetchResult } from './read/data-provider.js';
export type { FetchRequest, FetchContext, NormalisedRequest, Strategy, Domain } from './read/fetch-request.js';
export type { ReadMetadata, SourceRowCounts } from './read/read-metadata.js';
export type { ResponseCache, CacheLimits, CacheLookup, CachePiece, CacheStats } from './response-cache.js';
export type { DatasetCatalog, DatasetListing, ResolvedDataset } from './dataset-catalog.js';
export type { ConformanceStage, ConformanceStageDeps, ConformanceInput, ConformanceOutcome } from './read/conformance-stage.js';
export type { FindingsIndex } from './findings-index.js';
export type { SlaStage, SlaRead, SlaVerdict } from './read/sla-stage.js';
export type { LiveHub, LiveHubDeps, LiveSnapshot, LiveDatasetSpec } from './live/live-hub.js';
export type { LiveBuffer, LiveUpdateOutcome } from './live/live-buffer.js';
export type { LiveGapBackfill, LiveGapJob, GapOutcome, GapRecovery } from './live/gap-recovery.js';
