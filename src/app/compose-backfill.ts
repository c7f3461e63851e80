/**
 * Chooses and builds the backfill coordinator from the configuration:
 * - `seamless.backfill.endpoint` a URL → a coordinator in another process (jobs go there; this
 *   process lends it workers for the sources it has);
 * - else `seamless.backfill.store` `embedded` (default), `etcd` or `memory` → the distributed
 *   coordinator over that lease store, with local workers (`memory`: leases kept in this process
 *   only). The embedded and etcd lease stores come from their engines' descriptors, opened on the
 *   instance's stack (compose-storage.ts, open-etcd.ts); only the memory one is opened here.
 * `checkBackfillTopology` refuses, before anything is opened, a remote coordinator with bars kept
 * in this process's embedded DuckDB (the coordinator's workers could never fill it).
 */
import {
  createCoordinatorClient, createDistributedCoordinator, createMemoryLeaseStore,
  createRemoteCoordinator, createShardFetcher, createShardSizer, startRemoteWorker,
} from '../backfill/index.js';
import type { BackfillCoordinator, BackfillTarget, LeaseAuthority, LeaseStore } from '../backfill/index.js';
import { InternalError, parseInterval } from '../core/index.js';
import type { Clock, TimeRange } from '../core/index.js';
import type { IngestFinding } from '../conformance/index.js';
import type { SeamlessConfig } from '../config/index.js';
import type { Logger, SeamlessMetrics, Tracing } from '../observability/index.js';
import type { BarStore, DatasetKey, Fence } from '../storage/index.js';
import type { HealthCheck } from '../gateway/index.js';
import { RemoteCoordinatorStorageError } from '../provider/index.js';

export interface BackfillParts {
  readonly coordinator: BackfillCoordinator;
  /** The lease authority (lease API, remote workers), when this process coordinates with leases. */
  readonly leaseAuthority: LeaseAuthority | undefined;
  /** Whether this process runs the distributed coordinator (it logs `job_completed` itself). */
  readonly distributed: boolean;
  health(): Promise<HealthCheck>;
  /**
   * Fails every running job with `reason` when the storage under the lease store failed (its
   * shards could not even be marked failed); returns how many. Only the distributed coordinator
   * needs it: a remote one owns its storage.
   */
  failRunning(reason: string): number;
  /** Repair: resets the shard leases covering a purged range (DistributedCoordinator.resetRange); undefined with a remote coordinator. */
  readonly resetRange: ((dataset: DatasetKey, range: TimeRange, reason: string) => Promise<Fence[]>) | undefined;
  close(): Promise<void>;
}

export interface BackfillDeps {
  readonly config: SeamlessConfig['seamless']['backfill'];
  readonly store: BarStore;
  readonly embeddedLeases: LeaseStore;
  /** `embeddedLeases` and `store` are one DuckDB database (storage.engine duckdb): claims fence the bars themselves. */
  readonly barsWithEmbeddedLeases?: boolean;
  /** The etcd engine's lease store (open-etcd.ts), when `store` is `etcd`; closed by the stack that opened it. */
  readonly etcdLeases?: LeaseStore;
  readonly resolveTarget: (nodeId: string, intervalMs: number) => BackfillTarget | undefined;
  readonly onFindings: (findings: readonly IngestFinding[]) => void;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: SeamlessMetrics;
  readonly tracing?: Tracing;
  /** Bearer key (scopes backfill and worker: it asks for jobs and takes permits) for a coordinator at `endpoint` that requires keys: SEAMLESS_API_KEY. */
  readonly apiKey?: string;
}

/**
 * Rows backfilled for a remote coordinator are written by the coordinator into its storage; a
 * gateway reads them only when it reads that same database (`storage.url`, PostgreSQL). With bars
 * in its own embedded DuckDB every read would start a job whose rows it can never see.
 */
export function checkBackfillTopology(config: Pick<SeamlessConfig, 'storage' | 'seamless'>): void {
  const { endpoint } = config.seamless.backfill;
  if (endpoint !== 'embedded' && config.storage.engine === 'duckdb') throw new RemoteCoordinatorStorageError(endpoint);
}

export async function composeBackfill(d: BackfillDeps): Promise<BackfillParts> {
  const bf = d.config;
  const { store, clock, logger, metrics, resolveTarget } = d;
  const workers = bf.localWorkers ?? bf.concurrency;
  const retry = { maxAttempts: bf.maxAttempts, baseDelayMs: bf.baseDelayMs, maxDelayMs: Math.max(bf.baseDelayMs, 10_000) };
  const shardFetcher = (attempts: number) => createShardFetcher({
    store, clock, logger,
    retry: { ...retry, maxAttempts: attempts },
    onAttemptFailed: (task, attempt, reason, final) => {
      logger.warn({ shard: task.key, attempt, reason, final }, final ? 'shard fetch failed' : 'shard fetch failed; retrying');
    },
    onFindings: d.onFindings,
  });

  if (bf.endpoint !== 'embedded') {
    const client = createCoordinatorClient(bf.endpoint, d.apiKey);
    const worker = workers > 0
      ? startRemoteWorker({
        client, workerId: `gateway-${process.pid}`, concurrency: workers, resolveTarget,
        leaseMs: bf.leaseMs, heartbeatMs: bf.heartbeatMs, waitMs: 20_000, clock, logger, metrics,
        ...(d.tracing ? { tracing: d.tracing } : {}),
      })
      : undefined;
    const coordinator = createRemoteCoordinator({ client, clock, logger });
    return {
      coordinator, leaseAuthority: undefined, distributed: false, failRunning: () => 0, resetRange: undefined,
      health: () => client.health().then(
        (body) => {
          metrics.coordinatorUp.set({ backend: 'remote' }, 1);
          // The coordinator's own check (its lease store, and etcd's quorum) says the rest.
          const own = coordinatorCheckOf(body);
          return { ok: own?.ok ?? true, detail: `coordinator at ${client.baseUrl} answers${own ? `: ${own.detail}` : ''}` };
        },
        (error: unknown) => {
          metrics.coordinatorUp.set({ backend: 'remote' }, 0);
          return { ok: false, detail: `coordinator at ${client.baseUrl}: ${error instanceof Error ? error.message : String(error)}` };
        },
      ),
      async close() {
        await worker?.stop();
        await coordinator.close();
      },
    };
  }

  // Shard geometry: the per-interval policy unless barsPerShard fixes one size (shard-size.ts).
  const byInterval = new Map<number, number>();
  for (const [name, bars] of Object.entries(bf.barsPerShardByInterval)) byInterval.set(parseInterval(name, 'seamless.backfill.barsPerShardByInterval'), bars);
  const barsPerShard = createShardSizer({ ...(bf.barsPerShard !== undefined ? { barsPerShard: bf.barsPerShard } : {}), byInterval });
  const leases = bf.store === 'etcd' ? etcdLeasesOf(d) : bf.store === 'memory' ? createMemoryLeaseStore() : d.embeddedLeases;
  const coordinator = await createDistributedCoordinator({
    leases, store,
    // One attempt per lease: retries happen across leases, so any worker can take the next one.
    fetchShard: shardFetcher(1),
    resolveTarget, barsPerShard, leaseMs: bf.leaseMs, heartbeatMs: bf.heartbeatMs,
    limits: { maxBarsPerJob: bf.maxBarsPerJob, maxShardsPerJob: bf.maxShardsPerJob },
    localWorkers: workers, retry, clock, logger, metrics, onFindings: d.onFindings,
    opaqueLeases: bf.opaqueLeases, knownEmptyRecheckMs: bf.knownEmptyRecheckMs,
    claimFences: leases === d.embeddedLeases && d.barsWithEmbeddedLeases === true,
    ...(d.tracing ? { tracing: d.tracing } : {}),
  });
  return {
    coordinator, leaseAuthority: coordinator.leaseAuthority, distributed: true,
    failRunning: (reason) => coordinator.failRunning(reason),
    resetRange: (dataset, range, reason) => coordinator.resetRange(dataset, range, reason),
    async health() {
      const h = await coordinator.leaseAuthority.health();
      metrics.coordinatorUp.set({ backend: h.store }, h.ok ? 1 : 0);
      return { ok: h.ok, detail: h.detail };
    },
    async close() {
      await coordinator.close();
      // The embedded and etcd lease stores belong to their engines; the memory one is this coordinator's.
      if (bf.store === 'memory') await leases.close();
    },
  };
}

function etcdLeasesOf(d: BackfillDeps): LeaseStore {
  if (d.etcdLeases === undefined) throw new InternalError('seamless.backfill.store is etcd but the etcd engine was not opened before the coordinator');
  return d.etcdLeases;
}

/** The `coordinator` check of a coordinator's /healthz body, when it has one. */
function coordinatorCheckOf(body: unknown): { ok: boolean; detail: string } | undefined {
  const checks = typeof body === 'object' && body !== null ? (body as { checks?: unknown }).checks : undefined;
  const c = typeof checks === 'object' && checks !== null ? (checks as { coordinator?: unknown }).coordinator : undefined;
  if (typeof c !== 'object' || c === null) return undefined;
  const { ok, detail } = c as { ok?: unknown; detail?: unknown };
  return typeof ok === 'boolean' ? { ok, detail: typeof detail === 'string' ? detail : '' } : undefined;
}
