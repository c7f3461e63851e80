// Universe reads on the real read path (DuckDB in memory, synthetic upstream, memory coordinator):
// many datasets in one answer, each exactly as its single read, storage asked once for all.
import { afterEach, describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA } from '../../../src/core/index.js';
import { createManualClock } from '../../../src/core/internal.js';
import { createMetrics, silentLogger } from '../../../src/observability/index.js';
import { MAX_UNIVERSE_NODES, createDataProvider, createDatasetCatalog, createResponseCache } from '../../../src/provider/index.js';
import type { ReadMetadata, UniverseResult } from '../../../src/provider/index.js';
import { createSyntheticSource } from '../../../src/sources/index.js';
import { createDuckDbBarStore } from '../../../src/engines/duckdb/internal.js';
import type { BarStore } from '../../../src/storage/index.js';
import { startMemoryCoordinator } from '../../helpers/memory-coordinator.js';
import { A, END, MIN, NOW, SHARD, rejection } from '../../helpers/provider-harness.js';

const NODES = ['ohlcv:demo:BTC-USD', 'ohlcv:demo:ETH-USD', 'ohlcv:demo:SOL-USD'];

interface Calls { read: number; readMany: number; coverage: number; coverageMany: number }

/** The store with its calls counted (every method passed through, the batched ones included). */
function counting(inner: BarStore, calls: Calls): BarStore {
  return {
    engine: inner.engine,
    read: (d, s, r) => { calls.read++; return inner.read(d, s, r); },
    coverage: (d, r) => { calls.coverage++; return inner.coverage(d, r); },
    readMany: (ds, s, r) => { calls.readMany++; return inner.readMany?.(ds, s, r) ?? Promise.reject(new RangeError('no readMany')); },
    coverageMany: (ds, r) => { calls.coverageMany++; return inner.coverageMany?.(ds, r) ?? Promise.reject(new RangeError('no coverageMany')); },
    write: (b, s) => inner.write(b, s),
    advanceFence: (f) => inner.advanceFence(f),
    markFailed: (d, r, reason, f) => inner.markFailed(d, r, reason, f),
    datasets: () => inner.datasets(),
    purge: (q) => inner.purge(q),
    repairAudit: (q) => inner.repairAudit(q),
    coverageSummary: () => inner.coverageSummary(),
    datedCoverage: (d, r) => inner.datedCoverage(d, r),
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
}

const opened: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of opened.splice(0)) await close();
});

async function setup() {
  const clock = createManualClock(NOW);
  const logger = silentLogger();
  const metrics = createMetrics({ defaultMetrics: false });
  const store = await createDuckDbBarStore({ path: ':memory:' });
  const upstream = createSyntheticSource({ seed: 7 });
  const calls: Calls = { read: 0, readMany: 0, coverage: 0, coverageMany: 0 };
  const catalog = createDatasetCatalog(NODES.map((nodeId) => ({ nodeId, intervals: ['1m'], source: 'up', schema: 'ohlcv' as const })), new Map([['up', upstream]]), store);
  const coordinator = await startMemoryCoordinator({ store, clock, logger, metrics, barsPerShard: SHARD, concurrency: 4, maxAttempts: 3 });
  const cache = createResponseCache({ maxBytes: 64 << 20, maxEntries: 1000, ttlMs: 60_000 }, clock);
  const provider = createDataProvider({ store: counting(store, calls), catalog, coordinator, cache, clock, logger, metrics, maxBars: 100_000, syncBudgetMs: 60_000 });
  opened.push(async () => {
    await coordinator.close();
    await store.close();
  });
  const storeAll = async (nodes: readonly string[]): Promise<void> => {
    for (const nodeId of nodes) {
      const { frame } = await upstream.fetch({ nodeId, intervalMs: MIN, range: { start: A, end: END } });
      await store.write({ dataset: { nodeId, intervalMs: MIN }, frame, coverage: [{ start: A, end: END, state: 'stored' }] }, OHLCV_SCHEMA);
    }
  };
  return { provider, calls, metrics, cache, storeAll };
}

function span(u: UniverseResult, i: number): number[][] {
  const { frame, offsets } = u.universe;
  const from = offsets[i];
  const to = offsets[i + 1];
  return [Array.from(frame.ts.subarray(from, to)), ...frame.values.map((v) => Array.from(v.subarray(from, to)))];
}

describe('universe read', () => {
  it('answers every stored dataset exactly as its single read, in the order asked, from one storage read', async () => {
    const { provider, calls, storeAll, cache } = await setup();
    await storeAll(NODES);
    const asked = [NODES[2], NODES[0], NODES[1]];
    const u = await provider.fetchUniverse({ nodes: asked, interval: '1m', start: A, end: END });
    expect(calls).toEqual({ read: 0, readMany: 1, coverage: 0, coverageMany: 1 });
    expect(u.universe.nodes).toEqual(asked);
    expect(u.metadata.failed).toEqual([]);
    expect(u.metadata.rows).toBe(3 * SHARD);
    cache?.invalidate('');
    for (let i = 0; i < asked.length; i++) {
      const single = await provider.fetch({ nodeId: asked[i], interval: '1m', start: A, end: END });
      expect(span(u, i)).toEqual([Array.from(single.frame.ts), ...single.frame.values.map((v) => Array.from(v))]);
      const meta = u.metadata.datasets[asked[i]] as ReadMetadata;
      expect(meta.fingerprint).toBe(single.metadata.fingerprint);
      expect(meta.rows).toBe(SHARD);
      expect(meta.coverageRatio).toBe(1);
    }
  });

  it('backfills the datasets missing bars together and answers them with the stored ones', async () => {
    const { provider, storeAll } = await setup();
    await storeAll([NODES[0]]);
    const u = await provider.fetchUniverse({ nodes: NODES, interval: '1m', start: A, end: END });
    expect(u.metadata.failed).toEqual([]);
    for (let i = 0; i < NODES.length; i++) expect(u.universe.offsets[i + 1] - u.universe.offsets[i]).toBe(SHARD);
    const backfilled = NODES.slice(1).map((n) => u.metadata.datasets[n] as ReadMetadata);
    for (const meta of backfilled) {
      expect(meta.sources.backfill).toBe(SHARD);
      expect(meta.backfill?.jobId).toEqual(expect.any(String));
    }
    expect((u.metadata.datasets[NODES[0]] as ReadMetadata).sources.storage).toBe(SHARD);
  });

  it('reports an unknown dataset in its own metadata and answers the others', async () => {
    const { provider, storeAll, metrics } = await setup();
    await storeAll(NODES);
    const u = await provider.fetchUniverse({ nodes: [NODES[0], 'ohlcv:demo:NOPE', NODES[1]], interval: '1m', start: A, end: END });
    expect(u.metadata.failed).toEqual(['ohlcv:demo:NOPE']);
    expect(u.metadata.datasets['ohlcv:demo:NOPE']).toMatchObject({ error: { code: 'not_found', details: { nodeId: 'ohlcv:demo:NOPE' } } });
    expect(Array.from(u.universe.offsets)).toEqual([0, SHARD, SHARD, 2 * SHARD]);
    const text = await metrics.registry.metrics();
    expect(text).toContain('seamless_universe_datasets_total{outcome="failed",code="not_found"} 1');
    expect(text).toContain('seamless_universe_datasets_total{outcome="ok",code="none"} 2');
    expect(text).toContain('seamless_universe_reads_total{outcome="partial"} 1');
  });

  it('fails the whole read with all-or-nothing, with the first error and the failed nodes', async () => {
    const { provider, storeAll } = await setup();
    await storeAll(NODES);
    const err = await rejection(provider.fetchUniverse({ nodes: [NODES[0], 'ohlcv:demo:NOPE', 'ohlcv:demo:GONE'], interval: '1m', start: A, end: END, allOrNothing: true }));
    expect(err.code).toBe('not_found');
    expect(err.message).toContain('ohlcv:demo:NOPE');
    expect(err.details).toMatchObject({ node: 'ohlcv:demo:NOPE', failedNodes: ['ohlcv:demo:NOPE', 'ohlcv:demo:GONE'] });
  });

  it('refuses more node ids than the maximum, a repeated node id and an empty list, naming the field', async () => {
    const { provider } = await setup();
    const many = Array.from({ length: MAX_UNIVERSE_NODES + 1 }, (_, i) => `ohlcv:demo:X${i}`);
    const tooMany = await rejection(provider.fetchUniverse({ nodes: many, interval: '1m', start: A, end: END }));
    expect(tooMany).toMatchObject({ code: 'invalid_request', details: { field: 'nodes' } });
    expect(tooMany.message).toContain('10001');
    const twice = await rejection(provider.fetchUniverse({ nodes: [NODES[0], NODES[0]], interval: '1m', start: A, end: END }));
    expect(twice).toMatchObject({ code: 'invalid_request', details: { field: 'nodes[1]' } });
    const none = await rejection(provider.fetchUniverse({ nodes: [], interval: '1m', start: A, end: END }));
    expect(none).toMatchObject({ code: 'invalid_request', details: { field: 'nodes' } });
    const badInterval = await rejection(provider.fetchUniverse({ nodes: NODES, interval: '7q', start: A, end: END }));
    expect(badInterval).toMatchObject({ code: 'invalid_request', details: { field: 'interval' } });
  });

  it('answers a repeated universe read from the response cache without reading storage', async () => {
    const { provider, calls, storeAll } = await setup();
    await storeAll(NODES);
    const first = await provider.fetchUniverse({ nodes: NODES, interval: '1m', start: A, end: END });
    const before = { ...calls };
    const again = await provider.fetchUniverse({ nodes: NODES, interval: '1m', start: A, end: END });
    expect(calls).toEqual(before);
    for (const n of NODES) expect((again.metadata.datasets[n] as ReadMetadata).cacheHit).toBe(true);
    expect(Array.from(again.universe.frame.values[3])).toEqual(Array.from(first.universe.frame.values[3]));
  });
});
