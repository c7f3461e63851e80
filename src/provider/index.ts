// The door of provider: the read path (and the live hub it blends from).
export { createDataProvider } from './read/data-provider.js';
export { UnknownDatasetError } from './errors.js';
export { createResponseCache, datasetKeyPrefix } from './response-cache.js';
export { createDatasetCatalog } from './dataset-catalog.js';
export { createConformanceStage, REPORT_URI_PREFIX } from './read/conformance-stage.js';
export { createFindingsIndex, watchWrites } from './findings-index.js';
export { createSlaStage } from './read/sla-stage.js';
export { BackfillSuspendedError, RemoteCoordinatorStorageError } from './errors.js';
export { validateNodeId, STRATEGIES, DOMAINS } from './read/fetch-request.js';
export { createLiveHub } from './live/live-hub.js';
export { MAX_UNIVERSE_NODES, validateUniverseNodes } from './universe/universe-request.js';
export { UniverseReadFailedError } from './errors.js';

export type { DataProvider, FetchResult } from './read/data-provider.js';
export type { FetchRequest, Strategy } from './read/fetch-request.js';
export type { ReadMetadata } from './read/read-metadata.js';
export type { ResponseCache, CacheStats } from './response-cache.js';
export type { DatasetCatalog, DatasetListing, ResolvedDataset } from './dataset-catalog.js';
export type { LiveHub, LiveDatasetSpec } from './live/live-hub.js';
export type { GapRecovery } from './live/gap-recovery.js';
export type { DatasetOutcome, UniverseMetadata, UniverseRequest, UniverseResult } from './universe/universe-request.js';
