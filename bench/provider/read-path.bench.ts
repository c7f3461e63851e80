/**
 * The read path against its baseline, measured in one run:
 *  - 1,000,000 stored one-minute bars through `fetch` vs the raw engine read of the same rows
 *    into typed arrays (goal: ratio ≤ 1.3);
 *  - a 1,440-bar read on a storage hit vs the raw engine query (goal ≤ 1.3);
 *  - a 1,440-bar read on a response-cache hit (goal: median under 50 µs);
 *  - a cold backfill of one year of one-minute bars from the synthetic source (rows/s).
 * Run: npx tsx bench/provider/read-path.bench.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createDistributedCoordinator, createMemoryLeaseStore, createShardFetcher } from '../../src/backfill/index.js';
import { OHLCV_SCHEMA, systemClock } from '../../src/core/index.js';
import { createMetrics, silentLogger } from '../../src/observability/index.js';
import { createDataProvider, createDatasetCatalog, createResponseCache } from '../../src/provider/index.js';
import { createSyntheticSource } from '../../src/sources/index.js';
import { createConformancePipeline } from '../../src/conformance/index.js';
import { createDriftDetector, createSchemaRegistry, registerShippedSchemas } from '../../src/schema/index.js';
import { createEmbeddedDatabase } from '../../src/engines/duckdb/internal.js';
import { createConformanceStage, createFindingsIndex } from '../../src/provider/index.js';
import { formatMs, heading, measure, report } from '../harness.js';

const MIN = 60_000;
const DAY = 86_400_000;
const NODE = 'ohlcv:bench:BTC-USD';
const START = Date.UTC(2022, 0, 1);
const YEAR_BARS = 525_600;
const MILLION = 1_000_000;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'seamless-bench-read-'));
  try {
    const db = await createEmbeddedDatabase({ path: join(dir, 'bench.duckdb') });
    const store = db.bars;
    const logger = silentLogger();
    const metrics = createMetrics({ defaultMetrics: false });
    const source = createSyntheticSource({ seed: 1 });
    const target = { dataset: { nodeId: NODE, intervalMs: MIN }, schema: OHLCV_SCHEMA, source };
    const retry = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 };
    // seamless.backfill.store: memory: the coordinator over the memory lease store, two local workers.
    const leases = createMemoryLeaseStore();
    const coordinator = await createDistributedCoordinator({
      leases, store, fetchShard: createShardFetcher({ store, clock: systemClock, logger, retry: { ...retry, maxAttempts: 1 } }),
      resolveTarget: (nodeId, intervalMs) => (nodeId === NODE && intervalMs === MIN ? target : undefined),
      barsPerShard: 10_000, localWorkers: 2, retry, clock: systemClock, logger, metrics,
    });
    const catalog = createDatasetCatalog([{ nodeId: NODE, intervals: ['1m'], source: 'synthetic', schema: 'ohlcv' }], new Map([['synthetic', source]]), store);
    const deps = { store, catalog, coordinator, clock: systemClock, logger, metrics, maxBars: 2_000_000, syncBudgetMs: 600_000 };
    const registry = createSchemaRegistry({ store: db.registry, clock: systemClock, defaults: { compatibility: 'BACKWARD', validationMode: 'canary', canaryWindowMs: 172_800_000 } });
    await registerShippedSchemas(registry);
    const conformance = createConformanceStage({
      pipeline: createConformancePipeline(), mode: 'blocking', registry, drift: createDriftDetector(), archive: db.reports,
      findings: createFindingsIndex(db.findings), clock: systemClock, metrics, logger,
    });
    const newCache = () => createResponseCache({ maxBytes: 512 * 1024 * 1024, maxEntries: 1000, ttlMs: 3_600_000 }, systemClock);
    const uncached = createDataProvider({ ...deps, cache: undefined });
    const checked = createDataProvider({ ...deps, cache: undefined, conformance });
    const cached = createDataProvider({ ...deps, cache: newCache() });
    const cachedChecked = createDataProvider({ ...deps, cache: newCache(), conformance });

    heading('Cold backfill: one year of 1m bars from the synthetic source (shards of 10,000 bars, 2 at a time)');
    const year = { start: START, end: START + YEAR_BARS * MIN };
    const t0 = performance.now();
    const job = coordinator.submit({ target, ranges: [year] });
    const done = await job.done;
    const secs = (performance.now() - t0) / 1000;
    console.log(`  ${done.rowsWritten} rows in ${secs.toFixed(2)} s = ${Math.round(done.rowsWritten / secs).toLocaleString('en-US')} rows/s (${done.totalShards} shards)`);

    // Top up to one million stored bars for the bulk read.
    await coordinator.submit({ target, ranges: [{ start: year.end, end: START + MILLION * MIN }] }).done;
    const million = { start: START, end: START + MILLION * MIN };

    heading('Read 1,000,000 stored 1m bars');
    const raw1m = await measure('raw engine read (store.read into typed arrays)', () => store.read(target.dataset, OHLCV_SCHEMA, million), { runs: 5, warmup: 1 });
    const fetch1m = await measure('fetch (validate, coverage, read, fingerprint, metadata)', async () => {
      const r = await uncached.fetch({ nodeId: NODE, interval: '1m', start: million.start, end: million.end, strategy: 'fail_fast' });
      if (r.frame.length !== MILLION) throw new Error(`expected ${MILLION} rows, got ${r.frame.length}`);
    }, { runs: 5, warmup: 1 });
    report(fetch1m, raw1m, { maxRatio: 1.3 });
    const checked1m = await measure('fetch with the conformance pipeline', async () => {
      const r = await checked.fetch({ nodeId: NODE, interval: '1m', start: million.start, end: million.end, strategy: 'fail_fast' });
      if (r.frame.length !== MILLION) throw new Error(`expected ${MILLION} rows, got ${r.frame.length}`);
    }, { runs: 5, warmup: 1 });
    report(checked1m, raw1m);

    heading('Read 1,440 bars (one day)');
    const day = { start: START + 200 * DAY, end: START + 201 * DAY };
    const rawDay = await measure('raw engine query (store.read)', () => store.read(target.dataset, OHLCV_SCHEMA, day), { runs: 101, warmup: 10 });
    const fetchDay = await measure('fetch on a storage hit (no cache)', () => uncached.fetch({ nodeId: NODE, interval: '1m', start: day.start, end: day.end, strategy: 'fail_fast' }), { runs: 101, warmup: 10 });
    report(fetchDay, rawDay, { maxRatio: 1.3 });
    const checkedDay = await measure('fetch on a storage hit, with conformance', () => checked.fetch({ nodeId: NODE, interval: '1m', start: day.start, end: day.end, strategy: 'fail_fast' }), { runs: 101, warmup: 10 });
    report(checkedDay, rawDay, { maxRatio: 1.3 });
    await cached.fetch({ nodeId: NODE, interval: '1m', start: day.start, end: day.end });
    const hit = await measure('fetch on a cache hit', async () => {
      const r = await cached.fetch({ nodeId: NODE, interval: '1m', start: day.start, end: day.end });
      if (!r.metadata.cacheHit) throw new Error('expected a cache hit');
    }, { runs: 2001, warmup: 200 });
    console.log(`  ${hit.name.padEnd(48)} ${formatMs(hit.medianMs).padStart(10)}   (goal: median under 50 µs: ${hit.medianMs < 0.05 ? 'met' : 'MISSED'})`);
    await cachedChecked.fetch({ nodeId: NODE, interval: '1m', start: day.start, end: day.end });
    const checkedHit = await measure('fetch on a cache hit, with conformance', async () => {
      const r = await cachedChecked.fetch({ nodeId: NODE, interval: '1m', start: day.start, end: day.end });
      if (!r.metadata.cacheHit) throw new Error('expected a cache hit');
    }, { runs: 2001, warmup: 200 });
    console.log(`  ${checkedHit.name.padEnd(48)} ${formatMs(checkedHit.medianMs).padStart(10)}   (goal: median under 50 µs: ${checkedHit.medianMs < 0.05 ? 'met' : 'MISSED'})`);

    await coordinator.close();
    await leases.close();
    await db.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
