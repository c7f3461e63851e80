/**
 * The coordinator of `seamless.backfill.store: memory` for tests: the distributed coordinator over
 * the memory lease store with local workers, as compose-backfill builds it. Datasets are resolved
 * from the jobs submitted to it (a test has no catalog to hand it), so a test submits as the read
 * path does and the workers of this process fetch what it asked for.
 */
import { createDistributedCoordinator, createMemoryLeaseStore, createShardFetcher } from '../../src/backfill/index.js';
import type { BackfillTarget, LeaseStore } from '../../src/backfill/index.js';
import type { DistributedCoordinator } from '../../src/backfill/internal.js';
import type { Clock } from '../../src/core/index.js';
import type { Logger, SeamlessMetrics } from '../../src/observability/index.js';
import type { BarStore } from '../../src/storage/index.js';

export interface MemoryCoordinatorOptions {
  readonly store: BarStore;
  /** Where the workers write (default `store`). */
  readonly workerStore?: BarStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: SeamlessMetrics;
  readonly barsPerShard: number;
  /** Local lease workers (seamless.backfill.concurrency). */
  readonly concurrency: number;
  /** Attempts of a shard before it stays failed (one per lease), and the backoff between them. */
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly leaseMs?: number;
  readonly limits?: { maxBarsPerJob: number; maxShardsPerJob: number };
}

export interface MemoryCoordinator extends DistributedCoordinator {
  readonly leases: LeaseStore;
}

export async function startMemoryCoordinator(o: MemoryCoordinatorOptions): Promise<MemoryCoordinator> {
  const targets = new Map<string, BackfillTarget>();
  const leases = createMemoryLeaseStore();
  const baseDelayMs = o.baseDelayMs ?? 0;
  const retry = { maxAttempts: o.maxAttempts ?? 3, baseDelayMs, maxDelayMs: baseDelayMs };
  const coordinator = await createDistributedCoordinator({
    leases, store: o.workerStore ?? o.store,
    fetchShard: createShardFetcher({ store: o.workerStore ?? o.store, clock: o.clock, logger: o.logger, retry: { ...retry, maxAttempts: 1 } }),
    resolveTarget: (nodeId, intervalMs) => targets.get(`${nodeId}|${intervalMs}`),
    barsPerShard: o.barsPerShard, localWorkers: o.concurrency, retry, clock: o.clock, logger: o.logger,
    ...(o.leaseMs !== undefined ? { leaseMs: o.leaseMs } : {}),
    ...(o.metrics ? { metrics: o.metrics } : {}),
    ...(o.limits ? { limits: o.limits } : {}),
  });
  return {
    ...coordinator,
    leases,
    submit(request) {
      targets.set(`${request.target.dataset.nodeId}|${request.target.dataset.intervalMs}`, request.target);
      return coordinator.submit(request);
    },
    async close() {
      await coordinator.close();
      await leases.close();
    },
  };
}
