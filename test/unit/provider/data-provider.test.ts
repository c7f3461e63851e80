import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, alignDown, shardsCovering } from '../../../src/core/index.js';
import { createManualClock, unionRanges } from '../../../src/core/internal.js';
import type { Frame, TimeRange } from '../../../src/core/index.js';
import { startMemoryCoordinator } from '../../helpers/memory-coordinator.js';
import type { BackfillCoordinator } from '../../../src/backfill/index.js';
import { createMetrics, silentLogger } from '../../../src/observability/index.js';
import { createDataProvider, createDatasetCatalog, createResponseCache } from '../../../src/provider/index.js';
import { CONFORMANCE_VERSION, cacheKey } from '../../../src/provider/internal.js';
import type { FetchRequest } from '../../../src/provider/index.js';
import { createSyntheticSource } from '../../../src/sources/index.js';
import { createDuckDbBarStore } from '../../../src/engines/duckdb/internal.js';
import { createCountingSource } from './counting-source.js';

const MIN = 60_000;
const DAY = 86_400_000;
const NOW = Date.UTC(2024, 5, 1);
const NODE = 'ohlcv:demo:BTC/USDT';

interface HarnessOptions {
  readonly barsPerShard?: number;
  readonly knownEmpty?: 'weekends' | 'none';
  readonly cache?: boolean;
  readonly coordinator?: (inner: BackfillCoordinator) => BackfillCoordinator;
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

/** The real read path: DuckDB in memory, the coordinator over the memory lease store, a counting synthetic source. */
async function harness(options: HarnessOptions = {}) {
  const clock = createManualClock(NOW);
  const logger = silentLogger();
  const metrics = createMetrics({ defaultMetrics: false });
  const store = await createDuckDbBarStore({ path: ':memory:' });
  const upstream = createSyntheticSource({ seed: 11, knownEmpty: options.knownEmpty ?? 'none' });
  const source = createCountingSource(upstream);
  const catalog = createDatasetCatalog([{ nodeId: NODE, intervals: ['1m', '1d'], source: 'up', schema: 'ohlcv' }], new Map([['up', source]]), store);
  const inner = await startMemoryCoordinator({ store, clock, logger, metrics, barsPerShard: options.barsPerShard ?? 100, concurrency: 4, maxAttempts: 3 });
  const coordinator = options.coordinator ? options.coordinator(inner) : inner;
  const cache = options.cache === false ? undefined : createResponseCache({ maxBytes: 64 << 20, maxEntries: 1000, ttlMs: 60_000 }, clock);
  const provider = createDataProvider({ store, catalog, coordinator, cache, clock, logger, metrics, maxBars: 100_000, syncBudgetMs: 60_000 });
  const h = {
    clock, store, upstream, source, coordinator, cache, provider,
    /** What the upstream itself gives for `range` (the reference answer). */
    expected: async (range: TimeRange, intervalMs = MIN): Promise<Frame> => (await upstream.fetch({ nodeId: NODE, intervalMs, range })).frame,
    read: (start: number, end: number, extra: Partial<FetchRequest> = {}) => provider.fetch({ nodeId: NODE, interval: '1m', start, end, ...extra }),
    close: async () => {
      await inner.close();
      await store.close();
    },
  };
  open.push(h);
  return h;
}

function columns(f: Frame): number[][] {
  return [Array.from(f.ts), ...f.values.map((v) => Array.from(v))];
}

function expectStrictlyIncreasing(ts: Float64Array): void {
  for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThan(ts[i - 1]);
}

describe('data provider read path', () => {
  it('joins cache, storage and backfill parts without duplicating or dropping boundary bars (property)', async () => {
    const base = NOW - 5000 * MIN;
    const lengths = fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 150 }), fc.integer({ min: 1, max: 150 }), fc.integer({ min: 1, max: 150 }));
    await fc.assert(fc.asyncProperty(lengths, async ([a, ab, bc, cd]) => {
      const h = await harness({ barsPerShard: 64 });
      try {
        const A = base + a * MIN;
        const B = A + ab * MIN;
        const C = B + bc * MIN;
        const D = C + cd * MIN;
        // Cache: [A, B) as a previous read left it. Storage: [B, C) only. [C, D): nowhere yet.
        h.cache?.insert(cacheKey(NODE, MIN, undefined, undefined, CONFORMANCE_VERSION), { start: A, end: B }, await h.expected({ start: A, end: B }));
        await h.store.write({ dataset: { nodeId: NODE, intervalMs: MIN }, frame: await h.expected({ start: B, end: C }), coverage: [{ start: B, end: C, state: 'stored' }] }, OHLCV_SCHEMA);

        const { frame, metadata } = await h.read(A, D);
        expect(frame.length).toBe((D - A) / MIN);
        expectStrictlyIncreasing(frame.ts);
        expect(columns(frame)).toEqual(columns(await h.expected({ start: A, end: D })));
        expect(metadata.sources).toEqual({ cache: ab, storage: bc, backfill: cd, live: 0 });
        expect(metadata).toMatchObject({ rows: ab + bc + cd, partial: false, coverageRatio: 1, missingRanges: [], cacheHit: false });
      } finally {
        await h.close();
      }
    }), { numRuns: 25 });
    // 25 real reads over DuckDB: the bound only guards against a hang on a loaded machine.
  }, 120_000);

  it('reports each part of a read whose cache part came from a previous read', async () => {
    const h = await harness({ barsPerShard: 10 });
    const A = NOW - 1000 * MIN;
    const [B, C, D] = [A + 15 * MIN, A + 33 * MIN, A + 52 * MIN];
    await h.store.write({ dataset: { nodeId: NODE, intervalMs: MIN }, frame: await h.expected({ start: A, end: C }), coverage: [{ start: A, end: C, state: 'stored' }] }, OHLCV_SCHEMA);
    await h.read(A, B, { strategy: 'fail_fast' });
    const { frame, metadata } = await h.read(A, D);
    expect(columns(frame)).toEqual(columns(await h.expected({ start: A, end: D })));
    expect(metadata.sources).toEqual({ cache: 15, storage: 18, backfill: 19, live: 0 });
    for (const r of h.source.ranges) expect(r.start).toBeGreaterThanOrEqual(C);
  });

  it('rounds off-grid bounds outward and reports both ranges', async () => {
    const h = await harness();
    const T = NOW - 100 * MIN;
    const { frame, metadata } = await h.read(T + 10_000, T + 5 * MIN + 1);
    expect(metadata.requestedRange).toEqual({ start: T + 10_000, end: T + 5 * MIN + 1 });
    expect(metadata.alignedRange).toEqual({ start: T, end: T + 6 * MIN });
    expect(metadata.rangeAdjusted).toBe(true);
    expect(Array.from(frame.ts)).toEqual([0, 1, 2, 3, 4, 5].map((i) => T + i * MIN));
    const onGrid = await h.read(T, T + 6 * MIN);
    expect(onGrid.metadata.rangeAdjusted).toBe(false);
    expect(onGrid.metadata.requestedRange).toEqual(onGrid.metadata.alignedRange);
  });

  it('fetches each shard from the source once when 16 overlapping reads run at the same time', async () => {
    const shardBars = 100;
    const shardMs = shardBars * MIN;
    const base = alignDown(NOW - 5000 * MIN, shardMs);
    const request = fc.tuple(fc.integer({ min: 0, max: 1400 }), fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 59_999 }))
      .map(([s, n, jitter]) => ({ start: base + s * MIN + jitter, end: base + (s + n) * MIN }));
    await fc.assert(fc.asyncProperty(fc.array(request, { minLength: 16, maxLength: 16 }), async (requests) => {
      let submits = 0;
      let allSubmitted: () => void = () => undefined;
      const submitted = new Promise<void>((resolve) => { allSubmitted = resolve; });
      const h = await harness({
        barsPerShard: shardBars,
        // Counts submits so the test knows when every read has asked for its shards.
        coordinator: (inner) => ({
          ...inner,
          submit: (req) => {
            const job = inner.submit(req);
            if (++submits === requests.length) allSubmitted();
            return job;
          },
        }),
      });
      try {
        const gate = h.source.hold();
        const reads = requests.map((r) => h.read(r.start, r.end, { strategy: 'auto_backfill' }));
        await submitted;
        gate.open();
        const results = await Promise.all(reads);

        const fetched = [...h.source.ranges].sort((a, b) => a.start - b.start);
        let wanted: TimeRange[] = [];
        for (const r of requests) wanted = unionRanges(wanted, shardsCovering({ start: alignDown(r.start, MIN), end: r.end }, MIN, shardBars));
        const wantedShards = wanted.flatMap((w) => shardsCovering(w, MIN, shardBars));
        expect(fetched).toEqual(wantedShards);
        for (let i = 0; i < requests.length; i++) {
          const aligned = results[i].metadata.alignedRange;
          expect(columns(results[i].frame)).toEqual(columns(await h.expected(aligned)));
          expect(results[i].metadata.partial).toBe(false);
        }
      } finally {
        await h.close();
      }
    }), { numRuns: 5 });
  });

  it('never asks the source for bars that have not closed yet', async () => {
    const h = await harness({ barsPerShard: 30 });
    h.clock.set(NOW + 30_000); // mid-bar: the bar opened at NOW is still building
    const { frame, metadata } = await h.read(NOW - 50 * MIN, NOW + 50 * MIN);
    expect(metadata.closedRange).toEqual({ start: NOW - 50 * MIN, end: NOW });
    expect(frame.length).toBe(50);
    expect(frame.ts[frame.length - 1]).toBe(NOW - MIN);
    expect(metadata).toMatchObject({ partial: false, coverageRatio: 1, missingRanges: [], stalenessMs: 30_000, coverageBounds: { start: NOW - 50 * MIN, end: NOW } });
    expect(h.source.ranges.length).toBeGreaterThan(0);
    for (const r of h.source.ranges) expect(r.end).toBeLessThanOrEqual(NOW);
  });

  it('counts known-empty ranges as covered and does not fetch them again', async () => {
    const h = await harness({ knownEmpty: 'weekends', cache: false });
    const start = Date.UTC(2024, 0, 1); // a Monday
    const end = start + 28 * DAY;
    const first = await h.provider.fetch({ nodeId: NODE, interval: '1d', start, end });
    expect(first.frame.length).toBe(20);
    expect(first.metadata).toMatchObject({ coverageRatio: 1, partial: false, missingRanges: [] });
    for (const t of first.frame.ts) expect([0, 6]).not.toContain(new Date(t).getUTCDay());
    const calls = h.source.ranges.length;
    const second = await h.provider.fetch({ nodeId: NODE, interval: '1d', start, end });
    expect(h.source.ranges.length).toBe(calls);
    expect(second.metadata).toMatchObject({ coverageRatio: 1, partial: false, sources: { cache: 0, storage: 20, backfill: 0, live: 0 } });
    expect(columns(second.frame)).toEqual(columns(first.frame));
  });

  it('answers a repeated read from the cache with the same fingerprint', async () => {
    const h = await harness();
    const [start, end] = [NOW - 250 * MIN, NOW - 20 * MIN];
    const first = await h.read(start, end);
    expect(first.metadata).toMatchObject({ cacheHit: false, sources: { cache: 0, storage: 0, backfill: 230, live: 0 } });
    const calls = h.source.ranges.length;
    const second = await h.read(start, end);
    expect(second.metadata).toMatchObject({ cacheHit: true, rows: 230, sources: { cache: 230, storage: 0, backfill: 0, live: 0 }, coverageRatio: 1 });
    expect(second.metadata.fingerprint).toBe(first.metadata.fingerprint);
    expect(second.metadata.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(columns(second.frame)).toEqual(columns(first.frame));
    expect(h.source.ranges.length).toBe(calls);
    const third = await h.read(start, end);
    expect(third.metadata.fingerprint).toBe(first.metadata.fingerprint);
  });

  it('does not answer one world from the cache entries of another', async () => {
    const h = await harness();
    const [start, end] = [NOW - 50 * MIN, NOW - 20 * MIN];
    await h.read(start, end, { context: { worldId: 'w1' } });
    const other = await h.read(start, end, { context: { worldId: 'w2' } });
    expect(other.metadata).toMatchObject({ cacheHit: false, sources: { cache: 0, storage: 30 } });
    const same = await h.read(start, end, { context: { worldId: 'w1' } });
    expect(same.metadata.cacheHit).toBe(true);
  });
});
