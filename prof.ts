import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInProcessCoordinator, createShardFetcher } from './src/backfill/index.js';
import { OHLCV_SCHEMA, systemClock, fingerprintFrame } from './src/core/index.js';
import { createMetrics, silentLogger } from './src/observability/index.js';
import { createDataProvider, createDatasetCatalog } from './src/provider/index.js';
import { createSyntheticSource } from './src/sources/index.js';
import { createDuckDbBarStore } from './src/storage/index.js';
const dir = await mkdtemp(join(tmpdir(), 'prof-'));
const store = await createDuckDbBarStore({ path: join(dir, 'b.duckdb') });
const logger = silentLogger(); const metrics = createMetrics({ defaultMetrics: false });
const source = createSyntheticSource({ seed: 1 });
const coordinator = createInProcessCoordinator({ fetchShard: createShardFetcher({ store, clock: systemClock, logger, retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 } }), barsPerShard: 10_000, concurrency: 2, clock: systemClock, logger, metrics });
const catalog = createDatasetCatalog([{ nodeId: 'n', intervals: ['1m'], source: 's', schema: 'ohlcv' }], new Map([['s', source]]), store);
const p = createDataProvider({ store, catalog, coordinator, clock: systemClock, logger, metrics, maxBars: 2e6, syncBudgetMs: 6e5, cache: undefined });
const S = Date.UTC(2022,0,1), E = S + 1e6*60000;
await coordinator.submit({ target: { dataset: { nodeId: 'n', intervalMs: 60000 }, schema: OHLCV_SCHEMA, source }, ranges: [{ start: S, end: E }] }).done;
for (let k = 0; k < 6; k++) {
  let t = performance.now(); const f = await store.read({ nodeId: 'n', intervalMs: 60000 }, OHLCV_SCHEMA, { start: S, end: E }); const tr = performance.now() - t;
  t = performance.now(); fingerprintFrame(f); const tf = performance.now() - t;
  t = performance.now(); await p.fetch({ nodeId: 'n', interval: '1m', start: S, end: E, strategy: 'fail_fast' }); const tp = performance.now() - t;
  console.log(`read ${tr.toFixed(0)} fp ${tf.toFixed(0)} fetch ${tp.toFixed(0)}`);
}
process.exit(0);
