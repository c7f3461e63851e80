/**
 * The read strategies (fail_fast, auto_backfill, partial_fill, seamless) over the real read path:
 * what each returns when storage holds half a shard, under the rollback switch, when the upstream
 * fails or outlasts the sync budget.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamUnavailableError } from '../../../src/core/index.js';
import { A, END, MID, MIN, closeProviderHarnesses, providerHarness, rejection } from '../../helpers/provider-harness.js';
import type { ProviderHarnessOptions } from '../../helpers/provider-harness.js';
import { createCountingSource } from './counting-source.js';
import type { CountingSource } from './counting-source.js';

const NODE = 'ohlcv:demo:ETH/USDT';
const DATASET = { nodeId: NODE, intervalMs: MIN };

afterEach(closeProviderHarnesses);

type Options = Pick<ProviderHarnessOptions<CountingSource>, 'syncBudgetMs' | 'suspended' | 'workersWriteElsewhere'>;

/** The read path over a counting source; with workersWriteElsewhere, a coordinator whose jobs complete while their rows never show here. */
function harness(options: Options = {}) {
  return providerHarness({ nodeId: NODE, seed: 3, wrapSource: createCountingSource, ...options });
}

describe('read strategies', () => {
  it.each(['seamless', 'auto_backfill', 'partial_fill'] as const)('%s under the rollback switch answers from storage, downgraded, and starts no backfill', async (strategy) => {
    const h = await harness({ suspended: true });
    await h.storeFirstHalf();
    const { frame, metadata } = await h.read({ strategy });
    expect(frame.length).toBe(50);
    expect(metadata).toMatchObject({
      partial: true, downgraded: true, downgradeMode: 'partial', downgradeReason: 'backfill_suspended',
      missingRanges: [{ start: MID, end: END }], backfill: null,
    });
    expect(h.source.ranges).toEqual([]);
    expect(h.coordinator.jobs()).toEqual([]);
  });

  it('fail_fast is unchanged by the rollback switch', async () => {
    const h = await harness({ suspended: true });
    await h.storeFirstHalf();
    expect((await rejection(h.read({ strategy: 'fail_fast' }))).code).toBe('data_unavailable');
  });

  it('fail_fast refuses missing data with data_unavailable naming the missing ranges', async () => {
    const h = await harness();
    await h.storeFirstHalf();
    const error = await rejection(h.read({ strategy: 'fail_fast' }));
    expect(error.code).toBe('data_unavailable');
    expect(error.httpStatus).toBe(404);
    expect(error.details.missingRanges).toEqual([{ start: MID, end: END }]);
    expect(h.source.ranges).toEqual([]);
  });

  it('fail_fast with partialOk returns what storage has, marked partial', async () => {
    const h = await harness();
    await h.storeFirstHalf();
    const { frame, metadata } = await h.read({ strategy: 'fail_fast', partialOk: true });
    expect(frame.length).toBe(50);
    expect(metadata).toMatchObject({ partial: true, coverageRatio: 0.5, missingRanges: [{ start: MID, end: END }], backfill: null, sources: { storage: 50, backfill: 0 } });
    expect(metadata.coverageRatio).toBeLessThan(1);
    expect(h.source.ranges).toEqual([]);
  });

  it('auto_backfill fills every missing bar and returns a complete answer', async () => {
    const h = await harness();
    await h.storeFirstHalf();
    const { frame, metadata } = await h.read({ strategy: 'auto_backfill' });
    expect(frame.length).toBe(100);
    expect(metadata).toMatchObject({ partial: false, coverageRatio: 1, missingRanges: [], downgraded: false, sources: { storage: 50, backfill: 50 } });
    expect(metadata.backfill).toMatchObject({ state: 'completed', completionRatio: 1 });
    expect(h.source.ranges).toEqual([{ start: MID, end: END }]);
  });

  it.each(['auto_backfill', 'seamless'] as const)('%s names the completed job when its rows did not become readable here, never claiming the strategy does not backfill', async (strategy) => {
    const h = await harness({ workersWriteElsewhere: true });
    const error = await rejection(h.read({ strategy }));
    expect(error.code).toBe('data_unavailable');
    const [job] = h.coordinator.jobs();
    expect(job).toMatchObject({ state: 'completed', completionRatio: 1 });
    expect(error.message).not.toContain('does not backfill');
    expect(error.message).toContain(`backfill job ${job.id} completed`);
    expect(error.message).toContain('none of the bars this read needs is readable in this instance\'s storage');
    expect(error.details).toMatchObject({ jobId: job.id, jobState: 'completed', missingRanges: [{ start: A, end: END }] });
  });

  it('partial_fill returns the stored part at once and finishes the rest in the background', async () => {
    const h = await harness();
    await h.storeFirstHalf();
    const gate = h.source.hold();
    const { frame, metadata } = await h.read({ strategy: 'partial_fill' });
    expect(frame.length).toBe(50);
    expect(metadata).toMatchObject({ partial: true, coverageRatio: 0.5, missingRanges: [{ start: MID, end: END }] });
    expect(metadata.backfill).toMatchObject({ state: 'running' });
    const jobId = metadata.backfill?.jobId ?? expect.unreachable('partial_fill must return a job id');
    gate.open();
    expect(await h.coordinator.wait(jobId)).toMatchObject({ state: 'completed', completionRatio: 1 });
    const after = await h.read({ strategy: 'fail_fast' });
    expect(after.frame.length).toBe(100);
    expect(after.metadata.partial).toBe(false);
  });

  it('seamless downgrades to partial with the job id when the source outlasts the sync budget', async () => {
    const h = await harness({ syncBudgetMs: 5 });
    await h.storeFirstHalf();
    const gate = h.source.hold();
    const { frame, metadata } = await h.read();
    expect(frame.length).toBe(50);
    expect(metadata).toMatchObject({ strategy: 'seamless', partial: true, downgraded: true, downgradeMode: 'partial', downgradeReason: 'backfill_budget_exhausted' });
    const jobId = metadata.backfill?.jobId ?? expect.unreachable('a downgraded read must return its job id');
    expect(h.coordinator.job(jobId)?.state).toBe('running');
    gate.open(); // the upstream answers only after the read has returned
    expect(await h.coordinator.wait(jobId)).toMatchObject({ state: 'completed' });
    const after = await h.read();
    expect(after.metadata).toMatchObject({ partial: false, downgraded: false, downgradeReason: null, rows: 100 });
  });

  it('seamless returns a complete answer when the backfill finishes within the budget', async () => {
    const h = await harness();
    const { metadata } = await h.read();
    expect(metadata).toMatchObject({ partial: false, downgraded: false, rows: 100, sources: { backfill: 100 } });
  });

  it('reports upstream_unavailable and records the failure after retrying a retryable error', async () => {
    const h = await harness();
    h.source.failWith(new UpstreamUnavailableError('exchange', 'HTTP 503', { retryable: true }));
    const error = await rejection(h.read({ strategy: 'auto_backfill' }));
    expect(error.code).toBe('upstream_unavailable');
    expect(error.message).toContain('HTTP 503');
    expect(h.source.ranges).toHaveLength(3);
    const later = await h.read({ strategy: 'fail_fast', partialOk: true });
    expect(later.metadata.failedRanges).toMatchObject([{ start: A, end: END, reason: expect.stringContaining('HTTP 503') }]);
    // Three upstream attempts failed, so the coverage entry must say 3, not 1.
    expect(await h.store.coverage(DATASET, { start: A, end: END })).toEqual([
      { start: A, end: END, state: 'failed', reason: expect.stringContaining('HTTP 503'), attempts: 3 },
    ]);
  });

  it('shows the ranges its own backfill just failed to a partialOk read', async () => {
    const h = await harness();
    h.source.failWith(new UpstreamUnavailableError('exchange', 'HTTP 503', { retryable: true }));
    const { metadata } = await h.read({ strategy: 'auto_backfill', partialOk: true });
    expect(metadata).toMatchObject({ partial: true, coverageRatio: 0, downgradeReason: 'backfill_failed' });
    expect(metadata.failedRanges).toEqual([{ start: A, end: END, reason: expect.stringContaining('HTTP 503'), attempts: expect.any(Number) }]);
  });

  it('does not retry an error the source marks as not retryable', async () => {
    const h = await harness();
    h.source.failWith(new UpstreamUnavailableError('exchange', 'unknown symbol', { retryable: false }));
    const error = await rejection(h.read({ strategy: 'auto_backfill' }));
    expect(error.code).toBe('upstream_unavailable');
    expect(h.source.ranges).toEqual([{ start: A, end: END }]);
    const coverage = await h.store.coverage(DATASET, { start: A, end: END });
    expect(coverage).toMatchObject([{ state: 'failed', attempts: 1, reason: expect.stringContaining('unknown symbol') }]);
  });

  it('recovers on a later read once the upstream answers again', async () => {
    const h = await harness();
    h.source.failWith(new UpstreamUnavailableError('exchange', 'HTTP 503', { retryable: true }), 3);
    await rejection(h.read({ strategy: 'auto_backfill' }));
    const { metadata } = await h.read({ strategy: 'auto_backfill' });
    expect(metadata).toMatchObject({ partial: false, rows: 100, failedRanges: [] });
    expect(await h.store.coverage(DATASET, { start: A, end: END })).toEqual([{ start: A, end: END, state: 'stored' }]);
  });
});
