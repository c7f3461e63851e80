/**
 * What a job reports when its process stops before its shards are done, and what a job counts
 * as written: only the rows written for it (shards stored before the job count 0; a shard the
 * job joined counts what that shard wrote).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA } from '../../../src/core/index.js';
import { createManualClock } from '../../../src/core/internal.js';
import type { ManualClock } from '../../../src/core/internal.js';
import { createDistributedCoordinator, createShardFetcher } from '../../../src/backfill/index.js';
import { createMemoryLeaseBackend } from '../../../src/backfill/internal.js';
import type { BackfillEvent, BackfillTarget, LeaseStore } from '../../../src/backfill/index.js';
import type { DistributedCoordinator } from '../../../src/backfill/internal.js';
import { createLogger, createMetrics } from '../../../src/observability/index.js';
import { createSyntheticSource } from '../../../src/sources/index.js';
import { createDuckDbBarStore } from '../../../src/engines/duckdb/internal.js';
import type { BarStore } from '../../../src/storage/index.js';
import { createCountingSource } from '../provider/counting-source.js';
import type { CountingSource } from '../provider/counting-source.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const NOW = Date.UTC(2024, 5, 1);
const DS = { nodeId: 'ohlcv:test:BTC/USD', intervalMs: MIN };
const LEASE_MS = 10_000;

interface Rig {
  clock: ManualClock;
  store: BarStore;
  source: CountingSource;
  target: BackfillTarget;
  events: BackfillEvent[];
  logs: { level: number; msg: string; job?: string; state?: string; rows?: number }[];
  metrics: ReturnType<typeof createMetrics>;
  start(leases: LeaseStore): Promise<DistributedCoordinator>;
}

const open: DistributedCoordinator[] = [];
const stores: BarStore[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
  for (const s of stores.splice(0)) await s.close();
});

async function rig(): Promise<Rig> {
  const clock = createManualClock(NOW);
  const store = await createDuckDbBarStore({ path: ':memory:' });
  stores.push(store);
  const source = createCountingSource(createSyntheticSource({ seed: 5 }));
  const target: BackfillTarget = { dataset: DS, schema: OHLCV_SCHEMA, source };
  const events: BackfillEvent[] = [];
  const logs: Rig['logs'] = [];
  const metrics = createMetrics({ defaultMetrics: false });
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => { logs.push(JSON.parse(line) as Rig['logs'][number]); } } });
  return {
    clock, store, source, target, events, logs, metrics,
    async start(leases) {
      const retry = { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 1_000 };
      const c = await createDistributedCoordinator({
        leases, store,
        fetchShard: createShardFetcher({ store, clock, logger, retry: { ...retry, maxAttempts: 1 } }),
        resolveTarget: (nodeId, intervalMs) => (nodeId === DS.nodeId && intervalMs === DS.intervalMs ? target : undefined),
        barsPerShard: 60, leaseMs: LEASE_MS, heartbeatMs: 1_000, sweepMs: 20,
        localWorkers: 2, retry, clock, logger, metrics, onEvent: (e) => events.push(e),
      });
      open.push(c);
      return c;
    },
  };
}

const lastHours = (hours: number) => ({ start: NOW - hours * HOUR, end: NOW });

describe('backfill job at shutdown', () => {
  it('reports a job stopped at shutdown as interrupted with its true ratio, and completes it at the next start', async () => {
    const r = await rig();
    const backend = createMemoryLeaseBackend();
    const first = await r.start(backend.open());
    await first.submit({ target: r.target, ranges: [lastHours(3)] }).done;
    r.clock.advance(1_000);
    const gate = r.source.hold();
    const job = first.submit({ target: r.target, ranges: [lastHours(7)] });
    await r.source.whenCalls(3 + 2); // both workers are fetching shards of the new job
    await first.close();

    const stopped = await job.done;
    expect(stopped.state).toBe('interrupted');
    expect(stopped.completionRatio).toBeCloseTo(3 / 7);
    expect(stopped.shards.completed).toBe(3);
    expect(stopped.shards.failed).toBe(0);
    expect(stopped.finishedAt).toBeUndefined();
    expect(first.job(job.id)?.state).toBe('interrupted');
    expect(r.events.filter((e) => e.type === 'job_completed' && e.jobId === job.id))
      .toEqual([expect.objectContaining({ state: 'interrupted', completionRatio: stopped.completionRatio })]);
    expect(r.logs.filter((l) => l.job === job.id && l.state === 'completed')).toEqual([]);
    expect(r.logs.some((l) => l.job === job.id && l.state === 'interrupted' && l.msg.includes('interrupted'))).toBe(true);
    const jobsTotal = await r.metrics.registry.getSingleMetricAsString('seamless_backfill_jobs_total');
    expect(jobsTotal).toMatch(/state="interrupted"\} 1$/m);
    expect(jobsTotal).toMatch(/state="completed"\} 1$/m); // the first job only

    gate.open();
    r.clock.advance(LEASE_MS + 1);
    const second = await r.start(backend.open());
    const resumed = await second.wait(job.id);
    expect(resumed).toMatchObject({ state: 'completed', completionRatio: 1, rowsWritten: 4 * 60 });
    expect((await r.store.read(DS, OHLCV_SCHEMA, lastHours(7))).length).toBe(7 * 60);
  });
});

describe('backfill job rowsWritten', () => {
  it('counts 0 for shards already stored when the job was created', async () => {
    const r = await rig();
    const c = await r.start(createMemoryLeaseBackend().open());
    expect(await c.submit({ target: r.target, ranges: [lastHours(3)] }).done).toMatchObject({ state: 'completed', rowsWritten: 180 });
    r.clock.advance(1_000);
    const again = await c.submit({ target: r.target, ranges: [lastHours(3)] }).done;
    expect(again).toMatchObject({ state: 'completed', completionRatio: 1, rowsWritten: 0 });
    const wider = c.submit({ target: r.target, ranges: [lastHours(5)] });
    expect(await wider.done).toMatchObject({ state: 'completed', rowsWritten: 120 });
    expect(c.shards(wider.id)?.map((s) => s.rowsWritten).sort((a, b) => a - b)).toEqual([0, 0, 0, 60, 60]);
  });

  it('counts a joined shard with the rows that shard wrote', async () => {
    const r = await rig();
    const c = await r.start(createMemoryLeaseBackend().open());
    const gate = r.source.hold();
    const a = c.submit({ target: r.target, ranges: [lastHours(2)] });
    await r.source.whenCalls(2);
    const b = c.submit({ target: r.target, ranges: [lastHours(2)] });
    expect(c.shards(b.id)?.every((s) => s.joined)).toBe(true);
    gate.open();
    expect(await a.done).toMatchObject({ state: 'completed', rowsWritten: 120 });
    expect(await b.done).toMatchObject({ state: 'completed', rowsWritten: 120 });
  });

  it('counts the rows a recovered job wrote before and after the restart, not the shards stored before it', async () => {
    const r = await rig();
    const backend = createMemoryLeaseBackend();
    const first = await r.start(backend.open());
    await first.submit({ target: r.target, ranges: [lastHours(2)] }).done;
    r.clock.advance(1_000);
    const job = first.submit({ target: r.target, ranges: [lastHours(4)] });
    await job.done;
    await first.close();
    const second = await r.start(backend.open());
    expect(second.job(job.id)).toMatchObject({ state: 'completed', rowsWritten: 120 });
  });
});
