/**
 * `recovery.maxBackfillMs`: a read answered without part of its range while a backfill job runs
 * on starts a watcher; the job must complete within the bound or it is a `recovery` violation.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/index.js';
import { startMemoryCoordinator } from '../../helpers/memory-coordinator.js';
import type { JobStatus } from '../../../src/backfill/index.js';
import { createMetrics, silentLogger } from '../../../src/observability/index.js';
import { createDataProvider, createDatasetCatalog, createSlaStage } from '../../../src/provider/index.js';
import { createRecoveryWatcher } from '../../../src/provider/internal.js';
import { createSlaPolicySet } from '../../../src/sla/index.js';
import { parseSlaPolicy } from '../../../src/sla/internal.js';
import type { SlaPolicy } from '../../../src/sla/index.js';
import { createSyntheticSource } from '../../../src/sources/index.js';
import { createDuckDbBarStore } from '../../../src/engines/duckdb/internal.js';

const MIN = 60_000;
const START = Date.UTC(2023, 0, 2);
const NODE = 'ohlcv:slow-upstream:X';

function recoveryPolicy(maxBackfillMs: number, mode: 'enforced' | 'dry-run' = 'enforced'): SlaPolicy {
  const text = `name: recover-${maxBackfillMs}\nmatch:\n  node: "${NODE}"\nmode: ${mode}\nbudgets:\n  total: 60000\nrecovery:\n  maxBackfillMs: ${maxBackfillMs}\n` +
    'onViolation: partial\nowner: t\nrunbook: r.md\nescalation: e\n';
  const parsed = parseSlaPolicy(text, 'inline.yml');
  if (!parsed.policy) throw new Error(JSON.stringify(parsed.problems));
  return parsed.policy;
}

async function violations(metrics: ReturnType<typeof createMetrics>, phase: string): Promise<number> {
  const m = await metrics.slaViolations.get();
  return m.values.filter((v) => v.labels.phase === phase).reduce((n, v) => n + v.value, 0);
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function setup(p: SlaPolicy, upstreamLatencyMs: number) {
  const store = await createDuckDbBarStore({ path: ':memory:' });
  const source = createSyntheticSource({ seed: 3, latencyMs: upstreamLatencyMs });
  const logger = silentLogger();
  const metrics = createMetrics({ defaultMetrics: false });
  const coordinator = await startMemoryCoordinator({ store, clock: systemClock, logger, metrics, barsPerShard: 60, concurrency: 1, maxAttempts: 1, baseDelayMs: 1 });
  const sla = createSlaStage(createSlaPolicySet([p]), { clock: systemClock, metrics, logger });
  closers.push(async () => { sla.close(); await coordinator.close(); await store.close(); });
  const catalog = createDatasetCatalog([{ nodeId: NODE, intervals: ['1m'], source: 's', schema: 'ohlcv' }], new Map([['s', source]]), store);
  const provider = createDataProvider({ store, catalog, coordinator, cache: undefined, clock: systemClock, logger, metrics, maxBars: 100_000, syncBudgetMs: 10_000, sla });
  return { provider, metrics, sla };
}

describe('SLA recovery bound', () => {
  it('reports a recovery violation when the background backfill outruns maxBackfillMs', async () => {
    const { provider, metrics, sla } = await setup(recoveryPolicy(50), 300);
    const { metadata } = await provider.fetch({ nodeId: NODE, interval: '1m', start: START, end: START + 120 * MIN, strategy: 'partial_fill' });
    expect(metadata.partial).toBe(true);
    expect(metadata.backfill?.state).toBe('running');
    expect(sla.recovery.active).toBe(1);
    await sla.recovery.idle();
    expect(await violations(metrics, 'recovery')).toBe(1);
    const deadline = await metrics.slaDeadline.get();
    expect(deadline.values.some((v) => v.labels.phase === 'recovery' && v.metricName?.endsWith('_count') && v.value === 1)).toBe(true);
  });

  it('stays quiet when the backfill completes within the bound', async () => {
    const { provider, metrics, sla } = await setup(recoveryPolicy(30_000), 20);
    const { metadata } = await provider.fetch({ nodeId: NODE, interval: '1m', start: START, end: START + 120 * MIN, strategy: 'partial_fill' });
    expect(metadata.backfill?.state).toBe('running');
    await sla.recovery.idle();
    expect(await violations(metrics, 'recovery')).toBe(0);
  });

  it('starts no watcher for a complete answer', async () => {
    const { provider, sla } = await setup(recoveryPolicy(50), 0);
    await provider.fetch({ nodeId: NODE, interval: '1m', start: START, end: START + 60 * MIN, strategy: 'auto_backfill' });
    expect(sla.recovery.active).toBe(0);
  });
});

describe('recovery watcher', () => {
  const job = (state: JobStatus['state']): JobStatus => ({
    id: 'j1', nodeId: NODE, intervalMs: MIN, state, createdAt: 0, finishedAt: 1,
    shards: { pending: 0, leased: 0, completed: 0, known_empty: 0, failed: 1 } as JobStatus['shards'],
    totalShards: 1, completionRatio: 0, rowsWritten: 0, errors: [],
  });

  it('counts a job that ends failed within the bound as a violation, and watches a job once', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const w = createRecoveryWatcher({ clock: systemClock, metrics, logger: silentLogger() });
    let waits = 0;
    const watch = { policy: recoveryPolicy(1_000), nodeId: NODE, intervalMs: MIN, jobId: 'j1', wait: () => { waits++; return Promise.resolve(job('failed')); } };
    w.watch(watch);
    w.watch(watch);
    await w.idle();
    expect(waits).toBe(1);
    expect(await violations(metrics, 'recovery')).toBe(1);
  });

  it('reports nothing for watchers stopped by close()', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const w = createRecoveryWatcher({ clock: systemClock, metrics, logger: silentLogger() });
    w.watch({
      policy: recoveryPolicy(60_000), nodeId: NODE, intervalMs: MIN, jobId: 'j2',
      wait: (signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error))),
    });
    w.close();
    await w.idle();
    expect(await violations(metrics, 'recovery')).toBe(0);
  });

  it('ignores policies without a recovery bound', () => {
    const w = createRecoveryWatcher({ clock: systemClock, metrics: createMetrics({ defaultMetrics: false }), logger: silentLogger() });
    const text = `name: none\nmatch:\n  node: "${NODE}"\nmode: enforced\nbudgets:\n  storage: 10\nonViolation: fail\nowner: t\nrunbook: r.md\nescalation: e\n`;
    const parsed = parseSlaPolicy(text, 'inline.yml');
    if (!parsed.policy) throw new Error('policy');
    w.watch({ policy: parsed.policy, nodeId: NODE, intervalMs: MIN, jobId: 'j3', wait: () => Promise.resolve(job('completed')) });
    expect(w.active).toBe(0);
  });
});
