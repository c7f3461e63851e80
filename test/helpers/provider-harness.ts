/**
 * The real read path for provider unit tests: a DuckDB store in memory, a synthetic upstream, the
 * memory coordinator with 100-bar shards and a manual clock. A test may wrap the upstream (to
 * count or hold fetches) and the store the read path uses (to count its calls), make the workers
 * write to another database than reads use, and hand in a conformance stage. Every harness opened
 * in a test is closed by `closeProviderHarnesses` (call it in afterEach).
 */
import { expect } from 'vitest';
import { OHLCV_SCHEMA, SeamlessError } from '../../src/core/index.js';
import { createManualClock } from '../../src/core/internal.js';
import { createMetrics, silentLogger } from '../../src/observability/index.js';
import { createDataProvider, createDatasetCatalog, createResponseCache } from '../../src/provider/index.js';
import type { FetchRequest } from '../../src/provider/index.js';
import type { ConformanceStage } from '../../src/provider/internal.js';
import { createSyntheticSource } from '../../src/sources/index.js';
import type { BarSource } from '../../src/sources/index.js';
import { createDuckDbBarStore } from '../../src/engines/duckdb/internal.js';
import type { BarStore } from '../../src/storage/index.js';
import { startMemoryCoordinator } from './memory-coordinator.js';

export const MIN = 60_000;
export const NOW = Date.UTC(2024, 5, 1);
export const SHARD = 100;
/** One shard's worth of bars, well in the past: [A, END), MID halfway. */
export const A = NOW - 10 * SHARD * MIN;
export const MID = A + 50 * MIN;
export const END = A + SHARD * MIN;

export interface ProviderHarnessOptions<S extends BarSource> {
  readonly nodeId: string;
  /** Seed of the synthetic upstream. */
  readonly seed: number;
  /** Wraps the upstream the catalog serves (e.g. a counting source). */
  readonly wrapSource?: (upstream: BarSource) => S;
  /** Wraps the store the read path reads through; the catalog and the workers use the bare one. */
  readonly wrapReadStore?: (store: BarStore) => BarStore;
  /** The workers write to another database than reads use (a gateway behind a remote coordinator). */
  readonly workersWriteElsewhere?: boolean;
  readonly syncBudgetMs?: number;
  /** The rollback switch (backfill suspended). */
  readonly suspended?: boolean;
  readonly conformance?: ConformanceStage;
  /** seamless.domain.asOfRegression (default hold). */
  readonly asOfRegression?: 'hold' | 'refuse';
}

const open: { close(): Promise<void> }[] = [];

/** Closes every harness opened since the last call (for afterEach). */
export async function closeProviderHarnesses(): Promise<void> {
  for (const h of open.splice(0)) await h.close();
}

export async function providerHarness<S extends BarSource = BarSource>(o: ProviderHarnessOptions<S>) {
  const clock = createManualClock(NOW);
  const logger = silentLogger();
  const metrics = createMetrics({ defaultMetrics: false });
  const store = await createDuckDbBarStore({ path: ':memory:', clock });
  const workerStore = o.workersWriteElsewhere === true ? await createDuckDbBarStore({ path: ':memory:' }) : store;
  const upstream = createSyntheticSource({ seed: o.seed });
  const source = o.wrapSource === undefined ? (upstream as S) : o.wrapSource(upstream);
  const readStore = o.wrapReadStore === undefined ? store : o.wrapReadStore(store);
  const dataset = { nodeId: o.nodeId, intervalMs: MIN };
  const catalog = createDatasetCatalog([{ nodeId: o.nodeId, intervals: ['1m'], source: 'up', schema: 'ohlcv' }], new Map([['up', source]]), store);
  const coordinator = await startMemoryCoordinator({ store: workerStore, clock, logger, metrics, barsPerShard: SHARD, concurrency: 4, maxAttempts: 3 });
  const cache = createResponseCache({ maxBytes: 64 << 20, maxEntries: 1000, ttlMs: 60_000 }, clock);
  const provider = createDataProvider({
    store: readStore, catalog, coordinator, cache, clock, logger, metrics, maxBars: 100_000,
    syncBudgetMs: o.syncBudgetMs ?? 60_000, backfillSuspended: o.suspended === true,
    ...(o.conformance === undefined ? {} : { conformance: o.conformance }),
    ...(o.asOfRegression === undefined ? {} : { asOfRegression: o.asOfRegression }),
  });
  const h = {
    clock, cache, metrics, store, source, coordinator, provider,
    read: (extra: Partial<FetchRequest> = {}) => provider.fetch({ nodeId: o.nodeId, interval: '1m', start: A, end: END, ...extra }),
    /** Stores [A, MID) as if an earlier backfill had written it. */
    storeFirstHalf: async () => {
      const { frame } = await upstream.fetch({ nodeId: o.nodeId, intervalMs: MIN, range: { start: A, end: MID } });
      await store.write({ dataset, frame, coverage: [{ start: A, end: MID, state: 'stored' }] }, OHLCV_SCHEMA);
    },
    close: async () => {
      await coordinator.close();
      await store.close();
      if (workerStore !== store) await workerStore.close();
    },
  };
  open.push(h);
  return h;
}

/** The SeamlessError a promise rejects with; fails the test when it resolves. */
export async function rejection(p: Promise<unknown>): Promise<SeamlessError> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(SeamlessError);
    return error as SeamlessError;
  }
  return expect.unreachable('expected the read to be refused');
}
