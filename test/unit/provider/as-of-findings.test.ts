/**
 * An `as_of` read reports the ingest findings that were in force at its time: a finding recorded
 * after T is not reported at T, and a finding a later rewrite superseded is still reported for a
 * T before that rewrite (it was known then), while the newest read no longer reports it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, createFrame } from '../../../src/core/index.js';
import type { IngestFinding } from '../../../src/core/index.js';
import { createManualClock } from '../../../src/core/internal.js';
import { createConformancePipeline } from '../../../src/conformance/index.js';
import { createEmbeddedDatabase } from '../../../src/engines/duckdb/internal.js';
import { createMetrics, silentLogger } from '../../../src/observability/index.js';
import { createConformanceStage, createDataProvider, createDatasetCatalog, createFindingsIndex, watchWrites } from '../../../src/provider/index.js';
import { createDriftDetector, createSchemaRegistry, registerShippedSchemas } from '../../../src/schema/index.js';
import { startMemoryCoordinator } from '../../helpers/memory-coordinator.js';

const MIN = 60_000;
const NODE = 'ohlcv:demo:ETH/USDT';
const DATASET = { nodeId: NODE, intervalMs: MIN };
const A = Date.UTC(2024, 0, 1);
const BARS = 60;
const T1 = A + 2 * 86_400_000; // the first write, with a finding
const T2 = T1 + 3_600_000; // between the two writes
const T3 = T2 + 3_600_000; // the rewrite that supersedes the finding

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

function bars(shift: number) {
  const ts = new Float64Array(BARS);
  const values = OHLCV_SCHEMA.columns.map(() => new Float64Array(BARS));
  for (let i = 0; i < BARS; i++) {
    ts[i] = A + i * MIN;
    values[0][i] = 100 + i + shift; values[1][i] = 102 + i + shift; values[2][i] = 99 + i + shift; values[3][i] = 101 + i + shift; values[4][i] = 5;
  }
  return createFrame(OHLCV_SCHEMA, ts, values);
}

describe('ingest findings of an as_of read', () => {
  it('reports the findings in force at as_of: not those recorded later, still those superseded later', async () => {
    const clock = createManualClock(T1);
    const logger = silentLogger();
    const metrics = createMetrics({ defaultMetrics: false });
    const db = await createEmbeddedDatabase({ path: ':memory:', clock });
    const findings = createFindingsIndex(db.findings);
    const store = watchWrites(db.bars, findings);
    const duplicate: IngestFinding = { nodeId: NODE, intervalMs: MIN, flag: 'duplicate_ts', ts: A + 10 * MIN, count: 2, at: T1, detail: 'the upstream sent bar 10 twice' };
    const coverage = [{ start: A, end: A + BARS * MIN, state: 'stored' as const }];
    await store.write({ dataset: DATASET, frame: bars(0), coverage, findings: [duplicate] }, OHLCV_SCHEMA);
    findings.added([duplicate]);
    clock.set(T3);
    // A re-import with other values: the finding's rows are rewritten, the finding superseded.
    await store.write({ dataset: DATASET, frame: bars(1), coverage }, OHLCV_SCHEMA);

    const registry = createSchemaRegistry({ store: db.registry, clock, defaults: { compatibility: 'BACKWARD', validationMode: 'canary', canaryWindowMs: 172_800_000 } });
    await registerShippedSchemas(registry);
    const conformance = createConformanceStage({
      pipeline: createConformancePipeline(), mode: 'blocking', registry, drift: createDriftDetector(), archive: db.reports, findings, clock, metrics, logger,
    });
    const catalog = createDatasetCatalog([{ nodeId: NODE, intervals: ['1m'], schema: 'ohlcv' }], new Map(), store);
    const coordinator = await startMemoryCoordinator({ store, clock, logger, metrics, barsPerShard: 100, concurrency: 1 });
    open.push({ close: async () => { await coordinator.close(); await db.close(); } });
    const provider = createDataProvider({ store, catalog, coordinator, cache: undefined, clock, logger, metrics, maxBars: 10_000, syncBudgetMs: 10_000, conformance });
    const read = (asOf?: number) => provider.fetch({ nodeId: NODE, interval: '1m', start: A, end: A + BARS * MIN, strategy: 'fail_fast', partialOk: true, ...(asOf !== undefined ? { context: { asOf } } : {}) });

    const between = await read(T2);
    expect(between.frame.values[0][0]).toBe(100); // the first version's bars
    expect(between.metadata.conformance?.flags).toMatchObject({ duplicate_ts: 2 });
    const newest = await read();
    expect(newest.frame.values[0][0]).toBe(101);
    expect(newest.metadata.conformance?.flags).not.toHaveProperty('duplicate_ts');
    const before = await read(T1 - 1);
    expect(before.frame.length).toBe(0);
    expect(before.metadata.conformance?.flags ?? {}).not.toHaveProperty('duplicate_ts');
  });
});
