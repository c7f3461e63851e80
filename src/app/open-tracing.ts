/**
 * Tracing of one process (a Seamless instance or a `seamless worker`) from `tracing:`, registered
 * on the process's ResourceStack as it opens: unwinding flushes and shuts the exporter down. The
 * OpenTelemetry SDK is loaded only when `tracing.endpoint` is set.
 */
import type { ResourceStack } from '../core/index.js';
import type { SeamlessConfig } from '../config/index.js';
import { createTracing } from '../observability/index.js';
import type { Tracing } from '../observability/index.js';

export async function openTracing(config: SeamlessConfig['tracing'], resources: ResourceStack): Promise<Tracing> {
  return resources.adopt(await createTracing({
    serviceName: config.serviceName, exportDelayMs: config.exportDelayMs,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
  }), (t) => t.shutdown());
}
