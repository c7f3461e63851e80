/**
 * Bounded and fair backfill: a job past the size caps is refused before any shard is built
 * (and the event loop stays responsive while it is), a large job starts being claimed while its
 * shards are still being registered, and the shard a waiting read needs is served before a
 * burst of background jobs.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidRequestError, OHLCV_SCHEMA } from '../../../src/core/index.js';
import { createManualClock } from '../../../src/core/internal.js';
import { createDistributedCoordinator, createMemoryLeaseStore, createShardFetcher } from '../../../src/backfill/index.js';
import { DEFAULT_MAX_BARS_PER_JOB, DEFAULT_MAX_SHARDS_PER_JOB, checkJobSize } from '../../../src/backfill/internal.js';
import type { BackfillEvent, BackfillTarget, LeaseStore } from '../../../src/backfill/index.js';
import type { DistributedCoordinator } from '../../../src/backfill/internal.js';
import { createLogger } from '../../../src/observability/index.js';
import { createSyntheticSource } from '../../../src/sources/index.js';
import { createEmbeddedDatabase } from '../../../src/engines/duckdb/internal.js';
import { createDuckDbBarStore } from '../../../src/engines/duckdb/internal.js';
import type { BarStore } from '../../../src/storage/index.js';
import type { EmbeddedDatabase } from '../../../src/engines/duckdb/index.js';
import { until } from '../../helpers/until.js';
import { startMemoryCoordinator } from '../../helpers/memory-coordinator.js';
import { createCountingSource } from '../provider/counting-source.js';
import type { CountingSource } from '../provider/counting-source.js';

const MIN = 60_000;
const DAY = 86_400_000;
const NOW = Date.UTC(2024, 5, 1);
const DS = { nodeId: 'ohlcv:test:LOAD', intervalMs: MIN };
const logger = createLogger({ level: 'silent' });
const retry = { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 1_000 };

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of opened.splice(0).reverse()) await c.close();
});

interface Rig {
  readonly db: EmbeddedDatabase;
  readonly store: BarStore;
  readonly source: CountingSource;
  readonly target: BackfillTarget;
  readonly events: BackfillEvent[];
  start(leases: LeaseStore, options?: { barsPerShard?: number; workers?: number; intervalMs?: number }): Promise<DistributedCoordinator>;
}

async function rig(): Promise<Rig> {
  const clock = createManualClock(NOW);
  const db = await createEmbeddedDatabase({ path: ':memory:' });
  opened.push(db);
  const store = db.bars;
  const source = createCountingSource(createSyntheticSource({ seed: 5 }));
  const target: BackfillTarget = { dataset: DS, schema: OHLCV_SCHEMA, source };
  const events: BackfillEvent[] = [];
  return {
    db, store, source, target, events,
    async start(leases, options = {}) {
      const c = await createDistributedCoordinator({
        leases, store, fetchShard: createShardFetcher({ store, clock, logger, retry: { ...retry, maxAttempts: 1 } }),
        resolveTarget: (nodeId, intervalMs) => (nodeId === DS.nodeId && intervalMs === DS.intervalMs ? target : undefined),
        barsPerShard: options.barsPerShard ?? 60, leaseMs: 10_000, heartbeatMs: 1_000, sweepMs: 50,
        localWorkers: options.workers ?? 1, retry, clock, logger, onEvent: (e) => events.push(e),
      });
      opened.push(c);
      return c;
    },
  };
}

function refusal(run: () => unknown): InvalidRequestError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidRequestError) return error;
    throw error;
  }
  throw new InvalidRequestError('test', 'expected the job to be refused, but it was accepted');
}

describe('backfill job size caps', () => {
  it('refuses a whole-range 1m backfill at once with invalid_request naming end and the bar limit, the event loop staying responsive', async () => {
    const r = await rig();
    const c = await r.start(createMemoryLeaseStore());
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const t0 = performance.now();
    const error = refusal(() => c.submit({ target: r.target, ranges: [{ start: 0, end: 8_640_000_000_000_000 }] }));
    const elapsed = performance.now() - t0;
    await new Promise((resolve) => setTimeout(resolve, 30)); // let the monitor take a sample after the call
    loop.disable();
    const p99 = loop.percentile(99) / 1e6;
    console.log(`[job caps] whole-range 1m backfill refused in ${elapsed.toFixed(2)} ms; event-loop delay p99 ${p99.toFixed(1)} ms`);
    expect(error.field).toBe('end');
    expect(error.message).toContain(`maximum of ${DEFAULT_MAX_BARS_PER_JOB}`);
    expect(error.message).toContain('seamless.backfill.maxBarsPerJob');
    expect(error.details).toMatchObject({ field: 'end', bars: 144_000_000_000, maxBarsPerJob: DEFAULT_MAX_BARS_PER_JOB });
    expect(p99).toBeLessThan(200);
    expect(c.jobs()).toEqual([]);
  });

  it('refuses a 100,000-shard 1d job naming the shard limit, and registers nothing', async () => {
    const r = await rig();
    const leases = createMemoryLeaseStore();
    const c = await r.start(leases, { barsPerShard: 1 });
    const daily: BackfillTarget = { ...r.target, dataset: { nodeId: DS.nodeId, intervalMs: DAY } };
    const error = refusal(() => c.submit({ target: daily, ranges: [{ start: NOW - 100_000 * DAY, end: NOW }] }));
    expect(error.field).toBe('end');
    expect(error.message).toContain('100000 shards');
    expect(error.message).toContain(`maximum of ${DEFAULT_MAX_SHARDS_PER_JOB}`);
    expect(error.message).toContain('seamless.backfill.maxShardsPerJob');
    expect(await leases.claimable(NOW, 10)).toEqual([]);
    expect(await leases.jobs(10)).toEqual([]);
  });

  it('refuses an oversized job over the memory lease store too (seamless.backfill.store: memory)', async () => {
    const store = await createDuckDbBarStore({ path: ':memory:' });
    opened.push(store);
    const c = await startMemoryCoordinator({
      store, barsPerShard: 60, concurrency: 1, clock: createManualClock(NOW), logger, limits: { maxBarsPerJob: 1_000, maxShardsPerJob: 10 },
    });
    opened.push(c);
    const target: BackfillTarget = { dataset: DS, schema: OHLCV_SCHEMA, source: createSyntheticSource({ seed: 1 }) };
    expect(refusal(() => c.submit({ target, ranges: [{ start: NOW - 1_001 * MIN, end: NOW }] })).message).toContain('maximum of 1000 per backfill job');
    // 11 one-bar gaps an hour apart: 11 bars, 11 shards.
    const gaps = Array.from({ length: 11 }, (_, h) => ({ start: NOW - (h + 1) * 60 * MIN, end: NOW - (h + 1) * 60 * MIN + MIN }));
    expect(refusal(() => c.submit({ target, ranges: gaps })).message).toContain('11 shards of 60 bars, more than the maximum of 10 per backfill job');
  });

  it('counts a job at the caps exactly: bars of merged ranges, and a shard shared by adjacent ranges once', () => {
    const hour = 60 * MIN;
    const t = NOW - 10 * hour;
    // Two gaps inside one 60-bar shard, and one in the next: 2 shards, 3 bars.
    const size = checkJobSize([{ start: t, end: t + MIN }, { start: t + 30 * MIN, end: t + 31 * MIN }, { start: t + hour, end: t + hour + MIN }], MIN, 60, { maxBarsPerJob: 3, maxShardsPerJob: 2 });
    expect(size).toMatchObject({ bars: 3, shards: 2 });
    expect(() => checkJobSize([{ start: t, end: t + 4 * MIN }], MIN, 60, { maxBarsPerJob: 3, maxShardsPerJob: 2 })).toThrow(/4 1m bars, more than the maximum of 3/);
  });
});

describe('fair shards', () => {
  it('claims the first shard of a 527-shard job on the embedded store while the rest is still being registered', async () => {
    const r = await rig();
    const calls: string[] = [];
    const inner = r.db.leases;
    // A recording view of the real store (our own interface): the order of registrations and claims.
    const leases: LeaseStore = {
      kind: inner.kind,
      ensureShards: async (specs, now, options) => { const out = await inner.ensureShards(specs, now, options); calls.push('ensure'); return out; },
      ensureOpaque: (key, now, policy) => inner.ensureOpaque(key, now, policy), pruneOpaque: (now, graceMs) => inner.pruneOpaque(now, graceMs),
      claim: async (key, holder, leaseMs, now) => { const out = await inner.claim(key, holder, leaseMs, now); if (out.granted) calls.push('claim'); return out; },
      createJob: (job) => inner.createJob(job), job: (id) => inner.job(id), jobs: (limit) => inner.jobs(limit),
      shard: (key) => inner.shard(key), shards: (keys) => inner.shards(keys),
      heartbeat: (key, token, leaseMs, now) => inner.heartbeat(key, token, leaseMs, now),
      complete: (key, token, result, now) => inner.complete(key, token, result, now),
      fail: (key, token, failure, now) => inner.fail(key, token, failure, now),
      requeueExpired: (key, now) => inner.requeueExpired(key, now), claimable: (now, limit) => inner.claimable(now, limit),
      resetShards: (specs, reason, now) => inner.resetShards(specs, reason, now),
      leased: () => inner.leased(), watch: (listener) => inner.watch(listener), ping: () => inner.ping(), close: () => inner.close(),
    };
    const c = await r.start(leases, { barsPerShard: 1, workers: 1 });
    const gate = r.source.hold();
    const t0 = performance.now();
    c.submit({ target: r.target, ranges: [{ start: NOW - 527 * MIN, end: NOW }] });
    await until(() => r.events.some((e) => e.type === 'claimed'), 'the first claim', 60_000);
    const firstClaimMs = performance.now() - t0;
    await until(async () => (await inner.claimable(NOW, 1000)).length === 526, 'every shard registered', 60_000);
    const registeredMs = performance.now() - t0;
    console.log(`[fair shards] 527-shard job on DuckDB: first claim after ${firstClaimMs.toFixed(0)} ms, all shards registered after ${registeredMs.toFixed(0)} ms`);
    gate.open();
    // Before: one ensureShards call for all 527 shards, then the first claim.
    expect(calls.indexOf('claim')).toBeGreaterThanOrEqual(0);
    expect(calls.indexOf('claim')).toBeLessThan(calls.lastIndexOf('ensure'));
  });

  it('serves the shard a waiting read needs before a burst of background jobs', async () => {
    const r = await rig();
    const c = await r.start(r.db.leases, { workers: 1 });
    const gate = r.source.hold();
    const background = [1, 2, 3].map((k) => c.submit({ target: r.target, ranges: [{ start: NOW - k * 100 * 60 * MIN, end: NOW - (k * 100 - 20) * 60 * MIN }] }));
    // The one worker holds the first background shard; the other 59 are registered and waiting.
    await until(async () => (await r.db.leases.claimable(NOW, 100)).length === 59, 'the background shards registered', 60_000);
    const readRange = { start: NOW - 2 * 60 * MIN, end: NOW - 60 * MIN };
    const read = c.submit({ target: r.target, ranges: [readRange], priority: 'read' });
    await until(async () => (await r.db.leases.shards(c.shards(read.id)?.map((s) => s.key) ?? [])).length === 1, 'the read\'s shard registered', 60_000);
    gate.open();
    const status = await read.done;
    expect(status).toMatchObject({ state: 'completed', completionRatio: 1 });
    // The read's shard is the second fetch: right after the one in flight when it arrived.
    expect(r.source.ranges.findIndex((x) => x.start === readRange.start)).toBe(1);
    expect(background.some((b) => b.status().state === 'running')).toBe(true);
  });

  it('interleaves background jobs: the k-th shard of each before any job\'s (k+1)-th', async () => {
    const r = await rig();
    const c = await r.start(r.db.leases, { workers: 1 });
    const gate = r.source.hold();
    const a = { start: NOW - 100 * 60 * MIN, end: NOW - 96 * 60 * MIN };
    const b = { start: NOW - 50 * 60 * MIN, end: NOW - 46 * 60 * MIN };
    const jobA = c.submit({ target: r.target, ranges: [a] });
    await until(async () => (await r.db.leases.claimable(NOW, 100)).length === 3, 'job A registered', 60_000);
    const jobB = c.submit({ target: r.target, ranges: [b] });
    await until(async () => (await r.db.leases.claimable(NOW, 100)).length === 7, 'job B registered', 60_000);
    gate.open();
    await Promise.all([jobA.done, jobB.done]);
    const owner = r.source.ranges.map((x) => (x.start < b.start ? 'A' : 'B')).join('');
    // A's first shard was in flight when B arrived; then B's first, then in step.
    expect(owner).toBe('ABABABAB');
  });
});
