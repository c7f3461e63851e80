/**
 * `openWorker`: the process of `seamless worker`, built by the same root as a Seamless instance.
 * It pulls shards from a coordinator service, fetches them from the upstream sources of its own
 * configuration and uploads the rows to the coordinator, which owns storage: a worker never opens
 * a data directory. Like createSeamless, everything it opens — the logger's flush, tracing, the
 * upstream budgets (spent at the coordinator's permits API) and sources, the remote worker's
 * loops — is registered on one ResourceStack as it opens, so a failed start unwinds exactly what
 * was opened, in reverse, and `close()` is the same unwinding.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ALWAYS_OPEN, OHLCV_SCHEMA, ResourceStack, calendarByName, frameSchemaByName, parseInterval, systemClock } from '../core/index.js';
import type { Clock } from '../core/index.js';
import { createCoordinatorClient, startRemoteWorker } from '../backfill/index.js';
import type { BackfillTarget, RemoteWorkerEvent } from '../backfill/index.js';
import { loadConfig } from '../config/index.js';
import type { LoadConfigOptions, SeamlessConfig } from '../config/index.js';
import { LOGGER_NAMES, createLogger } from '../observability/index.js';
import type { Logger } from '../observability/index.js';
import type { BarSource } from '../sources/index.js';
import { openSources } from './compose-sources.js';
import { openTracing } from './open-tracing.js';

export interface OpenWorkerOptions {
  /** The coordinator service (`seamless coordinator serve`), an http(s) URL. */
  readonly coordinator: string;
  /** A YAML file with the sources and datasets; else SEAMLESS_CONFIG, else the embedded demo defaults. */
  readonly config?: string;
  readonly env?: LoadConfigOptions['env'];
  /** Bearer key with the worker scope (default SEAMLESS_API_KEY). */
  readonly apiKey?: string;
  /** This worker's name in leases (default `worker-<host>-<random>`). */
  readonly id?: string;
  /** Shards fetched at once (default `seamless.backfill.concurrency`). */
  readonly concurrency?: number;
  /** Lease time to live asked for each shard (default `seamless.backfill.leaseMs`). */
  readonly leaseMs?: number;
  /** How long one request for work waits at the coordinator. */
  readonly waitMs: number;
  /** Log at debug level instead of `logging.level`. */
  readonly debug?: boolean;
  readonly clock?: Clock;
  /** Progress, one event per lease step. */
  readonly onEvent?: (event: RemoteWorkerEvent) => void;
}

/** A running worker process. */
export interface SeamlessWorker {
  readonly workerId: string;
  readonly concurrency: number;
  readonly leaseMs: number;
  /** The coordinator's base URL, as the client resolved it. */
  readonly coordinatorUrl: string;
  /** The `seamless.backfill` logger of this worker. */
  readonly logger: Logger;
  /** Stops the loops (a shard in flight is abandoned; its lease expires), then unwinds everything opened. */
  close(): Promise<void>;
}

export async function openWorker(options: OpenWorkerOptions): Promise<SeamlessWorker> {
  const { config, coordinatorKey } = loadConfig({ ...(options.config !== undefined ? { file: options.config } : {}), env: options.env });
  const bf = config.seamless.backfill;
  const apiKey = options.apiKey ?? coordinatorKey;
  // Refused (`coordinator` named) before anything is opened.
  const client = createCoordinatorClient(options.coordinator, apiKey);
  const logger = createLogger({ level: options.debug ? 'debug' : config.logging.level }).child({ name: LOGGER_NAMES.backfill });
  const resources = new ResourceStack();
  // Registered first, so it runs last: the logs of every close are flushed.
  resources.defer(() => logger.flush());
  try {
    // Shards of traced reads continue the read's trace (the coordinator hands out its traceparent).
    const tracing = await openTracing(config.tracing, resources);
    // Exchange requests spend the cluster's budgets, granted by the coordinator's permits API.
    const { sources } = await openSources(config.sources, { ...bf, endpoint: options.coordinator }, apiKey !== undefined ? { apiKey } : {}, resources);
    const workerId = options.id ?? `worker-${hostname()}-${randomUUID().slice(0, 8)}`;
    const concurrency = options.concurrency ?? bf.concurrency;
    const leaseMs = options.leaseMs ?? bf.leaseMs;
    const worker = startRemoteWorker({
      client, workerId, concurrency, resolveTarget: targetResolver(config.datasets, sources), leaseMs, tracing,
      heartbeatMs: Math.min(bf.heartbeatMs, Math.floor(leaseMs / 3)), waitMs: options.waitMs, clock: options.clock ?? systemClock, logger,
      ...(options.onEvent !== undefined ? { onEvent: options.onEvent } : {}),
    });
    resources.adopt(worker, (w) => w.stop());
    return { workerId, concurrency, leaseMs, coordinatorUrl: client.baseUrl, logger, close: () => resources.disposeAsync() };
  } catch (error) {
    // Unwinds what the start opened; a failing close is logged, the start's failure is what is thrown.
    await resources.disposeAsync().catch((closeError: unknown) => {
      logger.error({ err: closeError }, 'closing what a failed worker start had opened failed');
    });
    throw error;
  }
}

/** Sources and schemas of the configured datasets, by (nodeId, interval): what this worker can fetch. */
function targetResolver(datasets: SeamlessConfig['datasets'], sources: ReadonlyMap<string, BarSource>): (nodeId: string, intervalMs: number) => BackfillTarget | undefined {
  const targets = new Map<string, BackfillTarget>();
  for (const d of datasets) {
    const source = d.source === undefined ? undefined : sources.get(d.source);
    if (source === undefined) continue;
    const schema = frameSchemaByName(d.schema) ?? OHLCV_SCHEMA;
    for (const iv of d.intervals) {
      const intervalMs = parseInterval(iv);
      targets.set(JSON.stringify([d.nodeId, intervalMs]), { dataset: { nodeId: d.nodeId, intervalMs }, schema, source, calendar: calendarByName(d.calendar) ?? ALWAYS_OPEN });
    }
  }
  return (nodeId, intervalMs) => targets.get(JSON.stringify([nodeId, intervalMs]));
}
