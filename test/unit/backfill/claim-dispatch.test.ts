/**
 * How the local workers take shards: one claimer for every free worker (no herd of loops all
 * claiming the same first shard, each refused claim a write transaction), several shards per
 * claim step, and — when the lease store holds the bars' fences (embedded DuckDB for both) — the
 * storage fence advanced inside the claim's transaction, still refusing a stale token's write.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, StaleFencingTokenError, barCount } from '../../../src/core/index.js';
import { createManualClock } from '../../../src/core/internal.js';
import { createDistributedCoordinator, createShardFetcher } from '../../../src/backfill/index.js';
import { createMemoryLeaseBackend } from '../../../src/backfill/internal.js';
import type { BackfillTarget, LeaseStore } from '../../../src/backfill/index.js';
import type { DistributedCoordinator } from '../../../src/backfill/internal.js';
import { createEmbeddedDatabase } from '../../../src/engines/duckdb/internal.js';
import type { EmbeddedDatabase } from '../../../src/engines/duckdb/index.js';
import { createLogger } from '../../../src/observability/index.js';
import { createSyntheticSource } from '../../../src/sources/index.js';
import type { BarStore } from '../../../src/storage/index.js';

const MIN = 60_000;
const NOW = Date.UTC(2024, 5, 1);
const DS = { nodeId: 'ohlcv:test:BTC/USD', intervalMs: MIN };
const RANGE = { start: NOW - 180 * MIN, end: NOW }; // 3 shards of 60 bars

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

/** `batches`: claimBatch steps that granted at least one shard. */
interface Counts { claims: number; refused: number; batches: number; fences: number; completes?: number; jobs?: number; steps?: number; settled?: number }

/** Every method of `inner` bound to it (the stores keep private fields), plus its properties. */
function bound<T extends object>(inner: T): T {
  const out: Record<string, unknown> = {};
  for (let o: object | null = inner; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name === 'constructor' || name in out) continue;
      const value: unknown = (inner as Record<string, unknown>)[name];
      out[name] = typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(inner) : value;
    }
  }
  return out as T;
}

/** The real lease store, counting claim steps (a claim, or a claimBatch) and refused claims. */
function countingLeases(inner: LeaseStore, counts: Counts): LeaseStore {
  return Object.assign(bound(inner), {
    async createJob(...args: Parameters<LeaseStore['createJob']>) {
      counts.jobs = (counts.jobs ?? 0) + 1;
      await inner.createJob(...args);
    },
    async complete(...args: Parameters<LeaseStore['complete']>) {
      counts.completes = (counts.completes ?? 0) + 1;
      return await inner.complete(...args);
    },
    async claim(...args: Parameters<LeaseStore['claim']>) {
      counts.claims++;
      const r = await inner.claim(...args);
      if (!r.granted) counts.refused++;
      return r;
    },
    ...(inner.claimBatch ? {
      async claimBatch(...args: Parameters<NonNullable<LeaseStore['claimBatch']>>) {
        counts.steps = (counts.steps ?? 0) + 1;
        const grants = await (inner.claimBatch as NonNullable<LeaseStore['claimBatch']>).call(inner, ...args);
        counts.settled = (counts.settled ?? 0) + 1;
        if (grants.length > 0) counts.batches++;
        return grants;
      },
    } : {}),
  });
}

/** The real bar store, counting separate fence transactions. */
function countingStore(inner: BarStore, counts: Counts): BarStore {
  return Object.assign(bound(inner), {
    async advanceFence(...args: Parameters<BarStore['advanceFence']>) {
      counts.fences++;
      await inner.advanceFence(...args);
    },
  });
}

async function start(leases: LeaseStore, store: BarStore, claimFences: boolean): Promise<DistributedCoordinator> {
  const clock = createManualClock(NOW);
  const logger = createLogger({ level: 'silent' });
  const target: BackfillTarget = { dataset: DS, schema: OHLCV_SCHEMA, source: createSyntheticSource({ seed: 3 }) };
  const retry = { maxAttempts: 1, baseDelayMs: 1_000, maxDelayMs: 1_000 };
  const c = await createDistributedCoordinator({
    leases, store, fetchShard: createShardFetcher({ store, clock, logger, retry }),
    resolveTarget: (nodeId, intervalMs) => (nodeId === DS.nodeId && intervalMs === DS.intervalMs ? target : undefined),
    // A long sweep: only wake-ups get the workers going.
    barsPerShard: 60, leaseMs: 60_000, heartbeatMs: 20_000, sweepMs: 60_000, localWorkers: 4, retry, clock, logger,
    claimFences,
  });
  open.push(c);
  return c;
}

async function embedded(): Promise<EmbeddedDatabase> {
  const db = await createEmbeddedDatabase({ path: ':memory:' });
  open.push(db);
  return db;
}

describe('local workers claiming shards', () => {
  it('idle workers woken by a new job take its shards without one refused claim (memory lease store)', async () => {
    const db = await embedded();
    const counts: Counts = { claims: 0, refused: 0, batches: 0, fences: 0 };
    const c = await start(countingLeases(createMemoryLeaseBackend().open(), counts), db.bars, false);
    const status = await c.submit({ target: { dataset: DS, schema: OHLCV_SCHEMA, source: createSyntheticSource({ seed: 3 }) }, ranges: [RANGE], priority: 'read' }).done;
    expect(status).toMatchObject({ state: 'completed', totalShards: 3, rowsWritten: barCount(RANGE, MIN) });
    expect(counts.refused).toBe(0);
    expect(counts.claims).toBe(3);
  });

  it('claims the shards of a job for the free workers in one step of the embedded store, fencing the bars in it and completing each with its write (job registered with its shards)', async () => {
    const db = await embedded();
    const counts: Counts = { claims: 0, refused: 0, batches: 0, fences: 0 };
    const store = countingStore(db.bars, counts);
    const c = await start(countingLeases(db.leases, counts), store, true);
    const job = c.submit({ target: { dataset: DS, schema: OHLCV_SCHEMA, source: createSyntheticSource({ seed: 3 }) }, ranges: [RANGE], priority: 'read' });
    const status = await job.done;
    expect(status).toMatchObject({ state: 'completed', totalShards: 3, rowsWritten: barCount(RANGE, MIN) });
    expect(counts.refused).toBe(0);
    expect(counts.claims).toBe(0);
    expect(counts.batches).toBe(1);
    // The fences were advanced by the claim's transaction, not by a transaction of their own...
    expect(counts.fences).toBe(0);
    // The job record was registered with its shards (one transaction), and is there for recovery.
    expect(counts.jobs ?? 0).toBe(0);
    expect(await db.leases.job(job.id)).toMatchObject({ id: job.id, shardKeys: (c.shards(job.id) ?? []).map((s) => s.key) });
    // Each completion committed with its shard's write, not in a transaction of its own.
    expect(counts.completes ?? 0).toBe(0);
    expect((await db.leases.shards(status.totalShards === 3 ? (c.shards(job.id) ?? []).map((s) => s.key) : [])).map((s) => s.state)).toEqual(['completed', 'completed', 'completed']);
    // ...and still refuse a write with an older token than the grant's.
    const [shard] = c.shards(job.id) ?? [];
    const frame = (await db.bars.read(DS, OHLCV_SCHEMA, { start: shard.start, end: shard.end }));
    await expect(db.bars.write({ dataset: DS, frame, coverage: [{ start: shard.start, end: shard.end, state: 'stored' }], fence: { key: shard.key, token: 0 } }, OHLCV_SCHEMA))
      .rejects.toBeInstanceOf(StaleFencingTokenError);
  });
});

describe('claiming after leases end', () => {
  it('does not claim again as each lease ends once a claim left a worker idle, but does for new shards', async () => {
    const db = await embedded();
    const counts: Counts = { claims: 0, refused: 0, batches: 0, fences: 0 };
    const c = await start(countingLeases(db.leases, counts), db.bars, true);
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    // The workers' first claim (nothing to take yet) has settled.
    while ((counts.settled ?? 0) < 1) await pause(5);
    const submit = (range: { start: number; end: number }) => c.submit({ target: { dataset: DS, schema: OHLCV_SCHEMA, source: createSyntheticSource({ seed: 3 }) }, ranges: [range], priority: 'read' }).done;
    // 3 shards for 4 workers: one claim takes all three and leaves a worker idle; the three
    // leases ending (each a wake) claim nothing more, where each used to be an empty write transaction.
    expect(await submit(RANGE)).toMatchObject({ state: 'completed', totalShards: 3 });
    await pause(50);
    expect(counts.steps).toBe(2);
    // New shards wake the workers again.
    expect(await submit({ start: RANGE.start - 120 * MIN, end: RANGE.start })).toMatchObject({ state: 'completed', totalShards: 2 });
    await pause(50);
    expect(counts.steps).toBe(3);
    expect(counts.batches).toBe(2);
  });
});

describe('a completion armed with the fenced write (embedded store holding the bars)', () => {
  const spec = { key: 'shard-a', nodeId: DS.nodeId, intervalMs: MIN, start: RANGE.start, end: RANGE.start + 60 * MIN, priority: 'read' as const };
  const batchOf = async (token: number) => {
    const frame = (await createSyntheticSource({ seed: 3 }).fetch({ nodeId: DS.nodeId, intervalMs: MIN, range: spec, signal: new AbortController().signal })).frame;
    return { dataset: DS, frame, coverage: [{ start: spec.start, end: spec.end, state: 'stored' as const }], fence: { key: spec.key, token } };
  };

  it('commits the completion with the write that carries the grant\'s token', async () => {
    const db = await embedded();
    const leases = db.leases;
    await leases.ensureShards([spec], NOW);
    const [grant] = await leases.claimBatch?.([{ holder: 'w/0', readsOnly: false }], 60_000, NOW, { fence: true }) ?? [];
    const armed = leases.armCompletion?.(spec.key, grant.token, { state: 'completed', rowsWritten: 60 }, NOW + 1);
    await db.bars.write(await batchOf(grant.token), OHLCV_SCHEMA);
    expect(await leases.shard(spec.key)).toMatchObject({ state: 'completed', rowsWritten: 60, token: 1 });
    expect(armed?.settle(true)).toMatchObject({ state: 'completed', token: 1 });
  });

  it('runs nothing for a stale token\'s write: the write is refused and the newer lease stays', async () => {
    const db = await embedded();
    const leases = db.leases;
    await leases.ensureShards([spec], NOW);
    const [old] = await leases.claimBatch?.([{ holder: 'w/0', readsOnly: false }], 1_000, NOW, { fence: true }) ?? [];
    const armed = leases.armCompletion?.(spec.key, old.token, { state: 'completed', rowsWritten: 60 }, NOW + 1);
    // The lease expires and another worker takes it (token 2, fence advanced in its claim).
    const [next] = await leases.claimBatch?.([{ holder: 'w/1', readsOnly: false }], 60_000, NOW + 5_000, { fence: true }) ?? [];
    expect(next).toMatchObject({ token: 2, stale: true });
    await expect(db.bars.write(await batchOf(old.token), OHLCV_SCHEMA)).rejects.toBeInstanceOf(StaleFencingTokenError);
    expect(armed?.settle(false)).toBeUndefined();
    expect(await leases.shard(spec.key)).toMatchObject({ state: 'leased', token: 2, holder: 'w/1' });
    expect(await db.bars.read(DS, OHLCV_SCHEMA, spec)).toHaveLength(0);
  });

  it('rolls the write back when the armed completion is refused (the lease was re-granted but not yet fenced)', async () => {
    const db = await embedded();
    const leases = db.leases;
    await leases.ensureShards([spec], NOW);
    const [old] = await leases.claimBatch?.([{ holder: 'w/0', readsOnly: false }], 1_000, NOW, { fence: true }) ?? [];
    const armed = leases.armCompletion?.(spec.key, old.token, { state: 'completed', rowsWritten: 60 }, NOW + 1);
    // Re-granted through the plain claim, which does not fence: storage still holds token 1.
    expect(await leases.claim(spec.key, 'w/1', 60_000, NOW + 5_000)).toMatchObject({ granted: true, token: 2 });
    await expect(db.bars.write(await batchOf(old.token), OHLCV_SCHEMA)).rejects.toMatchObject({ code: 'conflict' });
    expect(armed?.settle(false)).toBeUndefined();
    expect(await leases.shard(spec.key)).toMatchObject({ state: 'leased', token: 2 });
    expect(await db.bars.read(DS, OHLCV_SCHEMA, spec)).toHaveLength(0);
  });
});
