// The door of observability: metrics registry and structured logs.
export { createMetrics, LATENCY_BUCKETS_S } from './metrics.js';
export { createLogger, silentLogger, LOGGER_NAMES } from './logger.js';

export type { SeamlessMetrics } from './metrics.js';
export type { Logger } from './logger.js';
