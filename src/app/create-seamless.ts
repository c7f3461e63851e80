/**
 * Composes one Seamless instance from its configuration: storage, sources, coordinator,
 * response cache, data provider, metrics and logs. Everything runs embedded in this process.
 */
import { resolve } from 'node:path';
import {
  InvalidRequestError, frameSchemaByName, parseInterval, parseTime, systemClock,
} from '../core/index.js';
import type { Clock } from '../core/index.js';
import type { BackfillCoordinator, BackfillEvent, JobStatus } from '../backfill/index.js';
import { loadConfig } from '../config/index.js';
import type { LoadConfigOptions, SeamlessConfigInput } from '../config/index.js';
import { LOGGER_NAMES, createLogger, createMetrics, createTracing } from '../observability/index.js';
import type { Logger } from '../observability/index.js';
import { importFile } from '../sources/index.js';
import type { ImportReport } from '../sources/index.js';
import { createConformancePipeline } from '../conformance/index.js';
import { createDriftDetector, createSchemaRegistry, registerShippedSchemas } from '../schema/index.js';
import type { BarStore } from '../storage/index.js';
import type { HealthCheck, SeamlessApi } from '../gateway/index.js';
import { composeSources, composeUpstreamBudgets } from './compose-sources.js';
import { composeStorage } from './compose-storage.js';
import { storageCheck, watchStorageHealth } from './storage-health.js';
import { DISTRIBUTED_COORDINATOR_LOGS, IN_PROCESS_COORDINATOR_LOGS, createBackfillEventFeed } from './backfill-event-feed.js';
import { checkBackfillTopology, composeBackfill } from './compose-backfill.js';
import { composeLive } from './compose-live.js';
import {
  BackfillSuspendedError, UnknownDatasetError, createConformanceStage, createDataProvider, createDatasetCatalog,
  createFindingsIndex, createResponseCache, createSlaStage, datasetKeyPrefix, watchWrites,
} from '../provider/index.js';
import type { CacheStats, DatasetCatalog, LiveHub, ResolvedDataset } from '../provider/index.js';
import { asDryRun, loadSlaPolicies } from '../sla/index.js';

/** How long `health()` waits for one upstream's answer. */
const UPSTREAM_HEALTH_TIMEOUT_MS = 5_000;

export interface CreateSeamlessOptions {
  /** A YAML file path, a configuration object, or nothing for the embedded defaults. */
  readonly config?: string | SeamlessConfigInput;
  /** Applied on top (CLI flags). */
  readonly overrides?: LoadConfigOptions['overrides'];
  readonly env?: LoadConfigOptions['env'];
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/**
 * One Seamless instance: what the gateway serves (`SeamlessApi`) plus what only the library and
 * the CLI use.
 */
export interface Seamless extends SeamlessApi {
  readonly dataDir: string;
  /** The backfill coordinator reads use. */
  readonly coordinator: BackfillCoordinator;
  /** Live feeds of the datasets configured with `live:`; undefined when none is. */
  readonly live: LiveHub | undefined;
  waitBackfill(id: string, signal?: AbortSignal): Promise<JobStatus>;
  subscribe(listener: (event: BackfillEvent) => void): () => void;
  import(options: { path: string; nodeId: string; interval: string | number; format?: 'csv' | 'parquet'; schema?: string }): Promise<ImportReport>;
  cacheStats(): CacheStats | undefined;
  close(): Promise<void>;
}

export async function createSeamless(options: CreateSeamlessOptions = {}): Promise<Seamless> {
  const loaded = loadConfig({
    ...(typeof options.config === 'string' ? { file: options.config } : {}),
    ...(typeof options.config === 'object' ? { input: options.config } : {}),
    overrides: options.overrides,
    env: options.env,
  });
  const { config, dataDir } = loaded;
  // Contradictory topologies are refused here, before anything is opened.
  checkBackfillTopology(config);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ level: config.logging.level });
  // Bad policy files are refused here, before anything is opened.
  const loadedPolicies = config.seamless.sla.dir ? loadSlaPolicies(config.seamless.sla.dir) : undefined;
  // The rollback switch seamless.sla.forceDryRun: every policy measures, none acts.
  const slaPolicies = loadedPolicies && config.seamless.sla.forceDryRun ? asDryRun(loadedPolicies) : loadedPolicies;
  const metrics = createMetrics();
  const tracing = createTracing({
    serviceName: config.tracing.serviceName, exportDelayMs: config.tracing.exportDelayMs,
    ...(config.tracing.endpoint ? { endpoint: config.tracing.endpoint } : {}),
  });
  const db = await composeStorage(config.storage, dataDir, clock);
  const findingsIndex = createFindingsIndex(db.findings);
  // Every write of this process (backfill, uploads, imports, live) reloads the dataset's findings.
  const store: BarStore = watchWrites(db.bars, findingsIndex);
  const registry = createSchemaRegistry({
    store: db.registry,
    clock,
    defaults: {
      compatibility: config.schema_registry.compatibility,
      validationMode: config.schema_registry.validation_mode,
      canaryWindowMs: config.schema_registry.canary_window_ms,
    },
    docsDir: resolve(dataDir, config.schema_registry.docs_dir),
  });
  // The shipped OHLCV, tick and quote schemas are registered at first start (idempotent).
  await registerShippedSchemas(registry);

  // A coordinator at seamless.backfill.endpoint that requires keys gets this process's key.
  const coordinatorKey = (options.env ?? process.env).SEAMLESS_API_KEY;
  // Exchange request budgets: shared with the coordinator or the etcd cluster (compose-sources.ts).
  const upstreams = composeUpstreamBudgets(config.seamless.backfill, coordinatorKey ? { apiKey: coordinatorKey } : {});
  const sources = await composeSources(config.sources, { upstreams, clock, metrics }).catch(async (error: unknown) => {
    await upstreams.close();
    await db.close();
    throw error;
  });
  const catalog: DatasetCatalog = createDatasetCatalog(config.datasets, sources, store);
  const backfillLogger = logger.child({ name: LOGGER_NAMES.backfill });
  const backfill = await composeBackfill({
    config: config.seamless.backfill, store, embeddedLeases: db.leases,
    resolveTarget: (nodeId, intervalMs) => {
      const d = catalog.configured(nodeId, intervalMs);
      return d?.source ? { dataset: d.dataset, schema: d.schema, source: d.source } : undefined;
    },
    onFindings: (findings) => findingsIndex.added(findings),
    clock, logger: backfillLogger, metrics, tracing,
    ...(coordinatorKey ? { apiKey: coordinatorKey } : {}),
  });
  const { coordinator } = backfill;
  const unwatchStorage = watchStorageHealth(db, logger.child({ name: LOGGER_NAMES.storage }), (reason) => backfill.failRunning(reason));
  // Events: the seamless.backfill feed (replay buffer, logs, NATS JetStream when configured).
  const eventFeed = await createBackfillEventFeed({
    source: coordinator, logger: backfillLogger, clock, nats: config.seamless.events.nats,
    loggedBySource: backfill.distributed ? DISTRIBUTED_COORDINATOR_LOGS : IN_PROCESS_COORDINATOR_LOGS,
  })
    .catch(async (error: unknown) => {
      await backfill.close();
      await upstreams.close();
      await db.close();
      throw error;
    });
  const cache = config.cache.enabled
    ? createResponseCache(config.cache, clock, {
      onEvict: (reason) => metrics.cacheEvictions.inc({ reason }),
      onSize: (entries, bytes) => {
        metrics.cacheEntries.set(entries);
        metrics.cacheBytes.set(bytes);
      },
    })
    : undefined;
  // Rows written by backfill may replace cached bars (upserts): drop overlapping segments.
  const unsubscribeCache = coordinator.subscribe((event) => {
    if (cache && event.type === 'completed' && event.rowsWritten > 0) {
      cache.invalidate(datasetKeyPrefix(event.nodeId, event.intervalMs), { start: event.start, end: event.end });
    }
  });
  // Live feeds (after the coordinator: gaps are backfilled through it). Closed bars written
  // through replace what cached reads of their range hold.
  let live: LiveHub | undefined;
  try {
    live = composeLive({
      config: config.live, datasets: config.datasets, catalog, store, coordinator, clock, metrics,
      backfillSuspended: config.seamless.backfill.suspended,
      logger: logger.child({ name: LOGGER_NAMES.live }),
      onWritten: (dataset, range) => cache?.invalidate(datasetKeyPrefix(dataset.nodeId, dataset.intervalMs), range),
    });
  } catch (error) {
    unsubscribeCache();
    await eventFeed.close();
    await backfill.close();
    await db.close();
    throw error;
  }
  const cf = config.seamless.conformance;
  const conformance = cf.enabled
    ? createConformanceStage({
      pipeline: createConformancePipeline({
        priceJumpMaxAbsLogReturn: cf.priceJumpMaxAbsLogReturn,
        stalePriceMinRun: cf.stalePriceMinRun,
        wideSpreadMaxRelative: cf.wideSpreadMaxRelative,
        completenessWindowBars: cf.completenessWindowBars,
      }),
      mode: cf.mode,
      registry,
      drift: createDriftDetector(),
      archive: db.reports,
      findings: findingsIndex,
      clock,
      metrics,
      logger: logger.child({ name: LOGGER_NAMES.conformance }),
    })
    : undefined;
  const slaStage = slaPolicies ? createSlaStage(slaPolicies, { clock, metrics, logger: logger.child({ name: LOGGER_NAMES.sla }) }) : undefined;
  const provider = createDataProvider({
    store, catalog, coordinator, cache, clock, logger: logger.child({ name: LOGGER_NAMES.provider }), metrics,
    maxBars: config.limits.maxBars, maxInflightReadBars: config.limits.maxInflightReadBars, syncBudgetMs: config.seamless.backfill.syncBudgetMs, backfillSuspended: config.seamless.backfill.suspended,
    liveWaitMs: config.live.waitMs,
    ...(conformance ? { conformance } : {}),
    ...(slaStage ? { sla: slaStage } : {}),
    tracing,
    live,
  });

  async function resolveOrThrow(nodeId: string, interval: string | number): Promise<ResolvedDataset> {
    if (typeof nodeId !== 'string' || nodeId.length === 0) throw new InvalidRequestError('node', 'is required');
    const intervalMs = parseInterval(interval, 'interval');
    const resolved = await catalog.resolve(nodeId, intervalMs);
    if (!resolved) throw new UnknownDatasetError(nodeId, intervalMs);
    return resolved;
  }

  let closed = false;
  return {
    config,
    dataDir,
    metrics,
    logger,
    tracing,
    registry,
    coordinator,
    coordinatorService: backfill.service,
    upstreams,
    live,
    fetch: (request) => provider.fetch(request),
    reports: (filter) => db.reports.list(filter),
    report: (id) => db.reports.get(id),

    async coverage(nodeId, interval, range) {
      const resolved = await resolveOrThrow(nodeId, interval);
      return store.coverage(resolved.dataset, range);
    },

    datasets: () => catalog.list(),

    async backfill(command) {
      const resolved = await resolveOrThrow(command.nodeId, command.interval);
      const start = parseTime(command.start, 'start');
      const end = parseTime(command.end, 'end');
      if (end <= start) throw new InvalidRequestError('end', `must be after start (${start})`, { start, end });
      if (!resolved.source) throw new InvalidRequestError('node', `dataset ${command.nodeId} has no upstream source to backfill from`);
      if (config.seamless.backfill.suspended) throw new BackfillSuspendedError();
      const job = coordinator.submit({
        target: { dataset: resolved.dataset, schema: resolved.schema, source: resolved.source },
        ranges: [{ start, end }],
        requestedBy: command.requestedBy ?? 'library',
        priority: command.priority ?? 'background',
      });
      return job.status();
    },

    backfillJob(id) {
      const status = coordinator.job(id);
      if (!status) return undefined;
      return { ...status, shardList: coordinator.shards(id) ?? [] };
    },

    backfillJobs: () => coordinator.jobs(),
    waitBackfill: (id, signal) => coordinator.wait(id, signal),
    subscribe: (listener) => coordinator.subscribe(listener),
    events: eventFeed.events,

    async import(opts) {
      const intervalMs = parseInterval(opts.interval, 'interval');
      if (typeof opts.nodeId !== 'string' || opts.nodeId.length === 0) throw new InvalidRequestError('node', 'is required');
      const resolved = await catalog.resolve(opts.nodeId, intervalMs);
      const schemaName = opts.schema ?? resolved?.schema.name ?? 'ohlcv';
      const schema = frameSchemaByName(schemaName);
      if (!schema) throw new InvalidRequestError('schema', `unknown schema "${schemaName}"; one of ohlcv, tick, quote`);
      const report = await importFile({ path: opts.path, ...(opts.format ? { format: opts.format } : {}), dataset: { nodeId: opts.nodeId, intervalMs }, schema, store });
      cache?.invalidate(datasetKeyPrefix(opts.nodeId, intervalMs));
      return report;
    },

    async health() {
      const checks: Record<string, HealthCheck> = {};
      try {
        await store.ping();
        checks.storage = storageCheck(db, store.engine) ?? { ok: true, detail: store.engine };
      } catch (error) {
        checks.storage = storageCheck(db, store.engine) ?? { ok: false, detail: error instanceof Error ? error.message : String(error) };
      }
      checks.coordinator = closed ? { ok: false, detail: 'closed' } : await backfill.health();
      if (config.seamless.backfill.suspended) checks.backfill = { ok: true, detail: 'suspended (seamless.backfill.suspended): reads answer from storage, no backfill' };
      try {
        checks.registry = { ok: true, detail: `${(await registry.subjects()).length} subjects` };
      } catch (error) {
        checks.registry = { ok: false, detail: error instanceof Error ? error.message : String(error) };
      }
      for (const [name, source] of sources) {
        if (!source.health) continue;
        checks[`upstream:${name}`] = await source.health(AbortSignal.timeout(UPSTREAM_HEALTH_TIMEOUT_MS)).catch((error: unknown) => ({
          ok: false, detail: error instanceof Error ? error.message : String(error),
        }));
      }
      for (const [name, check] of Object.entries(live?.health() ?? {})) checks[`live:${name}`] = check;
      return checks;
    },

    storageFailure: () => db.failure(),

    cacheStats: () => cache?.stats(),

    async close() {
      if (closed) return;
      closed = true;
      unsubscribeCache();
      unwatchStorage();
      slaStage?.close();
      // Before backfill and storage: its last write-through needs storage, its gap waits end.
      await live?.close();
      await backfill.close();
      await upstreams.close();
      await eventFeed.close();
      await db.close();
      await tracing.shutdown();
      logger.flush?.();
    },
  };
}
