/**
 * A data provider over slow storage, for the SLA tests: a real in-memory DuckDB store holding
 * 120 stored 1m bars of `nodeId` (backfilled from the synthetic source), every read delayed by
 * our own wrapper, and one SLA policy. `close` releases the coordinator and the store.
 */
import { OHLCV_SCHEMA, delay, systemClock } from '../../../src/core/index.js';
import type { TimeRange } from '../../../src/core/index.js';
import { startMemoryCoordinator } from '../../helpers/memory-coordinator.js';
import { createMetrics, silentLogger } from '../../../src/observability/index.js';
import type { SeamlessMetrics, Tracing } from '../../../src/observability/index.js';
import { createDataProvider, createDatasetCatalog, createSlaStage } from '../../../src/provider/index.js';
import type { DataProvider } from '../../../src/provider/index.js';
import { createSlaPolicySet } from '../../../src/sla/index.js';
import type { SlaPolicy } from '../../../src/sla/index.js';
import { createSyntheticSource } from '../../../src/sources/index.js';
import { createDuckDbBarStore } from '../../../src/engines/duckdb/internal.js';
import type { BarStore } from '../../../src/storage/index.js';

const MIN = 60_000;

/** Our own slow storage: the real DuckDB store, with every read delayed. */
export function slowReads(inner: BarStore, ms: number): BarStore {
  return { ...inner, engine: inner.engine, read: async (d, s, r) => { await delay(ms); return inner.read(d, s, r); }, coverage: (d, r) => inner.coverage(d, r) };
}

export interface SlowStorageProvider {
  readonly p: DataProvider;
  readonly range: TimeRange;
  readonly metrics: SeamlessMetrics;
  close(): Promise<void>;
}

export async function slowStorageProvider(o: {
  readonly nodeId: string; readonly start: number; readonly policy: SlaPolicy; readonly readDelayMs: number; readonly tracing?: Tracing;
}): Promise<SlowStorageProvider> {
  const inner = await createDuckDbBarStore({ path: ':memory:' });
  const source = createSyntheticSource({ seed: 1 });
  const logger = silentLogger();
  const metrics = createMetrics({ defaultMetrics: false });
  const coordinator = await startMemoryCoordinator({ store: inner, clock: systemClock, logger, metrics, barsPerShard: 1000, concurrency: 2, maxAttempts: 1, baseDelayMs: 1 });
  const range = { start: o.start, end: o.start + 120 * MIN };
  await coordinator.submit({ target: { dataset: { nodeId: o.nodeId, intervalMs: MIN }, schema: OHLCV_SCHEMA, source }, ranges: [range] }).done;
  const store = slowReads(inner, o.readDelayMs);
  const catalog = createDatasetCatalog([{ nodeId: o.nodeId, intervals: ['1m'], source: 's', schema: 'ohlcv' }], new Map([['s', source]]), store);
  return {
    range,
    metrics,
    p: createDataProvider({
      store, catalog, coordinator, cache: undefined, clock: systemClock, logger, metrics, maxBars: 100_000, syncBudgetMs: 10_000,
      ...(o.tracing ? { tracing: o.tracing } : {}),
      sla: createSlaStage(createSlaPolicySet([o.policy]), { clock: systemClock, metrics, logger }),
    }),
    close: async () => { await coordinator.close(); await inner.close(); },
  };
}
