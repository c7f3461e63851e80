/**
 * Admission control on the real read path (DuckDB in memory, the coordinator over the memory lease store, a
 * synthetic source held behind a gate so reads stay in flight): a large read that does not fit
 * beside those in flight is refused at once with `overloaded` (503, Retry-After) and counted;
 * small reads are always admitted; the allowance comes back when a read ends.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OverloadedError } from '../../../src/core/index.js';
import { createManualClock } from '../../../src/core/internal.js';
import { startMemoryCoordinator } from '../../helpers/memory-coordinator.js';
import { createMetrics, silentLogger } from '../../../src/observability/index.js';
import { createDataProvider, createDatasetCatalog } from '../../../src/provider/index.js';
import { createSyntheticSource } from '../../../src/sources/index.js';
import { createDuckDbBarStore } from '../../../src/engines/duckdb/internal.js';
import { until } from '../../helpers/until.js';
import { createCountingSource } from './counting-source.js';

const MIN = 60_000;
const NOW = Date.UTC(2024, 5, 1);
const NODE = 'ohlcv:demo:ADMIT';
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

describe('read admission control', () => {
  it('refuses a large read that does not fit beside the reads in flight with overloaded and Retry-After, and counts it', async () => {
    const clock = createManualClock(NOW);
    const logger = silentLogger();
    const metrics = createMetrics({ defaultMetrics: false });
    const store = await createDuckDbBarStore({ path: ':memory:' });
    const source = createCountingSource(createSyntheticSource({ seed: 3 }));
    const catalog = createDatasetCatalog([{ nodeId: NODE, intervals: ['1m'], source: 'up', schema: 'ohlcv' }], new Map([['up', source]]), store);
    const coordinator = await startMemoryCoordinator({ store, clock, logger, metrics, barsPerShard: 1_000, concurrency: 4, maxAttempts: 1 });
    open.push({ close: async () => { await coordinator.close(); await store.close(); } });
    const provider = createDataProvider({ store, catalog, coordinator, cache: undefined, clock, logger, metrics, maxBars: 100_000, maxInflightReadBars: 30_000, syncBudgetMs: 60_000 });
    const read = (bars: number, extra: Record<string, unknown> = {}) => provider.fetch({ nodeId: NODE, interval: '1m', start: NOW - bars * MIN, end: NOW, strategy: 'auto_backfill', ...extra });

    const gate = source.hold();
    const first = read(20_000); // admitted: nothing in flight; held behind the gate
    await until(() => source.ranges.length > 0, 'the first read to reach the upstream');
    const refused = await read(20_000).then(() => undefined, (error: unknown) => error);
    expect(refused).toBeInstanceOf(OverloadedError);
    expect(refused).toMatchObject({ code: 'overloaded', httpStatus: 503, retryAfterSeconds: 1, details: { reason: 'inflight_bars', bars: 20_000, inflightBars: 20_000, limit: 30_000 } });
    expect((refused as Error).message).toContain('limits.maxInflightReadBars');
    expect(await metrics.registry.getSingleMetricAsString('seamless_read_rejected_total')).toContain('seamless_read_rejected_total{reason="inflight_bars"} 1');
    // A small read is admitted while the large one is in flight.
    const small = await read(9, { strategy: 'fail_fast', partialOk: true });
    expect(small.metadata).toBeDefined();
    gate.open();
    expect((await first).frame.length).toBe(20_000);
    // The allowance is back once the read ended.
    expect((await read(20_000, { strategy: 'fail_fast', partialOk: true })).frame.length).toBe(20_000);
  }, 60_000);
});
