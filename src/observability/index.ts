// The door of observability: metrics registry and structured logs.
export { createMetrics, LATENCY_BUCKETS_S } from './metrics.js';
export { EXPECTED_SERIES } from './expected-series.js';
export { createLogger, silentLogger, LOGGER_NAMES } from './logger.js';
export { createTracing, childSpan, endSpan } from './tracing.js';
export { createEventStream } from './event-stream.js';
export { createNatsEventPublisher } from './nats-publisher-loader.js';

export type { SeamlessMetrics } from './metrics.js';
export type { Logger } from './logger.js';
export type { EventStream } from './event-stream.js';
export type { Tracing, Span, Tracer, Context as TraceContext, Attributes as SpanAttributes } from './tracing.js';
