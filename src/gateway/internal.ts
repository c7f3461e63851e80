// The internal door of gateway, for tests and benches only (ARCHITECTURE.md §2): the names they
// check that no other folder of src/ needs. No folder of src/ imports it.
export { eventsRoute } from './routes/events-route.js';
export { MAX_WORKER_PAUSE_MS } from './routes/upstream-routes.js';
export { buildGateway } from './build-gateway.js';
export { legacyWorkerKeyWarnings, createKeyVerifier, effectiveScopes, hashSecret } from './api-keys.js';
export { bearerSecret, registerAuth } from './auth.js';
export { dashboardRoutes, DASHBOARD_CSP } from './routes/dashboard-routes.js';
export { createDashboardFiles, isSafeAssetName, ASSET_CACHE_CONTROL, PAGE_CACHE_CONTROL } from './dashboard-files.js';
export { barsRoutes } from './routes/bars-route.js';
export { healthRoutes } from './routes/health-routes.js';
export { registerJsonBody } from './json-body.js';
export { sendError } from './error-reply.js';
export { bodyObject, booleanQuery, integerField, requiredQuery, typedRoutes } from './route-schemas.js';

export type { Gateway } from './build-gateway.js';
export { STREAM_MIN_ROWS, frameBody } from './frame-body.js';
export { webSocketSink } from './routes/stream-sinks.js';
