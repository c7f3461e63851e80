// The door of provider: the read path (and the live hub it blends from).
export { createDataProvider } from './read/data-provider.js';
export { UnknownDatasetError } from './errors.js';
export { createResponseCache, datasetKeyPrefix } from './response-cache.js';
export { createDatasetCatalog } from './dataset-catalog.js';
export { DEFAULT_CALENDAR } from './catalog-coverage.js';
export { MAX_CONDITION_DAYS, conditionDays, datasetCondition } from './data-condition.js';
export { createConformanceStage, REPORT_URI_PREFIX } from './read/conformance-stage.js';
export { createFindingsIndex, watchWrites } from './findings-index.js';
export { createSlaStage } from './read/sla-stage.js';
export { BackfillSuspendedError, RemoteCoordinatorStorageError } from './errors.js';
export { validateNodeId, STRATEGIES, DOMAINS } from './read/fetch-request.js';
export { createLiveHub } from './live/live-hub.js';
export { createBarsEstimator } from './estimate/bars-estimator.js';

export type { DataProvider, FetchResult } from './read/data-provider.js';
export type { FetchRequest, Strategy } from './read/fetch-request.js';
export type { ReadMetadata } from './read/read-metadata.js';
export type { ResponseCache, CacheStats } from './response-cache.js';
export type { DatasetCatalog, DatasetListing, ResolvedDataset } from './dataset-catalog.js';
export type { IntervalCoverage } from './catalog-coverage.js';
export type { DatasetConditionAnswer, DayCondition, DayConditionEntry } from './data-condition.js';
export type { LiveHub, LiveDatasetSpec } from './live/live-hub.js';
export type { GapRecovery } from './live/gap-recovery.js';
export type { BarsEstimate, ByteFigure, EstimateCalendar, EstimateRequest, SourcePlan } from './estimate/estimate-types.js';
export type { BarsEstimator, BarsEstimatorDeps } from './estimate/bars-estimator.js';
export { bucketCoverage, bucketRange, derivationOf, derivedFrom } from './derived-interval.js';
export type { Derivation, DerivedBackfill, DerivedCoverageRange, DerivedCoverageState, DerivedFrom } from './derived-interval.js';
