/**
 * Opens the parts of one Seamless instance, in order, each registering its close on the
 * instance's `ResourceStack` as it opens: tracing, storage, the schema registry, the etcd engine
 * (when the lease store is etcd), the upstream budgets and sources, the backfill coordinator (and the storage watch that fails its jobs), the
 * event feed, the response cache's invalidation, live feeds, then the read path. A failure at any
 * stage leaves the stack holding exactly what was opened; the caller unwinds it in reverse.
 */
import { resolve } from 'node:path';
import type { Clock, ResourceStack } from '../core/index.js';
import type { SeamlessConfig } from '../config/index.js';
import { createConformancePipeline } from '../conformance/index.js';
import { LOGGER_NAMES, createMetrics } from '../observability/index.js';
import type { EventStream, Logger, SeamlessMetrics, Tracing } from '../observability/index.js';
import type { BackfillEvent } from '../backfill/index.js';
import { createDriftDetector, createSchemaRegistry, registerShippedSchemas } from '../schema/index.js';
import type { SchemaRegistry } from '../schema/index.js';
import type { BarSource, UpstreamBudgets } from '../sources/index.js';
import type { SlaPolicySet } from '../sla/index.js';
import type { BarStore, ReadRoutingObserver } from '../storage/index.js';
import {
  createConformanceStage, createDataProvider, createDatasetCatalog, createFindingsIndex, createResponseCache,
  createSlaStage, datasetKeyPrefix, watchWrites,
} from '../provider/index.js';
import type { BarsEstimator, DataProvider, DatasetCatalog, LiveHub, ResponseCache } from '../provider/index.js';
import { openSources } from './compose-sources.js';
import { openTracing } from './open-tracing.js';
import { composeStorage } from './compose-storage.js';
import type { StorageParts } from './compose-storage.js';
import { watchStorageHealth } from './storage-health.js';
import { DISTRIBUTED_COORDINATOR_LOGS, REMOTE_COORDINATOR_LOGS, createBackfillEventFeed } from './backfill-event-feed.js';
import { composeBackfill } from './compose-backfill.js';
import { openEtcdEngine } from './open-etcd.js';
import type { BackfillParts } from './compose-backfill.js';
import { composeLive } from './compose-live.js';
import { composeEstimator } from './compose-estimator.js';
import { startVersionPruner } from './version-pruner.js';
import { applyStorageChanges } from './cache-coherence.js';

export interface InstanceDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** SEAMLESS_API_KEY (config/env-overrides): this process's key for a coordinator at `seamless.backfill.endpoint`. */
  readonly coordinatorKey: string | undefined;
  readonly slaPolicies: SlaPolicySet | undefined;
}

/** What an open instance is made of (the façade of create-seamless.ts serves from these). */
export interface InstanceParts {
  /** The instance's clock (the catalog's condition: which days have closed). */
  readonly clock: Clock;
  readonly metrics: SeamlessMetrics;
  readonly tracing: Tracing;
  readonly db: StorageParts;
  /** The bar store every write of this process goes through (reloads the dataset's findings). */
  readonly store: BarStore;
  readonly registry: SchemaRegistry;
  readonly upstreams: UpstreamBudgets;
  readonly sources: ReadonlyMap<string, BarSource>;
  readonly catalog: DatasetCatalog;
  readonly backfill: BackfillParts;
  readonly events: EventStream<BackfillEvent>;
  readonly cache: ResponseCache | undefined;
  readonly live: LiveHub | undefined;
  readonly provider: DataProvider;
  /** Pre-flight estimates of reads (compose-estimator.ts). */
  readonly estimator: BarsEstimator;
  /** The SLA policies the read path applies (served by GET /v1/sla); undefined when none is configured. */
  readonly slaPolicies: SlaPolicySet | undefined;
}

export async function openInstance(config: SeamlessConfig, dataDir: string, deps: InstanceDeps, resources: ResourceStack): Promise<InstanceParts> {
  const { clock, logger, coordinatorKey } = deps;
  const metrics = createMetrics();
  const tracing = await openTracing(config.tracing, resources);
  const db = resources.adopt(await composeStorage(config.storage, dataDir, clock, replicaMetrics(metrics)), (d) => d.close());
  const findingsIndex = createFindingsIndex(db.findings);
  // Every write of this process (backfill, uploads, imports, live) reloads the dataset's findings.
  const store = watchWrites(db.bars, findingsIndex);
  // Superseded bar versions older than storage.versionRetentionMs go (as_of reads before that are refused).
  resources.defer(startVersionPruner({ store, clock, retentionMs: config.storage.versionRetentionMs, logger: logger.child({ name: LOGGER_NAMES.storage }) }));
  const registry = createSchemaRegistry({
    store: db.registry,
    clock,
    defaults: {
      compatibility: config.schema_registry.compatibility,
      validationMode: config.schema_registry.validation_mode,
      canaryWindowMs: config.schema_registry.canary_window_ms,
    },
    docsDir: resolve(dataDir, config.schema_registry.docs_dir),
    refreshMs: config.schema_registry.refresh_ms,
  });
  // The shipped OHLCV, tick and quote schemas are registered at first start (idempotent).
  await registerShippedSchemas(registry);

  // The etcd engine (lease and budget stores), when the backfill topology uses it.
  const etcd = await openEtcdEngine(config.seamless.backfill, resources, { clock, dataDir });
  // Exchange request budgets: shared with the coordinator or the etcd cluster (compose-sources.ts).
  const { upstreams, sources } = await openSources(config.sources, config.seamless.backfill, {
    ...(coordinatorKey ? { apiKey: coordinatorKey } : {}),
    ...(etcd ? { etcdBudgets: etcd.budgets } : {}),
    clock, metrics,
  }, resources);
  const catalog = createDatasetCatalog(config.datasets, sources, store);
  const backfillLogger = logger.child({ name: LOGGER_NAMES.backfill });
  const backfill = resources.adopt(await composeBackfill({
    config: config.seamless.backfill, store, embeddedLeases: db.leases, barsWithEmbeddedLeases: config.storage.engine === 'duckdb',
    ...(etcd ? { etcdLeases: etcd.leases } : {}),
    resolveTarget: (nodeId, intervalMs) => {
      const d = catalog.configured(nodeId, intervalMs);
      return d?.source ? { dataset: d.dataset, schema: d.schema, source: d.source, calendar: d.calendar } : undefined;
    },
    onFindings: (findings) => findingsIndex.added(findings),
    clock, logger: backfillLogger, metrics, tracing,
    ...(coordinatorKey ? { apiKey: coordinatorKey } : {}),
  }), (b) => b.close());
  const { coordinator } = backfill;
  // Read replicas: a shard another process's worker completed (or marked failed) was written for
  // this one; its reads go to the primary until the standby has replayed it (read-your-writes).
  const replica = db.replica;
  if (replica !== undefined) {
    resources.defer(coordinator.subscribe((event) => {
      if (event.type === 'completed' || event.type === 'failed') replica.wrote({ nodeId: event.nodeId, intervalMs: event.intervalMs });
    }));
  }
  resources.defer(watchStorageHealth(db, logger.child({ name: LOGGER_NAMES.storage }), (reason) => backfill.failRunning(reason)));
  // Events: the seamless.backfill feed (replay buffer, logs, NATS JetStream when configured).
  const eventFeed = resources.adopt(await createBackfillEventFeed({
    source: coordinator, logger: backfillLogger, clock, nats: config.seamless.events.nats,
    loggedBySource: backfill.distributed ? DISTRIBUTED_COORDINATOR_LOGS : REMOTE_COORDINATOR_LOGS,
  }), (f) => f.close());
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
  if (cache) {
    resources.defer(coordinator.subscribe((event) => {
      if (event.type === 'completed' && event.rowsWritten > 0) {
        cache.invalidate(datasetKeyPrefix(event.nodeId, event.intervalMs), { start: event.start, end: event.end });
      }
    }));
  }
  // Writes other processes commit to shared storage (PostgreSQL) drop what this process cached of them.
  if (db.changes) {
    resources.defer(applyStorageChanges({
      changes: db.changes, cache, findings: findingsIndex, metrics, clock, logger: logger.child({ name: LOGGER_NAMES.storage }),
      ...(replica !== undefined ? { replica } : {}),
    }));
  }
  // Live feeds (after the coordinator: gaps are backfilled through it; closed before it and
  // storage: its last write-through needs storage, its gap waits end). Closed bars written
  // through replace what cached reads of their range hold.
  const composedLive = composeLive({
    config: config.live, datasets: config.datasets, catalog, store, coordinator, clock, metrics,
    backfillSuspended: config.seamless.backfill.suspended,
    logger: logger.child({ name: LOGGER_NAMES.live }),
    onWritten: (dataset, range) => cache?.invalidate(datasetKeyPrefix(dataset.nodeId, dataset.intervalMs), range),
  });
  const live = composedLive === undefined ? undefined : resources.adopt(composedLive, (l) => l.close());
  const cf = config.seamless.conformance;
  const conformance = cf.enabled
    ? createConformanceStage({
      pipeline: createConformancePipeline({
        priceJumpMaxAbsLogReturn: cf.priceJumpMaxAbsLogReturn,
        stalePriceMinRun: cf.stalePriceMinRun,
        wideSpreadMaxRelative: cf.wideSpreadMaxRelative,
        completenessWindowBars: cf.completenessWindowBars,
      }),
      mode: cf.mode, registry, drift: createDriftDetector(), archive: db.reports, findings: findingsIndex,
      quality: { priceJumpMaxAbsLogReturn: cf.priceJumpMaxAbsLogReturn, stalePriceMinRun: cf.stalePriceMinRun },
      clock, metrics, logger: logger.child({ name: LOGGER_NAMES.conformance }),
    })
    : undefined;
  const slaStage = deps.slaPolicies
    ? resources.adopt(createSlaStage(deps.slaPolicies, { clock, metrics, logger: logger.child({ name: LOGGER_NAMES.sla }) }), (s) => s.close())
    : undefined;
  const provider = createDataProvider({
    store, catalog, coordinator, cache, clock, logger: logger.child({ name: LOGGER_NAMES.provider }), metrics,
    maxBars: config.limits.maxBars, maxInflightReadBars: config.limits.maxInflightReadBars, syncBudgetMs: config.seamless.backfill.syncBudgetMs, backfillSuspended: config.seamless.backfill.suspended,
    liveWaitMs: config.live.waitMs, asOfRegression: config.seamless.domain.asOfRegression,
    ...(conformance ? { conformance } : {}),
    ...(slaStage ? { sla: slaStage } : {}),
    tracing,
    live,
  });
  const estimator = composeEstimator(config, { store, catalog, upstreams, metrics, clock });
  return { clock, metrics, tracing, db, store, registry, upstreams, sources, catalog, backfill, events: eventFeed.events, cache, live, provider, estimator, slaPolicies: deps.slaPolicies };
}

/** Reads routed to a standby or the primary (storage.readUrl), as metrics; the counter children are resolved once per label pair. */
function replicaMetrics(metrics: SeamlessMetrics): ReadRoutingObserver {
  const children = new Map<string, { inc(): void }>();
  return {
    read(target, reason) {
      const key = `${target}|${reason}`;
      let child = children.get(key);
      if (child === undefined) {
        child = metrics.storageReplicaReads.labels({ target, reason });
        children.set(key, child);
      }
      child.inc();
    },
    lag: (seconds) => metrics.storageReplicaLag.set(seconds),
  };
}
