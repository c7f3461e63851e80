// The door of observability: metrics registry and structured logs.
export { createMetrics, LATENCY_BUCKETS_S } from './metrics.js';
export { EXPECTED_SERIES } from './expected-series.js';
export { createLogger, silentLogger, LOGGER_NAMES } from './logger.js';
export { createTracing, childSpan, endSpan } from './tracing.js';
export { createEventStream, DEFAULT_EVENT_BUFFER_SIZE } from './event-stream.js';
export {
  createNatsEventPublisher, DEFAULT_NATS_STREAM, DEFAULT_NATS_SUBJECT, NATS_EVENT_TYPE_HEADER, NATS_EVENT_ID_HEADER,
} from './nats-publisher.js';

export type { SeamlessMetrics } from './metrics.js';
export type { ExpectedSeries } from './expected-series.js';
export type { Logger } from './logger.js';
export type { EventListener, EventStream, EventStreamOptions, EventStreamStats, SubscribeOptions } from './event-stream.js';
export type { NatsEventPublisher, NatsEventPublisherOptions, NatsEventPublisherStats } from './nats-publisher.js';
export type { Tracing, TracingOptions, Span, Tracer, Context as TraceContext, Attributes as SpanAttributes } from './tracing.js';
