/**
 * The exporting half of tracing (tracing.ts): an OpenTelemetry SDK tracer provider whose spans
 * are batched and exported over OTLP/HTTP, and the W3C trace-context propagator. Imported by
 * `createTracing` only when an endpoint is configured, so an untraced process never loads the
 * SDK, the exporter and their dependencies (about 15 MB resident, measured with
 * bench/load/idle-rss.bench.ts).
 */
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Tracing } from './tracing.js';

const propagator = new W3CTraceContextPropagator();
const headerGetter = {
  keys: (carrier: Readonly<Record<string, string | string[] | undefined>>) => Object.keys(carrier),
  get: (carrier: Readonly<Record<string, string | string[] | undefined>>, key: string) => carrier[key.toLowerCase()],
};
const headerSetter = { set: (carrier: Record<string, string>, key: string, value: string) => { carrier[key] = value; } };

/** Tracing that exports to `url` (the full OTLP/HTTP traces URL, already checked). */
export function createExportingTracing(url: string, serviceName: string, exportDelayMs: number): Tracing {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }), { scheduledDelayMillis: exportDelayMs })],
  });
  return {
    enabled: true,
    tracer: provider.getTracer('seamless'),
    extract: (headers) => propagator.extract(ROOT_CONTEXT, headers, headerGetter),
    inject(context) {
      const carrier: Record<string, string> = {};
      propagator.inject(context, carrier, headerSetter);
      return carrier.traceparent;
    },
    async shutdown() {
      await provider.forceFlush();
      await provider.shutdown();
    },
  };
}
