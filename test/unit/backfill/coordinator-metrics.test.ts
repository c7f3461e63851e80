/**
 * The metrics the Backfill coordinator dashboard and the alerts read, as the distributed
 * coordinator emits them: jobs running and finished by state, shards by state, and whether the
 * lease store answered the sweeper's last probe.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InternalError, OHLCV_SCHEMA } from '../../../src/core/index.js';
import { createManualClock } from '../../../src/core/internal.js';
import { createDistributedCoordinator, createShardFetcher } from '../../../src/backfill/index.js';
import { createMemoryLeaseBackend } from '../../../src/backfill/internal.js';
import type { BackfillTarget, LeaseStore } from '../../../src/backfill/index.js';
import type { DistributedCoordinator } from '../../../src/backfill/internal.js';
import { createMetrics, silentLogger } from '../../../src/observability/index.js';
import type { SeamlessMetrics } from '../../../src/observability/index.js';
import { createSyntheticSource } from '../../../src/sources/index.js';
import { createDuckDbBarStore } from '../../../src/engines/duckdb/internal.js';
import { until } from '../../helpers/until.js';

const MIN = 60_000;
const NOW = Date.UTC(2024, 5, 1);
const DS = { nodeId: 'ohlcv:test:BTC/USD', intervalMs: MIN };
const LABELS = { node_id: DS.nodeId, interval: '1m' };

const open: DistributedCoordinator[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

async function values(metrics: SeamlessMetrics, name: string): Promise<{ labels: Record<string, unknown>; value: number }[]> {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values ?? []).map((v) => ({ labels: v.labels, value: v.value }));
}

async function value(metrics: SeamlessMetrics, name: string, labels: Record<string, string>): Promise<number | undefined> {
  return (await values(metrics, name)).find((v) => JSON.stringify(v.labels) === JSON.stringify(labels))?.value;
}

async function start(leases: LeaseStore, metrics: SeamlessMetrics): Promise<{ coordinator: DistributedCoordinator; target: BackfillTarget }> {
  const clock = createManualClock(NOW);
  const store = await createDuckDbBarStore({ path: ':memory:' });
  const target: BackfillTarget = { dataset: DS, schema: OHLCV_SCHEMA, source: createSyntheticSource({ seed: 3 }) };
  const logger = silentLogger();
  const retry = { maxAttempts: 1, baseDelayMs: 1_000, maxDelayMs: 1_000 };
  const coordinator = await createDistributedCoordinator({
    leases, store, fetchShard: createShardFetcher({ store, clock, logger, retry }),
    resolveTarget: (nodeId) => (nodeId === DS.nodeId ? target : undefined),
    barsPerShard: 60, leaseMs: 10_000, heartbeatMs: 1_000, sweepMs: 20, localWorkers: 2, retry, clock, logger, metrics,
  });
  open.push(coordinator);
  return { coordinator, target };
}

describe('distributed coordinator metrics', () => {
  it('counts a job running until it ends, then finished by state, with its shards by state', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const { coordinator, target } = await start(createMemoryLeaseBackend().open(), metrics);
    const job = coordinator.submit({ target, ranges: [{ start: NOW - 5 * 3_600_000, end: NOW }] });
    expect(await value(metrics, 'seamless_backfill_jobs_running', LABELS)).toBe(1);
    await job.done;
    expect(await value(metrics, 'seamless_backfill_jobs_running', LABELS)).toBe(0);
    expect(await value(metrics, 'seamless_backfill_jobs_total', { ...LABELS, state: 'completed' })).toBe(1);
    await until(async () => await value(metrics, 'seamless_backfill_shards_in_state', { ...LABELS, state: 'completed' }) === 5, 'five completed shards');
    for (const state of ['pending', 'leased']) expect(await value(metrics, 'seamless_backfill_shards_in_state', { ...LABELS, state })).toBe(0);
    expect(await value(metrics, 'seamless_backfill_rows_written_total', LABELS)).toBe(300);
  });

  it('reports the lease store up while the sweeper reaches it and down when it does not', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const store = createMemoryLeaseBackend().open();
    let failing = false;
    const flaky = new Proxy(store, {
      get(target, property) {
        if (property === 'leased' && failing) return () => Promise.reject(new InternalError('lease store unreachable'));
        const v: unknown = Reflect.get(target, property, target);
        return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
      },
    });
    await start(flaky, metrics);
    await until(async () => await value(metrics, 'seamless_coordinator_up', { backend: 'memory' }) === 1, 'the store up');
    failing = true;
    await until(async () => await value(metrics, 'seamless_coordinator_up', { backend: 'memory' }) === 0, 'the store down');
    failing = false;
    await until(async () => await value(metrics, 'seamless_coordinator_up', { backend: 'memory' }) === 1, 'the store up again');
  });
});
