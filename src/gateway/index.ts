// The door of gateway: the HTTP server, its auth keys and the host policy.
export { buildGateway } from './build-gateway.js';
export { serveGateway, isLoopbackHost } from './serve-gateway.js';
export { generateApiKey, hashSecret, createKeyVerifier, effectiveScopes, legacyWorkerKeyWarnings, SCOPES, SCOPE_IMPLIES } from './api-keys.js';
export { FORMATS, ARROW_STREAM_TYPE } from './routes/bars-route.js';
export { MAX_WORKER_PAUSE_MS } from './routes/upstream-routes.js';

export type { Gateway, GatewayDeps } from './build-gateway.js';
export type { SeamlessApi, BackfillCommand, HealthCheck } from './seamless-api.js';
export type { RunningGateway, ServeOptions } from './serve-gateway.js';
export type { Identity, KeyVerifier, NewApiKey, Scope } from './api-keys.js';
export type { Format } from './routes/bars-route.js';
