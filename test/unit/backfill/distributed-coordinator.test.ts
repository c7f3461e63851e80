import { afterEach, describe, expect, it } from 'vitest';
import { StaleFencingTokenError, OHLCV_SCHEMA, barCount, delay, UpstreamUnavailableError } from '../../../src/core/index.js';
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
import { until } from '../../helpers/until.js';
import type { CountingSource } from '../provider/counting-source.js';

const MIN = 60_000;
const NOW = Date.UTC(2024, 5, 1);
const DS = { nodeId: 'ohlcv:test:BTC/USD', intervalMs: MIN };
const BARS_PER_SHARD = 60;

interface Rig {
  clock: ManualClock;
  store: BarStore;
  source: CountingSource;
  target: BackfillTarget;
  start(leases: LeaseStore, options?: { workers?: number; leaseMs?: number; maxAttempts?: number; sweepMs?: number }): Promise<DistributedCoordinator>;
  events: BackfillEvent[];
  /** Every log line of every coordinator of the rig, as JSON. */
  logs: { level: number; msg: string; err?: unknown }[];
  metrics: ReturnType<typeof createMetrics>;
}

const open: DistributedCoordinator[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

async function rig(): Promise<Rig> {
  const clock = createManualClock(NOW);
  const store = await createDuckDbBarStore({ path: ':memory:' });
  const source = createCountingSource(createSyntheticSource({ seed: 3 }));
  const target: BackfillTarget = { dataset: DS, schema: OHLCV_SCHEMA, source };
  const events: BackfillEvent[] = [];
  const metrics = createMetrics({ defaultMetrics: false });
  const logs: Rig['logs'] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => { logs.push(JSON.parse(line) as Rig['logs'][number]); } } });
  return {
    clock, store, source, target, events, metrics, logs,
    async start(leases, options = {}) {
      const retry = { maxAttempts: options.maxAttempts ?? 3, baseDelayMs: 1_000, maxDelayMs: 1_000 };
      const c = await createDistributedCoordinator({
        leases, store,
        fetchShard: createShardFetcher({ store, clock, logger, retry: { ...retry, maxAttempts: 1 } }),
        resolveTarget: (nodeId, intervalMs) => (nodeId === DS.nodeId && intervalMs === DS.intervalMs ? target : undefined),
        barsPerShard: BARS_PER_SHARD, leaseMs: options.leaseMs ?? 10_000, heartbeatMs: 1_000, sweepMs: options.sweepMs ?? 20,
        localWorkers: options.workers ?? 2, retry, clock, logger, metrics, onEvent: (e) => events.push(e),
      });
      open.push(c);
      return c;
    },
  };
}

const range = (hours: number) => ({ start: NOW - hours * 3_600_000, end: NOW });

describe('distributed coordinator', () => {
  it('completes a job through its local workers and stores every bar', async () => {
    const r = await rig();
    const c = await r.start(createMemoryLeaseBackend().open());
    const job = c.submit({ target: r.target, ranges: [range(5)] });
    const status = await job.done;
    expect(status).toMatchObject({ state: 'completed', completionRatio: 1, totalShards: 5 });
    await delay(5);
    expect((await r.store.read(DS, OHLCV_SCHEMA, range(5))).length).toBe(barCount(range(5), MIN));
    expect(r.events.filter((e) => e.type === 'claimed')).toHaveLength(5);
    expect(r.events.at(-1)).toMatchObject({ type: 'job_completed', jobId: job.id, completionRatio: 1 });
  });

  it('fetches each shard once when two coordinators share the lease store with overlapping jobs', async () => {
    const r = await rig();
    const backend = createMemoryLeaseBackend();
    const a = await r.start(backend.open(), { workers: 3 });
    const b = await r.start(backend.open(), { workers: 3 });
    const jobs = [a.submit({ target: r.target, ranges: [range(8)] }), b.submit({ target: r.target, ranges: [range(6)] }), a.submit({ target: r.target, ranges: [range(10)] })];
    const done = await Promise.all(jobs.map((j) => j.done));
    for (const s of done) expect(s.completionRatio).toBe(1);
    const keys = r.source.ranges.map((x) => `${x.start}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(10);
    expect((await r.store.read(DS, OHLCV_SCHEMA, range(10))).length).toBe(600);
  });

  it('hands an expired claim to another worker, counts the stale claim, and fences out the old holder', async () => {
    const r = await rig();
    const c = await r.start(createMemoryLeaseBackend().open(), { workers: 0, leaseMs: 5_000 });
    const job = c.submit({ target: r.target, ranges: [{ start: NOW - 60 * MIN, end: NOW }] });
    await delay(20);
    const dead = await c.leaseAuthority.nextShard('dead-worker', 5_000, 1_000);
    expect(dead?.token).toBe(1);
    r.clock.advance(6_000); // the dead worker never heartbeats
    const next = await c.leaseAuthority.nextShard('live-worker', 5_000, 5_000);
    expect(next?.key).toBe(dead?.key);
    expect(next?.token).toBe(2);
    expect(await r.metrics.registry.getSingleMetricAsString('seamless_backfill_stale_claims_total')).toMatch(/\} 1$/m);
    const batch = await r.source.fetch({ nodeId: DS.nodeId, intervalMs: MIN, range: { start: NOW - 60 * MIN, end: NOW } });
    const coverage = [{ start: NOW - 60 * MIN, end: NOW, state: 'stored' as const }];
    await expect(c.leaseAuthority.writeShard(dead?.key ?? '', 1, { frame: batch.frame, coverage, findings: [] })).rejects.toBeInstanceOf(StaleFencingTokenError);
    await c.leaseAuthority.writeShard(next?.key ?? '', 2, { frame: batch.frame, coverage, findings: [] });
    await expect(c.leaseAuthority.complete(dead?.key ?? '', 1)).rejects.toMatchObject({ code: 'conflict' });
    await c.leaseAuthority.complete(next?.key ?? '', 2, { rowsWritten: 60, state: 'completed' });
    expect(await job.done).toMatchObject({ state: 'completed', completionRatio: 1 });
    await delay(5);
    expect(r.events.map((e) => e.type)).toEqual(expect.arrayContaining(['expired', 'claimed', 'rows_written', 'completed', 'job_completed']));
  });

  it('finishes a job whose shard completion its watch never delivered (a missed watch event), from the sweep\'s fresh read', async () => {
    const r = await rig();
    const backend = createMemoryLeaseBackend();
    const inner = backend.open();
    // A fake of our own LeaseStore interface: the real store, but its watch loses every change (as
    // an etcd watch does across a compaction or a lost stream).
    const deaf: LeaseStore = {
      kind: inner.kind, watch: () => () => undefined,
      ensureShards: (specs, now, options) => inner.ensureShards(specs, now, options),
      ensureOpaque: (key, now, policy) => inner.ensureOpaque(key, now, policy), pruneOpaque: (now, graceMs) => inner.pruneOpaque(now, graceMs),
      claim: (key, holder, leaseMs, now) => inner.claim(key, holder, leaseMs, now),
      createJob: (record) => inner.createJob(record), job: (id) => inner.job(id), jobs: (limit) => inner.jobs(limit),
      shard: (key) => inner.shard(key), shards: (keys) => inner.shards(keys),
      heartbeat: (key, token, leaseMs, now) => inner.heartbeat(key, token, leaseMs, now),
      complete: (key, token, result, now) => inner.complete(key, token, result, now),
      fail: (key, token, failure, now) => inner.fail(key, token, failure, now),
      requeueExpired: (key, now) => inner.requeueExpired(key, now), claimable: (now, limit) => inner.claimable(now, limit),
      resetShards: (specs, reason, now) => inner.resetShards(specs, reason, now),
      leased: () => inner.leased(), ping: () => inner.ping(), close: () => inner.close(),
    };
    const c = await r.start(deaf, { workers: 0 });
    const job = c.submit({ target: r.target, ranges: [range(1)] });
    const lease = await c.leaseAuthority.nextShard('remote', 10_000, 5_000);
    if (lease === undefined) throw new Error('no shard to lease');
    expect(job.status()).toMatchObject({ state: 'running' });
    // Completed through another handle: the coordinator hears nothing of it.
    const other = backend.open();
    await other.complete(lease.key, lease.token, { state: 'completed', rowsWritten: 60 }, NOW);
    await other.close();
    await until(() => job.status().state === 'completed', 'the job to see its shard completed', 10_000);
    expect(job.status()).toMatchObject({ state: 'completed', completionRatio: 1 });
  });

  it('retries a failed shard after its backoff and fails it for good after the attempt limit', async () => {
    const r = await rig();
    r.source.failWith(new UpstreamUnavailableError('exchange', 'HTTP 503'), 1);
    const c = await r.start(createMemoryLeaseBackend().open(), { workers: 1, maxAttempts: 3 });
    const job = c.submit({ target: r.target, ranges: [{ start: NOW - 60 * MIN, end: NOW }] });
    while (!r.events.some((e) => e.type === 'requeued')) await delay(5);
    r.clock.advance(2_000);
    expect(await job.done).toMatchObject({ state: 'completed', completionRatio: 1 });
    expect(c.shards(job.id)?.[0]).toMatchObject({ attempts: 1, state: 'completed' });

    r.source.failWith(new UpstreamUnavailableError('exchange', 'bad symbol', { retryable: false }));
    const failing = c.submit({ target: r.target, ranges: [{ start: NOW - 120 * MIN, end: NOW - 60 * MIN }] });
    const status = await failing.done;
    expect(status).toMatchObject({ state: 'failed', completionRatio: 0 });
    expect(status.errors[0].reason).toContain('bad symbol');
  });

  it('fetches a failed shard again for a later job that asks for it, instead of failing that job at once', async () => {
    const r = await rig();
    r.source.failWith(new UpstreamUnavailableError('exchange', 'bad symbol', { retryable: false }), 1);
    const c = await r.start(createMemoryLeaseBackend().open(), { workers: 1 });
    const first = await c.submit({ target: r.target, ranges: [{ start: NOW - 60 * MIN, end: NOW }] }).done;
    expect(first).toMatchObject({ state: 'failed', completionRatio: 0 });
    const again = await c.submit({ target: r.target, ranges: [{ start: NOW - 60 * MIN, end: NOW }] }).done;
    expect(again).toMatchObject({ state: 'completed', completionRatio: 1, rowsWritten: 60, errors: [] });
    expect(r.source.ranges).toHaveLength(2);
  });

  it('re-queues unfinished shards after a restart and completes the job it finds in the store', async () => {
    const r = await rig();
    const backend = createMemoryLeaseBackend();
    const first = await r.start(backend.open(), { workers: 0, leaseMs: 5_000 });
    const job = first.submit({ target: r.target, ranges: [range(3)] });
    await delay(20);
    await first.leaseAuthority.nextShard('about-to-crash', 5_000, 1_000);
    await first.close();
    r.clock.advance(6_000);
    const second = await r.start(backend.open(), { workers: 2 });
    expect(second.job(job.id)).toBeDefined();
    const done = await second.wait(job.id);
    expect(done).toMatchObject({ state: 'completed', completionRatio: 1 });
    expect(r.events.some((e) => e.type === 'requeued' && e.reason === 'recovery')).toBe(true);
    expect((await r.store.read(DS, OHLCV_SCHEMA, range(3))).length).toBe(180);
  });

  it('re-queues every unfinished shard at start, before any sweep, without an error', async () => {
    const r = await rig();
    const backend = createMemoryLeaseBackend();
    const first = await r.start(backend.open(), { workers: 0, leaseMs: 5_000 });
    const job = first.submit({ target: r.target, ranges: [range(4)] });
    for (let i = 0; i < 4; i++) expect(await first.leaseAuthority.nextShard(`about-to-crash-${i}`, 5_000, 1_000)).toBeDefined();
    await first.close();
    r.clock.advance(6_000);
    // A sweeper far in the future: only recovery at start can hand the shards back.
    const second = await r.start(backend.open(), { workers: 2, sweepMs: 600_000 });
    expect(r.events.filter((e) => e.type === 'requeued' && e.reason === 'recovery')).toHaveLength(4);
    expect(r.logs.filter((l) => l.level >= 50)).toEqual([]);
    expect(await second.wait(job.id)).toMatchObject({ state: 'completed', completionRatio: 1 });
    expect((await r.store.read(DS, OHLCV_SCHEMA, range(4))).length).toBe(240);
  });

  it('does not report jobs that had finished before a restart as finishing again', async () => {
    const r = await rig();
    const backend = createMemoryLeaseBackend();
    const first = await r.start(backend.open(), { workers: 2 });
    const job = first.submit({ target: r.target, ranges: [range(2)] });
    await job.done;
    await delay(5);
    await first.close();
    const before = { events: r.events.length, logs: r.logs.length };
    const second = await r.start(backend.open(), { workers: 2 });
    expect(second.job(job.id)).toMatchObject({ state: 'completed', completionRatio: 1 });
    await delay(5); // the finish is reported after the current turn: give it one
    expect(r.events.slice(before.events).filter((e) => e.type === 'job_completed')).toEqual([]);
    expect(r.logs.slice(before.logs).filter((l) => l.msg === 'backfill job finished')).toEqual([]);
    expect(await r.metrics.registry.getSingleMetricAsString('seamless_backfill_jobs_total')).toMatch(/state="completed"\} 1$/m);
  });
});
