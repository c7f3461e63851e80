// The door of gateway: the HTTP server, its auth keys and the host policy.
export { serveGateway } from './serve-gateway.js';
export { generateApiKey, SCOPES } from './api-keys.js';
export { subscribe, GatewayStreamError } from './stream-client.js';

export type { SeamlessApi, BackfillCommand, HealthCheck, UniverseFetch } from './seamless-api.js';
export type { RunningGateway } from './serve-gateway.js';
export type { Scope } from './api-keys.js';
export type { StreamBars, StreamEvent, SubscribeOptions } from './stream-client.js';
