// The internal door of provider, for tests and benches only (ARCHITECTURE.md §2): the names they
// check that no other folder of src/ needs. No folder of src/ imports it.
export { CONFORMANCE_VERSION } from './read/data-provider.js';
export { cacheKey } from './response-cache.js';
export { DEFAULT_STRATEGY, normaliseRequest } from './read/fetch-request.js';
export { runsOf } from './read/live-step.js';
export { createRecoveryWatcher } from './recovery-watch.js';
export { createLiveBuffer } from './live/live-buffer.js';
export { coverageFrontier, gapBefore, unrecoveredRanges } from './live/live-gaps.js';
export { createLiveWriteScheduler } from './live/live-write-scheduler.js';
export { ALWAYS_OPEN, countCoverage, coveredRanges, planShards } from './estimate/backfill-plan.js';
export { estimateBackfillTime } from './estimate/time-estimate.js';
export { estimateBytes } from './estimate/byte-estimate.js';
export { joinUniverseFrames } from './universe/universe-columns.js';
export { startSubscription } from './stream/subscription.js';
export { createStreamFanOut } from './stream/fan-out.js';
export { datasetFragment, liveBarEncoder } from './stream/stream-messages.js';
export { arrowBatchMessages } from './stream/arrow-batch.js';

export type { Domain } from './read/fetch-request.js';
export type { LiveReader } from './read/live-step.js';
export type { ConformanceStage } from './read/conformance-stage.js';
export type { CacheLimits } from './response-cache.js';
export type { LiveDatasetWrites, LiveWriteScheduler, LiveWriter } from './live/live-write-scheduler.js';
export type { ReplayReader, StreamDatasetSpec, SubscriptionOptions } from './stream/subscription.js';
export type { LiveBar, LiveBarSource, StreamFanOut } from './stream/fan-out.js';
