/**
 * A derived read (dataset `baseInterval`) in the provider: which SLA policy judges it and how a
 * range too large in base bars is refused. Real read path (DuckDB in memory, synthetic upstream,
 * memory coordinator); the SLA stage is a fake of our own interface that records what it is asked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../src/core/index.js';
import { createManualClock } from '../../../src/core/internal.js';
import { createMetrics, silentLogger } from '../../../src/observability/index.js';
import { createDataProvider, createDatasetCatalog, createResponseCache } from '../../../src/provider/index.js';
import type { createSlaStage } from '../../../src/provider/index.js';
import { createSyntheticSource } from '../../../src/sources/index.js';
import { createDuckDbBarStore } from '../../../src/engines/duckdb/internal.js';
import { startMemoryCoordinator } from '../../helpers/memory-coordinator.js';

type SlaStage = ReturnType<typeof createSlaStage>;

const MIN = 60_000;
const HOUR = 60 * MIN;
const NOW = Date.UTC(2024, 5, 1);
const NODE = 'ohlcv:test:DERIVED';
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function provider(maxBars = 100_000) {
  const clock = createManualClock(NOW);
  const logger = silentLogger();
  const metrics = createMetrics({ defaultMetrics: false });
  const store = await createDuckDbBarStore({ path: ':memory:' });
  const catalog = createDatasetCatalog([{ nodeId: NODE, intervals: ['1h'], baseInterval: '1m', source: 'up', schema: 'ohlcv' }], new Map([['up', createSyntheticSource({ seed: 5 })]]), store);
  const coordinator = await startMemoryCoordinator({ store, clock, logger, metrics, barsPerShard: 600, concurrency: 2, maxAttempts: 2 });
  closers.push(async () => { await coordinator.close(); await store.close(); });
  const asked: { nodeId: string; intervalMs: number }[] = [];
  const sla: SlaStage = {
    start: (nodeId, intervalMs) => { asked.push({ nodeId, intervalMs }); return undefined; },
    recovery: { active: 0, idle: async () => undefined },
    close: () => undefined,
  };
  const cache = createResponseCache({ maxBytes: 64 << 20, maxEntries: 1000, ttlMs: 60_000 }, clock);
  const p = createDataProvider({ store, catalog, coordinator, cache, clock, logger, metrics, maxBars, syncBudgetMs: 60_000, sla });
  return { p, asked };
}

describe('derived reads in the provider', () => {
  it('are judged by the SLA policy of the interval asked for, not of the base interval', async () => {
    const { p, asked } = await provider();
    const start = NOW - 10 * HOUR;
    const r = await p.fetch({ nodeId: NODE, interval: '1h', start, end: start + 2 * HOUR });
    expect(r.frame.length).toBe(2);
    expect(r.metadata.resample).toMatchObject({ baseInterval: '1m', baseRows: 120 });
    expect(asked).toEqual([{ nodeId: NODE, intervalMs: HOUR }]);
  });

  it('refuse a range whose base bars exceed maxBars, naming end and both bar counts', async () => {
    const { p } = await provider(1_000);
    const start = NOW - 100 * HOUR;
    const error = await p.fetch({ nodeId: NODE, interval: '1h', start, end: start + 20 * HOUR }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).field).toBe('end');
    expect((error as Error).message).toBe('end: the range holds 20 1h bars derived from 1200 1m bars, more than the maximum of 1000 bars read; narrow it or read it in parts');
  });
});
