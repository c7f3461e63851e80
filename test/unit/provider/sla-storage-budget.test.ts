import { afterEach, describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, delay, systemClock } from '../../../src/core/index.js';
import { createInProcessCoordinator, createShardFetcher } from '../../../src/backfill/index.js';
import { createMetrics, silentLogger } from '../../../src/observability/index.js';
import { createDataProvider, createDatasetCatalog, createSlaStage } from '../../../src/provider/index.js';
import { createSlaPolicySet, parseSlaPolicy } from '../../../src/sla/index.js';
import type { SlaPolicy } from '../../../src/sla/index.js';
import { createSyntheticSource } from '../../../src/sources/index.js';
import { createDuckDbBarStore } from '../../../src/storage/index.js';
import type { BarStore } from '../../../src/storage/index.js';

const MIN = 60_000;
const START = Date.UTC(2023, 0, 2);
const NODE = 'ohlcv:slow-storage:X';

/** Our own slow storage: the real DuckDB store, with every read delayed. */
function slowReads(inner: BarStore, ms: number): BarStore {
  return { ...inner, engine: inner.engine, read: async (d, s, r) => { await delay(ms); return inner.read(d, s, r); }, coverage: (d, r) => inner.coverage(d, r) };
}

function policy(onViolation: 'fail' | 'partial' | 'hold', mode: 'enforced' | 'dry-run' = 'enforced'): SlaPolicy {
  const parsed = parseSlaPolicy(`name: slow-${onViolation}-${mode}\nmatch:\n  node: "${NODE}"\nmode: ${mode}\nbudgets:\n  storage: 60\nonViolation: ${onViolation}\nowner: t\nrunbook: r.md\nescalation: e\n`, 'inline.yml');
  if (!parsed.policy) throw new Error(JSON.stringify(parsed.problems));
  return parsed.policy;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function provider(p: SlaPolicy) {
  const inner = await createDuckDbBarStore({ path: ':memory:' });
  const source = createSyntheticSource({ seed: 1 });
  const logger = silentLogger();
  const metrics = createMetrics({ defaultMetrics: false });
  const coordinator = createInProcessCoordinator({
    fetchShard: createShardFetcher({ store: inner, clock: systemClock, logger, retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }),
    barsPerShard: 1000, concurrency: 2, clock: systemClock, logger, metrics,
  });
  closers.push(async () => { await coordinator.close(); await inner.close(); });
  const range = { start: START, end: START + 120 * MIN };
  await coordinator.submit({ target: { dataset: { nodeId: NODE, intervalMs: MIN }, schema: OHLCV_SCHEMA, source }, ranges: [range] }).done;
  const store = slowReads(inner, 400);
  const catalog = createDatasetCatalog([{ nodeId: NODE, intervals: ['1m'], source: 's', schema: 'ohlcv' }], new Map([['s', source]]), store);
  return {
    range,
    metrics,
    p: createDataProvider({
      store, catalog, coordinator, cache: undefined, clock: systemClock, logger, metrics, maxBars: 100_000, syncBudgetMs: 10_000,
      sla: createSlaStage(createSlaPolicySet([p]), { clock: systemClock, metrics, logger }),
    }),
  };
}

describe('SLA storage budget', () => {
  it('stops waiting for slow storage when the budget runs out and fails the read under onViolation fail', async () => {
    const { p, range } = await provider(policy('fail'));
    const t0 = performance.now();
    await expect(p.fetch({ nodeId: NODE, interval: '1m', start: range.start, end: range.end, strategy: 'fail_fast' }))
      .rejects.toMatchObject({ code: 'sla_exceeded', phase: 'storage', budgetMs: 60 });
    console.log(`sla: storage budget 60 ms against 400 ms reads: the read ended after ${(performance.now() - t0).toFixed(0)} ms`);
  });

  it('returns what it has, with the unread range missing, under onViolation partial', async () => {
    const { p, range } = await provider(policy('partial'));
    const { frame, metadata } = await p.fetch({ nodeId: NODE, interval: '1m', start: range.start, end: range.end, strategy: 'fail_fast', partialOk: true });
    expect(frame.length).toBe(0);
    expect(metadata).toMatchObject({ downgraded: true, downgradeMode: 'partial', downgradeReason: 'sla_storage', missingRanges: [range] });
  });

  it('waits the storage out under a dry-run policy and only reports it', async () => {
    const { p, range } = await provider(policy('fail', 'dry-run'));
    const { frame, metadata } = await p.fetch({ nodeId: NODE, interval: '1m', start: range.start, end: range.end, strategy: 'fail_fast' });
    expect(frame.length).toBe(120);
    expect(metadata.slaViolation).toMatchObject({ dryRun: true, decision: 'serve' });
    expect(metadata.downgraded).toBe(false);
  });
});
