// The door of app: the composition root that builds Seamless instances from configuration.
export { createSeamless } from './create-seamless.js';
export { openWorker } from './open-worker.js';
export { checkBackfillTopology } from './compose-backfill.js';
export { composeSources, composeUpstreamBudgets } from './compose-sources.js';
export { composeLive } from './compose-live.js';
export { startVersionPruner } from './version-pruner.js';
export { applyStorageChanges } from './cache-coherence.js';

export type { Seamless, CreateSeamlessOptions } from './create-seamless.js';
export type { OpenWorkerOptions, SeamlessWorker } from './open-worker.js';
export type { BackfillCommand, HealthCheck } from '../gateway/index.js';
export type { LiveDeps } from './compose-live.js';
