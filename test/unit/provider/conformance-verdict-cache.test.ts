/**
 * The conformance verdict cached with the response-cache segment: a repeated cache hit serves the
 * verdict already reached on those bars instead of re-running the pipeline, and still decides
 * serve or block as a fresh check would (partialOk is the caller's, not the cached read's).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, SeamlessError, createFrame } from '../../../src/core/index.js';
import { createManualClock } from '../../../src/core/internal.js';
import { createConformancePipeline } from '../../../src/conformance/index.js';
import type { ConformancePipeline } from '../../../src/conformance/index.js';
import { createEmbeddedDatabase } from '../../../src/engines/duckdb/internal.js';
import { createMetrics, silentLogger } from '../../../src/observability/index.js';
import {
  createConformanceStage, createDataProvider, createDatasetCatalog, createFindingsIndex, createResponseCache,
} from '../../../src/provider/index.js';
import { createDriftDetector, createSchemaRegistry, registerShippedSchemas } from '../../../src/schema/index.js';
import { startMemoryCoordinator } from '../../helpers/memory-coordinator.js';

const MIN = 60_000;
const NOW = Date.UTC(2024, 5, 1);
const NODE = 'ohlcv:demo:ETH/USDT';
const DATASET = { nodeId: NODE, intervalMs: MIN };
const A = NOW - 1_000 * MIN;
const BARS = 60;

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

/** Clean bars [A, A + BARS·MIN), stored with their coverage; `bad` gives bar 30 a high below its close (an error finding). */
async function harness(options: { bad?: boolean } = {}) {
  const clock = createManualClock(NOW);
  const logger = silentLogger();
  const metrics = createMetrics({ defaultMetrics: false });
  const db = await createEmbeddedDatabase({ path: ':memory:', clock });
  const ts = new Float64Array(BARS);
  const values = OHLCV_SCHEMA.columns.map(() => new Float64Array(BARS));
  for (let i = 0; i < BARS; i++) {
    ts[i] = A + i * MIN;
    values[0][i] = 100 + i; values[1][i] = 102 + i; values[2][i] = 99 + i; values[3][i] = 101 + i; values[4][i] = 5;
  }
  if (options.bad === true) values[1][30] = 100;
  await db.bars.write({ dataset: DATASET, frame: createFrame(OHLCV_SCHEMA, ts, values), coverage: [{ start: A, end: A + BARS * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
  const registry = createSchemaRegistry({ store: db.registry, clock, defaults: { compatibility: 'BACKWARD', validationMode: 'canary', canaryWindowMs: 172_800_000 } });
  await registerShippedSchemas(registry);
  const real = createConformancePipeline();
  let checks = 0;
  // A fake of our own ConformancePipeline interface: the real pipeline, its calls counted.
  const pipeline: ConformancePipeline = { check: (input) => { checks++; return real.check(input); } };
  const conformance = createConformanceStage({
    pipeline, mode: 'blocking', registry, drift: createDriftDetector(), archive: db.reports,
    findings: createFindingsIndex(db.findings), clock, metrics, logger,
  });
  const catalog = createDatasetCatalog([{ nodeId: NODE, intervals: ['1m'], schema: 'ohlcv' }], new Map(), db.bars);
  const coordinator = await startMemoryCoordinator({ store: db.bars, clock, logger, metrics, barsPerShard: 100, concurrency: 1 });
  const cache = createResponseCache({ maxBytes: 16 << 20, maxEntries: 100, ttlMs: 600_000 }, clock);
  const provider = createDataProvider({ store: db.bars, catalog, coordinator, cache, clock, logger, metrics, maxBars: 10_000, syncBudgetMs: 10_000, conformance });
  const h = {
    checks: () => checks,
    read: (partialOk = false) => provider.fetch({ nodeId: NODE, interval: '1m', start: A, end: A + BARS * MIN, strategy: 'fail_fast', partialOk }),
    flagCount: async (flag: string) => (await metrics.conformanceFlags.get()).values.filter((v) => v.labels.flag_type === flag).reduce((n, v) => n + v.value, 0),
    close: async () => {
      await coordinator.close();
      await db.close();
    },
  };
  open.push(h);
  return h;
}

describe('conformance verdict cached with the response cache', () => {
  it('serves a repeated cache hit with the verdict already reached on its bars, without re-running the pipeline', async () => {
    const h = await harness();
    const first = await h.read();
    expect(first.metadata.cacheHit).toBe(false);
    const hit = await h.read();
    expect(hit.metadata.cacheHit).toBe(true);
    const before = h.checks();
    const again = await h.read();
    const third = await h.read();
    expect(third.metadata.cacheHit).toBe(true);
    expect(h.checks()).toBe(before);
    expect(again.metadata.conformance).toEqual(hit.metadata.conformance);
    expect(third.metadata.fingerprint).toBe(first.metadata.fingerprint);
    expect(third.frame.length).toBe(BARS);
  });

  it('still blocks a cache hit without partial_ok whose cached verdict has error findings, and counts each read\'s findings', async () => {
    const h = await harness({ bad: true });
    expect((await h.read(true)).metadata.conformance?.flags).toMatchObject({ ohlc_inconsistent: 1 });
    const served = await h.read(true);
    expect(served.metadata).toMatchObject({ cacheHit: true, conformance: { flags: { ohlc_inconsistent: 1 } } });
    await h.read(true);
    expect(await h.flagCount('ohlc_inconsistent')).toBe(3);
    const refused = await h.read(false).then(() => undefined, (error: unknown) => error);
    expect(refused).toBeInstanceOf(SeamlessError);
    expect((refused as SeamlessError).code).toBe('conformance_blocked');
    expect(await h.flagCount('ohlc_inconsistent')).toBe(4);
  });
});
