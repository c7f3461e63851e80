/**
 * OpenTelemetry tracing of one Seamless instance. With an OTLP endpoint, spans are batched and
 * exported over OTLP/HTTP; without one, the tracer is the API's no-op tracer, so an untraced
 * read pays one branch per span and allocates nothing. Contexts are passed explicitly (no global
 * tracer provider or context manager is registered), so two instances in one process — tests,
 * benches — never share spans. The SDK and the exporter (tracing-sdk.ts) are imported only when
 * an endpoint is configured: an untraced process never loads them.
 */
import { ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import { InvalidRequestError } from '../core/index.js';

export type { Attributes, Context, Span, Tracer };

export interface TracingOptions {
  /** OTLP/HTTP base endpoint (e.g. http://127.0.0.1:4318); spans go to `<endpoint>/v1/traces`. */
  readonly endpoint?: string;
  /** The key or flag the endpoint came from, named when it is refused (default `tracing.endpoint`). */
  readonly endpointField?: string;
  readonly serviceName?: string;
  /** Batch export delay (ms); small in tests. */
  readonly exportDelayMs?: number;
}

export interface Tracing {
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /** The context a W3C `traceparent` (and `tracestate`) header continues; ROOT when absent or malformed. */
  extract(headers: Readonly<Record<string, string | string[] | undefined>>): Context;
  /** A `traceparent` for the span (to hand a trace to another process), or undefined when untraced. */
  inject(context: Context): string | undefined;
  /** Flushes pending spans and stops the exporter. */
  shutdown(): Promise<void>;
}

/**
 * Tracing from `options`: the no-op tracer without an endpoint; with one, the OTLP/HTTP exporter
 * (loaded now). An endpoint that is not http(s) is refused (InvalidRequestError naming
 * `endpointField`) before anything loads.
 */
export async function createTracing(options: TracingOptions = {}): Promise<Tracing> {
  if (!options.endpoint) {
    return {
      enabled: false,
      tracer: trace.getTracer('seamless-noop'), // no provider registered: the API's no-op tracer
      extract: () => ROOT_CONTEXT,
      inject: () => undefined,
      shutdown: async () => undefined,
    };
  }
  // The config schema refuses these already; a flag or OTEL_EXPORTER_OTLP_ENDPOINT read elsewhere
  // (seamless sla inject) reaches here unchecked, and the OTLP/HTTP exporter would drop every span.
  if (!/^https?:\/\/[^/]/i.test(options.endpoint)) {
    throw new InvalidRequestError(options.endpointField ?? 'tracing.endpoint', `must be an http:// or https:// URL (OTLP/HTTP), e.g. http://127.0.0.1:4318; got ${options.endpoint}`);
  }
  const url = `${options.endpoint.replace(/\/+$/, '')}/v1/traces`;
  const { createExportingTracing } = await import('./tracing-sdk.js');
  return createExportingTracing(url, options.serviceName ?? 'seamless', options.exportDelayMs ?? 1_000);
}

/** Starts a child span of `parent` and returns it with the context that has it active. */
export function childSpan(tracer: Tracer, name: string, parent: Context, attributes?: Attributes): { span: Span; context: Context } {
  const span = tracer.startSpan(name, attributes ? { attributes } : {}, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Ends a span, marking it failed with the error's message when there is one. */
export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    if (error instanceof Error) span.recordException(error);
  }
  span.end();
}
