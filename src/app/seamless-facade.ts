/**
 * The instance `createSeamless` returns, served from the parts open-instance.ts opened: reads,
 * coverage, backfill jobs, imports, reports and the health checks. `close` is handed in (the
 * unwinding of the instance's resource stack) and runs once.
 */
import { InvalidRequestError, formatInterval, frameSchemaByName, parseInterval, parseTime } from '../core/index.js';
import type { SeamlessConfig } from '../config/index.js';
import { LOGGER_NAMES } from '../observability/index.js';
import type { Logger } from '../observability/index.js';
import { importFile } from '../sources/index.js';
import type { HealthCheck } from '../gateway/index.js';
import { BackfillSuspendedError, UnknownDatasetError, createStreamService, bucketCoverage, bucketRange, conditionDays, createRepair, createSnapshots, datasetCondition, datasetKeyPrefix, derivationOf, derivedFrom } from '../provider/index.js';
import { createParquetFrames } from '../engines/duckdb/index.js';
import type { Derivation, PurgeCommand, ResolvedDataset } from '../provider/index.js';
import { storageCheck } from './storage-health.js';
import { universeRequest } from './universe-nodes.js';
import type { Seamless } from './create-seamless.js';
import type { InstanceParts } from './open-instance.js';

/** How long `health()` waits for one upstream's answer. */
const UPSTREAM_HEALTH_TIMEOUT_MS = 5_000;

export function seamlessFacade(config: SeamlessConfig, dataDir: string, logger: Logger, parts: InstanceParts, close: () => Promise<void>): Seamless {
  const { metrics, tracing, db, store, registry, upstreams, sources, catalog, backfill, events, cache, live, provider } = parts;
  const { coordinator } = backfill;

  async function resolveOrThrow(nodeId: string, interval: string | number): Promise<ResolvedDataset> {
    if (typeof nodeId !== 'string' || nodeId.length === 0) throw new InvalidRequestError('node', 'is required');
    const intervalMs = parseInterval(interval, 'interval');
    const resolved = await catalog.resolve(nodeId, intervalMs);
    if (!resolved) throw new UnknownDatasetError(nodeId, intervalMs);
    return resolved;
  }

  const repair = createRepair({
    store, resolve: (nodeId, intervalMs) => catalog.resolve(nodeId, intervalMs), resetRange: backfill.resetRange,
    coordinatorEndpoint: config.seamless.backfill.endpoint, cache, metrics, logger,
  });
  /** What a backfill of the dataset needs, checked before a forced backfill purges anything. */
  function assertBackfillable(nodeId: string, resolved: ResolvedDataset): void {
    if (!resolved.source) throw new InvalidRequestError('node', `dataset ${nodeId} has no upstream source to backfill from`);
    if (config.seamless.backfill.suspended) throw new BackfillSuspendedError();
  }

  /**
   * The dataset an interval is read from: its base when the interval is derived (configured or
   * not, as the read derives it; not derivable: 400 naming `interval`), else the interval itself.
   */
  async function resolveRead(nodeId: string, interval: string | number): Promise<{ resolved: ResolvedDataset; intervalMs: number; derived: Derivation | undefined }> {
    if (typeof nodeId !== 'string' || nodeId.length === 0) throw new InvalidRequestError('node', 'is required');
    const intervalMs = parseInterval(interval, 'interval');
    const derived = derivationOf(catalog, nodeId, intervalMs);
    return { resolved: await resolveOrThrow(nodeId, derived?.baseMs ?? intervalMs), intervalMs, derived };
  }

  /** A repair command of a derived interval as the command of its base bars over whole buckets; others unchanged. */
  async function baseOfDerived<C extends PurgeCommand>(command: C): Promise<C> {
    const { derived } = await resolveRead(command.nodeId, command.interval);
    if (derived === undefined) return command;
    const range = bucketRange({ start: parseTime(command.start, 'start'), end: parseTime(command.end, 'end') }, derived.intervalMs);
    return { ...command, interval: formatInterval(derived.baseMs), start: range.start, end: range.end };
  }

  const snapshots = createSnapshots({
    store: db.snapshots, bars: store, fetch: (request) => provider.fetch(request), clock: parts.clock,
    logger: logger.child({ name: LOGGER_NAMES.provider, part: 'snapshots' }), files: createParquetFrames(),
  });

  // Subscriptions: replays through this instance's read path, live bars from its live hub.
  const stream = createStreamService({
    catalog, fetch: (request) => provider.fetch(request), live, clock: parts.clock, metrics,
    limits: { maxSubscribers: config.stream.maxSubscribers, maxBufferedBytes: config.stream.maxBufferedBytes, heartbeatMs: config.stream.heartbeatMs, chunkBars: config.stream.replayChunkBars },
  });

  let closed = false;
  return {
    stream,
    snapshots,
    slaPolicies: parts.slaPolicies,
    config,
    dataDir,
    metrics,
    logger,
    tracing,
    registry,
    coordinator,
    leaseAuthority: backfill.leaseAuthority,
    upstreams,
    live,
    fetch: (request) => provider.fetch(request),
    estimate: (request) => parts.estimator.estimate(request),
    fetchUniverse: async (request) => provider.fetchUniverse(universeRequest(config, request)),
    reports: (filter) => db.reports.list(filter),
    report: (id) => db.reports.get(id),

    async coverage(nodeId, interval, range) {
      // A derived interval: the base coverage of the whole buckets, in bucket terms.
      const { resolved, derived } = await resolveRead(nodeId, interval);
      if (derived === undefined) return store.coverage(resolved.dataset, range);
      const base = await store.coverage(resolved.dataset, range === undefined ? undefined : bucketRange(range, derived.intervalMs));
      return bucketCoverage(base, derived.intervalMs);
    },

    derivedFrom(nodeId, interval) {
      const derived = derivationOf(catalog, nodeId, parseInterval(interval, 'interval'));
      return derived === undefined ? undefined : derivedFrom(derived);
    },

    datasets: () => catalog.list(),

    async condition(nodeId, interval, start, end) {
      // Every field is checked (400 naming it) before the dataset is looked up (404).
      const startMs = parseTime(start, 'start');
      const endMs = parseTime(end, 'end');
      conditionDays(startMs, endMs);
      // A derived interval is judged from the base bars its reads resample.
      const { resolved, intervalMs, derived } = await resolveRead(nodeId, interval);
      const answer = await datasetCondition({ store, findings: db.findings, coordinator, clock: parts.clock }, resolved.dataset, startMs, endMs);
      return { nodeId, interval: formatInterval(intervalMs), derivedFrom: derived === undefined ? null : derivedFrom(derived), ...answer };
    },

    async backfill(command) {
      // A derived interval is never stored: backfill the base bars of its whole buckets, which reads resample.
      const { resolved, derived } = await resolveRead(command.nodeId, command.interval);
      const start = parseTime(command.start, 'start');
      const end = parseTime(command.end, 'end');
      if (end <= start) throw new InvalidRequestError('end', `must be after start (${start})`, { start, end });
      const range = derived === undefined ? { start, end } : bucketRange({ start, end }, derived.intervalMs);
      if (!resolved.source) throw new InvalidRequestError('node', `dataset ${command.nodeId} has no upstream source to backfill from`);
      if (config.seamless.backfill.suspended) throw new BackfillSuspendedError();
      const job = coordinator.submit({
        target: { dataset: resolved.dataset, schema: resolved.schema, source: resolved.source, calendar: resolved.calendar },
        ranges: [range],
        requestedBy: command.requestedBy ?? 'library',
        priority: command.priority ?? 'background',
      });
      if (derived === undefined) return job.status();
      return { ...job.status(), derivedFrom: { ...derivedFrom(derived), forInterval: formatInterval(derived.intervalMs), range } };
    },

    async purge(command) {
      // A derived interval is never stored: its bars are the base bars, which a purge must name.
      const derived = derivationOf(catalog, command.nodeId, parseInterval(command.interval, 'interval'));
      if (derived !== undefined) {
        throw new InvalidRequestError('interval', `${formatInterval(derived.intervalMs)} of ${command.nodeId} is derived from its ${formatInterval(derived.baseMs)} bars and never stored: purge the ${formatInterval(derived.baseMs)} bars of the range instead`, { baseInterval: formatInterval(derived.baseMs) });
      }
      return repair.purge(command, 'purge');
    },

    async forceBackfill(command) {
      // A derived interval re-fetches the base bars of its whole buckets (what its reads resample).
      const purgeCommand = await baseOfDerived(command);
      const purge = await repair.purge({ ...purgeCommand, actor: command.actor }, 'force_backfill', (resolved) => assertBackfillable(command.nodeId, resolved));
      const job = await this.backfill({ ...command, requestedBy: command.requestedBy ?? command.actor });
      return { purge, job };
    },

    repairAudit: (filter) => repair.audit(filter),

    backfillJob(id) {
      const status = coordinator.job(id);
      if (!status) return undefined;
      return { ...status, shardList: coordinator.shards(id) ?? [] };
    },

    backfillJobs: () => coordinator.jobs(),
    waitBackfill: (id, signal) => coordinator.wait(id, signal),
    subscribe: (listener) => coordinator.subscribe(listener),
    events,

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
      // A standby that is down or lagging is reported, never failing: reads then go to the primary.
      if (db.replica !== undefined) checks['storage:standby'] = await db.replica.health();
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
      // Cache coherence across processes on shared storage (cache-coherence.ts): is the change listener listening?
      if (db.changes) checks.changeListener = db.changes.health();
      return checks;
    },

    storageFailure: () => db.failure(),

    cacheStats: () => cache?.stats(),

    close() {
      closed = true;
      stream.closeAll();
      return close();
    },
  };
}
