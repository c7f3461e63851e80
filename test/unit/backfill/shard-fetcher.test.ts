import { afterEach, describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, UpstreamUnavailableError } from '../../../src/core/index.js';
import { createManualClock } from '../../../src/core/internal.js';
import type { TimeRange } from '../../../src/core/index.js';
import { createShardFetcher } from '../../../src/backfill/index.js';
import { silentLogger } from '../../../src/observability/index.js';
import { createSyntheticSource } from '../../../src/sources/index.js';
import { createDuckDbBarStore } from '../../../src/engines/duckdb/internal.js';
import type { BarStore } from '../../../src/storage/index.js';
import { createCountingSource } from '../provider/counting-source.js';

const MIN = 60_000;
const DAY = 86_400_000;
const NOW = Date.UTC(2024, 5, 1);
const DATASET = { nodeId: 'ohlcv:demo:ADA/USDT', intervalMs: MIN };
const SHARD: TimeRange = { start: NOW - 200 * MIN, end: NOW - 100 * MIN };

let store: BarStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

async function setup(knownEmpty: 'weekends' | 'none' = 'none') {
  const clock = createManualClock(NOW);
  const s = await createDuckDbBarStore({ path: ':memory:' });
  store = s;
  const upstream = createSyntheticSource({ seed: 9, knownEmpty });
  const source = createCountingSource(upstream);
  const failures: [number, boolean][] = [];
  const fetchShard = createShardFetcher({
    store: s, clock, logger: silentLogger(), retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 },
    onAttemptFailed: (_task, attempt, _reason, final) => failures.push([attempt, final]),
  });
  let token = 0;
  const run = (range: TimeRange, dataset = DATASET) => fetchShard(
    { key: JSON.stringify(['shard', range.start]), target: { dataset, schema: OHLCV_SCHEMA, source }, range },
    { key: JSON.stringify(['shard', range.start]), token: ++token },
    new AbortController().signal,
  );
  return { clock, store: s, upstream, source, failures, run };
}

describe('shard fetcher', () => {
  it('fetches a missing shard, writing its rows together with stored coverage', async () => {
    const t = await setup();
    expect(await t.run(SHARD)).toEqual({ state: 'completed', rowsWritten: 100, attempts: 1, fetched: true, upstreamRows: 100 });
    expect(t.source.ranges).toEqual([SHARD]);
    expect(await t.store.coverage(DATASET)).toEqual([{ ...SHARD, state: 'stored' }]);
    expect((await t.store.read(DATASET, OHLCV_SCHEMA, SHARD)).length).toBe(100);
  });

  it('does not ask the source for a shard storage already holds', async () => {
    const t = await setup();
    const { frame } = await t.upstream.fetch({ nodeId: DATASET.nodeId, intervalMs: MIN, range: SHARD });
    await t.store.write({ dataset: DATASET, frame, coverage: [{ ...SHARD, state: 'stored' }] }, OHLCV_SCHEMA);
    expect(await t.run(SHARD)).toEqual({ state: 'completed', rowsWritten: 0, attempts: 0, fetched: false });
    expect(t.source.ranges).toEqual([]);
  });

  it('fetches only the parts of a shard that storage lacks', async () => {
    const t = await setup();
    const held = { start: SHARD.start + 20 * MIN, end: SHARD.start + 60 * MIN };
    const { frame } = await t.upstream.fetch({ nodeId: DATASET.nodeId, intervalMs: MIN, range: held });
    await t.store.write({ dataset: DATASET, frame, coverage: [{ ...held, state: 'stored' }] }, OHLCV_SCHEMA);
    expect(await t.run(SHARD)).toMatchObject({ state: 'completed', rowsWritten: 60, fetched: true });
    expect(t.source.ranges).toEqual([{ start: SHARD.start, end: held.start }, { start: held.end, end: SHARD.end }]);
    expect(await t.store.coverage(DATASET)).toEqual([{ ...SHARD, state: 'stored' }]);
  });

  it('never asks for bars that have not closed by now', async () => {
    const t = await setup();
    t.clock.set(NOW + 30_000);
    const crossing = { start: NOW - 50 * MIN, end: NOW + 50 * MIN };
    expect(await t.run(crossing)).toMatchObject({ state: 'completed', rowsWritten: 50 });
    expect(t.source.ranges).toEqual([{ start: NOW - 50 * MIN, end: NOW }]);
    expect(await t.run({ start: NOW + MIN, end: NOW + 100 * MIN })).toEqual({ state: 'completed', rowsWritten: 0, attempts: 0, fetched: false });
    expect(t.source.ranges).toHaveLength(1);
  });

  it('backfills bars from before 1970 (negative epoch ms)', async () => {
    const t = await setup();
    const day = { nodeId: DATASET.nodeId, intervalMs: DAY };
    const range = { start: -10 * DAY, end: 0 };
    expect(await t.run(range, day)).toEqual({ state: 'completed', rowsWritten: 10, attempts: 1, fetched: true, upstreamRows: 10 });
    expect(t.source.ranges).toEqual([range]);
    expect(await t.store.coverage(day)).toEqual([{ ...range, state: 'stored' }]);
  });

  it('records a shard the upstream confirms empty as known_empty, with the evidence: the source, the span it answered empty, when', async () => {
    const t = await setup('weekends');
    const day = { nodeId: DATASET.nodeId, intervalMs: DAY };
    const saturday = Date.UTC(2024, 0, 6);
    expect(await t.run({ start: saturday, end: saturday + 2 * DAY }, day)).toMatchObject({
      state: 'known_empty', rowsWritten: 0, fetched: true,
      evidence: { source: t.source.name, start: saturday, end: saturday + 2 * DAY, checkedAt: t.clock.now() },
    });
    expect(await t.store.coverage(day)).toEqual([{ start: saturday, end: saturday + 2 * DAY, state: 'known_empty' }]);
  });

  it('retries a retryable upstream error up to the limit, then records the range as failed', async () => {
    const t = await setup();
    const error = new UpstreamUnavailableError('exchange', 'HTTP 503', { retryable: true });
    t.source.failWith(error);
    expect(await t.run(SHARD)).toEqual({ state: 'failed', rowsWritten: 0, attempts: 3, fetched: true, error: 'exchange: HTTP 503', retryable: true, upstreamRows: 0 });
    expect(t.source.ranges).toEqual([SHARD, SHARD, SHARD]);
    expect(t.failures).toEqual([[1, false], [2, false], [3, true]]);
    expect(await t.store.coverage(DATASET)).toMatchObject([{ ...SHARD, state: 'failed', reason: 'exchange: HTTP 503', attempts: 3 }]);
  });

  it('succeeds when a retry gets through', async () => {
    const t = await setup();
    t.source.failWith(new UpstreamUnavailableError('exchange', 'HTTP 503', { retryable: true }), 2);
    expect(await t.run(SHARD)).toEqual({ state: 'completed', rowsWritten: 100, attempts: 3, fetched: true, upstreamRows: 100 });
    expect(await t.store.coverage(DATASET)).toEqual([{ ...SHARD, state: 'stored' }]);
  });

  it('gives up after one attempt on an error that is not retryable', async () => {
    const t = await setup();
    t.source.failWith(new UpstreamUnavailableError('exchange', 'unknown symbol', { retryable: false }));
    expect(await t.run(SHARD)).toMatchObject({ state: 'failed', attempts: 1, error: 'exchange: unknown symbol' });
    expect(t.source.ranges).toEqual([SHARD]);
    expect(t.failures).toEqual([[1, true]]);
    expect(await t.store.coverage(DATASET)).toMatchObject([{ ...SHARD, state: 'failed', attempts: 1 }]);
  });

  it('fails a superseded fetch (stale fencing token) and leaves coverage untouched', async () => {
    const t = await setup();
    const key = JSON.stringify(['shard', SHARD.start]);
    const { frame } = await t.upstream.fetch({ nodeId: DATASET.nodeId, intervalMs: MIN, range: { start: NOW - 10 * MIN, end: NOW } });
    // A newer lease holder already wrote elsewhere with a much larger token for the same key.
    await t.store.write({ dataset: DATASET, frame, coverage: [{ start: NOW - 10 * MIN, end: NOW, state: 'stored' }], fence: { key, token: 1_000_000 } }, OHLCV_SCHEMA);
    expect(await t.run(SHARD)).toMatchObject({ state: 'failed', attempts: 1, error: expect.stringContaining('stale') });
    expect(t.source.ranges).toEqual([SHARD]);
    expect(await t.store.coverage(DATASET, SHARD)).toEqual([]);
  });
});
