import { afterEach, describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA } from '../../../../src/core/index.js';
import { createBarsEstimator, createDatasetCatalog } from '../../../../src/provider/index.js';
import type { SourcePlan } from '../../../../src/provider/index.js';
import { A, END, MID, MIN, NOW, SHARD, closeProviderHarnesses, providerHarness, rejection } from '../../../helpers/provider-harness.js';
import { createCountingSource } from '../counting-source.js';

afterEach(closeProviderHarnesses);

const NODE = 'ohlcv:test:EST';

async function setup(options: { suspended?: boolean } = {}) {
  const h = await providerHarness({ nodeId: NODE, seed: 7, wrapSource: createCountingSource });
  const catalog = createDatasetCatalog([{ nodeId: NODE, intervals: ['1m'], source: 'up', schema: 'ohlcv' }], new Map([['up', h.source]]), h.store);
  const plan: SourcePlan = { name: 'synthetic', barsPerRequest: undefined, barsPerRequestBasis: 'answers a range in one call', latency: { ms: 20, basis: 'configured' } };
  const estimator = createBarsEstimator({
    store: h.store, catalog, clock: h.clock, maxBars: 100_000, barsPerShard: () => SHARD, lanes: 4, sourcePlan: () => Promise.resolve(plan),
    backfillSuspended: options.suspended === true,
  });
  return { h, estimator };
}

describe('pre-flight estimate against the real read path', () => {
  it('predicts the bars, shards and upstream calls the following read backfills', async () => {
    const { h, estimator } = await setup();
    await h.storeFirstHalf();
    // The range reaches into the next shard: the read backfills [MID, END) and all of the next shard up to its end.
    const end = END + 30 * MIN;
    const estimate = await estimator.estimate({ nodeId: NODE, interval: '1m', start: A, end });
    expect(estimate.bars).toEqual({ inRange: SHARD + 30, stored: 50, knownEmpty: 0, missing: SHARD + 30 - 50, notClosed: 0 });
    expect(h.source.ranges).toHaveLength(0);

    const { metadata } = await h.read({ end });
    expect(metadata.sources.backfill).toBe(estimate.bars.missing);
    expect(metadata.rows).toBe(estimate.rows);
    expect(h.source.ranges).toHaveLength(estimate.backfill.requests);
    const fetched = h.source.ranges.reduce((n, r) => n + (r.end - r.start) / MIN, 0);
    expect(fetched).toBe(estimate.backfill.bars);
    expect(estimate.backfill).toMatchObject({ shards: 2, bars: 50 + SHARD, requests: 2, expectedMs: 20 });
  });

  it('leaves rows and coverage as they were and calls no upstream', async () => {
    const { h, estimator } = await setup();
    await h.storeFirstHalf();
    const before = await h.store.coverage({ nodeId: NODE, intervalMs: MIN });
    const estimate = await estimator.estimate({ nodeId: NODE, interval: '1m', start: A, end: END });
    expect(estimate.bars.missing).toBe(50);
    expect(await h.store.coverage({ nodeId: NODE, intervalMs: MIN })).toEqual(before);
    expect((await h.store.read({ nodeId: NODE, intervalMs: MIN }, OHLCV_SCHEMA, { start: A, end: END })).length).toBe(50);
    expect(h.source.ranges).toHaveLength(0);
    expect(h.coordinator.jobs()).toHaveLength(0);
  });

  it('measures JSON and CSV bytes on stored rows when there are some, and says it', async () => {
    const { h, estimator } = await setup();
    const cold = await estimator.estimate({ nodeId: NODE, interval: '1m', start: A, end: END });
    expect(cold.bytes.json.basis).toBe('default');
    expect(cold.bytes.csv.basis).toBe('default');
    await h.storeFirstHalf();
    const warm = await estimator.estimate({ nodeId: NODE, interval: '1m', start: A, end: MID });
    expect(warm.bytes.json.basis).toBe('measured');
    expect(warm.bytes.arrow.basis).toBe('exact');
  });

  it('counts bars not yet closed apart and never plans to backfill them', async () => {
    const { estimator } = await setup();
    const estimate = await estimator.estimate({ nodeId: NODE, interval: '1m', start: NOW - 10 * MIN, end: NOW + 5 * MIN });
    expect(estimate.bars).toMatchObject({ inRange: 10, missing: 10, notClosed: 5 });
    expect(estimate.closedRange).toEqual({ start: NOW - 10 * MIN, end: NOW });
  });

  it('plans no backfill while backfill is suspended, as the read then backfills nothing', async () => {
    const { h, estimator } = await setup({ suspended: true });
    await h.storeFirstHalf();
    const estimate = await estimator.estimate({ nodeId: NODE, interval: '1m', start: A, end: END });
    expect(estimate.bars).toMatchObject({ stored: 50, missing: 50 });
    expect(estimate.backfill).toMatchObject({ shards: 0, bars: 0, requests: 0, expectedMs: null });
    expect(estimate.backfill.requestsBasis).toContain('seamless.backfill.suspended');
    expect(estimate.rows).toBe(50);
  });

  it('refuses bad input as the read does, naming the field', async () => {
    const { estimator } = await setup();
    expect((await rejection(estimator.estimate({ nodeId: NODE, interval: '7q', start: A, end: END }))).message).toContain('interval');
    const inverted = await rejection(estimator.estimate({ nodeId: NODE, interval: '1m', start: END, end: A }));
    expect(inverted.code).toBe('invalid_request');
    const unknown = await rejection(estimator.estimate({ nodeId: 'ohlcv:test:NOPE', interval: '1m', start: A, end: END }));
    expect(unknown.code).toBe('not_found');
  });
});
