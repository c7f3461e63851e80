import { afterEach, describe, expect, it } from 'vitest';
import { NotFoundError, OHLCV_SCHEMA, emptyFrame } from '../../../../src/core/index.js';
import { createManualClock } from '../../../../src/core/internal.js';
import type { TimeRange } from '../../../../src/core/index.js';
import { createMetrics, silentLogger } from '../../../../src/observability/index.js';
import { createLiveHub } from '../../../../src/provider/index.js';
import type { GapRecovery, LiveHub } from '../../../../src/provider/index.js';
import type { DatasetKey } from '../../../../src/storage/index.js';
import { createFakeBarStore } from '../../sources/fake-bar-store.js';
import type { FakeBarStore } from '../../sources/fake-bar-store.js';
import { until } from '../../../helpers/until.js';
import { createFakeLiveFeed } from './fake-live-feed.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 5, 1, 12);
const NODE = 'ohlcv:live:BTC/USDT';
const DATASET: DatasetKey = { nodeId: NODE, intervalMs: MIN };
const ALL = { start: 0, end: Number.POSITIVE_INFINITY };
const at = (k: number): number => T0 + k * MIN;
const values = (k: number): Float64Array => Float64Array.of(100 + k, 101 + k, 99 + k, 100.5 + k, 5);

const hubs: LiveHub[] = [];
afterEach(async () => {
  for (const h of hubs.splice(0)) await h.close();
});

interface RigOptions {
  /** Backfill that writes stored coverage for these parts of each requested range (default: all of it); null: no source. */
  readonly fill?: ((r: TimeRange) => TimeRange[]) | null;
  readonly store?: FakeBarStore;
}

function rig(options: RigOptions = {}) {
  const feed = createFakeLiveFeed('binance');
  const store = options.store ?? createFakeBarStore();
  const clock = createManualClock(at(30));
  const metrics = createMetrics({ defaultMetrics: false });
  const gaps: GapRecovery[] = [];
  const jobs: TimeRange[][] = [];
  const fill = options.fill === undefined ? (r: TimeRange) => [r] : options.fill;
  const hub = createLiveHub({
    feeds: new Map([['binance', feed]]),
    datasets: [{ dataset: DATASET, schema: OHLCV_SCHEMA, feed: 'binance', symbol: 'BTCUSDT' }],
    store, clock, logger: silentLogger(), metrics, bufferBars: 100, writeThrough: true, flushMs: 5, flushBars: 100,
    backfill: fill === null ? undefined : (dataset, ranges) => {
      jobs.push([...ranges]);
      const done = (async () => {
        for (const r of ranges) {
          for (const part of fill(r)) {
            await store.write({ dataset, frame: emptyFrame(OHLCV_SCHEMA), coverage: [{ start: part.start, end: part.end, state: 'known_empty' }] }, OHLCV_SCHEMA);
          }
        }
      })();
      return { id: `job-${jobs.length}`, done };
    },
    onGapRecovered: (_d, g) => gaps.push(g),
  });
  hubs.push(hub);
  const bar = (k: number, closed = true) => feed.emit('BTCUSDT', { type: 'bar', ts: at(k), values: values(k), closed, receivedAt: clock.now() });
  const connected = (reconnect = false) => feed.emit('BTCUSDT', { type: 'connected', at: clock.now(), reconnect });
  const disconnected = () => feed.emit('BTCUSDT', { type: 'disconnected', at: clock.now(), reason: 'closed by the server (code 1006)', attempt: 1, retryInMs: 500 });
  return { feed, store, clock, metrics, hub, gaps, jobs, bar, connected, disconnected };
}

describe('live hub', () => {
  it('subscribes each live dataset with its symbol, interval and schema columns', () => {
    const { feed, hub } = rig();
    expect(feed.subscriptions).toEqual([{ symbol: 'BTCUSDT', intervalMs: MIN, columns: ['open', 'high', 'low', 'close', 'volume'] }]);
    expect(hub.has(DATASET)).toBe(true);
    expect(hub.has({ nodeId: NODE, intervalMs: 5 * MIN })).toBe(false);
  });

  it('serves closed bars and the building bar in a snapshot; only closed bars reach storage, with their coverage', async () => {
    const { hub, store, connected, bar } = rig();
    connected();
    for (let k = 0; k < 3; k++) bar(k);
    bar(3, false);
    await until(() => hub.snapshot(DATASET, ALL).building !== undefined, 'the building bar');
    const snap = hub.snapshot(DATASET, { start: at(1), end: at(10) });
    expect(Array.from(snap.closed.ts)).toEqual([at(1), at(2)]);
    expect(snap.building && Array.from(snap.building.ts)).toEqual([at(3)]);
    expect(snap).toMatchObject({ lastClosedTs: at(2), connected: true });
    await until(async () => (await store.coverage(DATASET)).length > 0, 'the write-through');
    expect(await store.coverage(DATASET)).toEqual([{ start: at(0), end: at(3), state: 'stored' }]);
    expect(Array.from((await store.read(DATASET, OHLCV_SCHEMA, ALL)).ts)).toEqual([at(0), at(1), at(2)]);
  });

  it('tells observers of each closed bar and building update it accepts, until they unsubscribe', async () => {
    const { hub, connected, bar } = rig();
    const seen: [number, boolean, number][] = [];
    const leave = hub.observe(DATASET, (ts, v, closed) => seen.push([ts, closed, v[3]]));
    connected();
    bar(0);
    bar(1, false);
    bar(1);
    bar(0, false); // stale building update: not passed on
    await until(() => seen.length >= 3, 'the observed bars');
    leave();
    bar(2);
    await until(() => hub.snapshot(DATASET, ALL).lastClosedTs === at(2), 'the last close');
    expect(seen).toEqual([[at(0), true, 100.5], [at(1), false, 101.5], [at(1), true, 101.5]]);
    expect(() => hub.observe({ nodeId: 'other', intervalMs: MIN }, () => undefined)).toThrow(NotFoundError);
  });

  it('resolves waitForClosed when the bar (or a newer one) arrives, and rejects with the signal reason on abort', async () => {
    const { hub, connected, bar } = rig();
    connected();
    const waiting = hub.waitForClosed(DATASET, at(5));
    bar(6);
    await expect(waiting).resolves.toBeUndefined();
    await expect(hub.waitForClosed(DATASET, at(4))).resolves.toBeUndefined();
    const ac = new AbortController();
    const aborted = hub.waitForClosed(DATASET, at(9), ac.signal);
    const reason = new Error('budget');
    ac.abort(reason);
    await expect(aborted).rejects.toBe(reason);
    expect(() => hub.snapshot({ nodeId: 'other', intervalMs: MIN }, ALL)).toThrow(NotFoundError);
  });

  it('hides the building bar once the connection drops (its values are no longer current)', async () => {
    const { hub, connected, disconnected, bar } = rig();
    connected();
    bar(0);
    bar(1, false);
    await until(() => hub.snapshot(DATASET, ALL).building !== undefined, 'the building bar');
    disconnected();
    await until(() => hub.health().binance.detail.startsWith('disconnected'), 'the disconnect');
    expect(hub.snapshot(DATASET, ALL)).toMatchObject({ connected: false, building: undefined, lastClosedTs: at(0) });
    expect(hub.health().binance).toEqual({ ok: false, detail: 'disconnected: closed by the server (code 1006); reconnect attempt 1 in 500 ms (1 of 1 not connected)' });
  });

  it('backfills the gap between the last closed bar and the first bar after a reconnect, and verifies it by coverage', async () => {
    const { connected, disconnected, bar, jobs, gaps, metrics } = rig();
    connected();
    for (let k = 0; k < 5; k++) bar(k);
    bar(5, false);
    disconnected();
    connected(true);
    bar(8, false);
    await until(() => gaps.length === 1, 'the gap recovery');
    expect(jobs).toEqual([[{ start: at(5), end: at(8) }]]);
    expect(gaps[0]).toMatchObject({ outcome: 'recovered', gap: { start: at(5), end: at(8) }, missing: [], jobId: 'job-1' });
    expect((await metrics.liveGapRecoveries.get()).values).toEqual([expect.objectContaining({ value: 1, labels: { node_id: NODE, interval: '1m', outcome: 'recovered' } })]);
  });

  it('reports the bars coverage still lacks after the backfill as missing (verified, never assumed)', async () => {
    const { connected, disconnected, bar, gaps } = rig({ fill: (r) => [{ start: r.start, end: r.start + MIN }] });
    connected();
    bar(0);
    disconnected();
    connected(true);
    bar(4);
    await until(() => gaps.length === 1, 'the gap recovery');
    expect(gaps[0]).toMatchObject({ outcome: 'missing', missing: [{ start: at(2), end: at(4) }] });
  });

  it('reports a gap it cannot backfill (no source) as not_backfilled', async () => {
    const { connected, disconnected, bar, gaps } = rig({ fill: null });
    connected();
    bar(0);
    disconnected();
    connected(true);
    bar(3, false);
    await until(() => gaps.length === 1, 'the gap report');
    expect(gaps[0]).toMatchObject({ outcome: 'not_backfilled', missing: [{ start: at(1), end: at(3) }] });
  });

  it('on start, recovers the gap from the end of stored coverage to the first live bar', async () => {
    const store = createFakeBarStore();
    await store.write({ dataset: DATASET, frame: emptyFrame(OHLCV_SCHEMA), coverage: [{ start: at(0), end: at(10), state: 'known_empty' }] }, OHLCV_SCHEMA);
    const { connected, bar, jobs, gaps } = rig({ store });
    connected();
    bar(13, false);
    await until(() => gaps.length === 1, 'the start gap');
    expect(jobs).toEqual([[{ start: at(10), end: at(13) }]]);
  });

  it('does not open a gap when the first bar after a reconnect continues the stream', async () => {
    const { connected, disconnected, bar, jobs, hub } = rig();
    connected();
    bar(0);
    bar(1, false);
    disconnected();
    connected(true);
    bar(1, false);
    bar(1);
    await hub.waitForClosed(DATASET, at(1));
    expect(jobs).toEqual([]);
  });

  it('reports per-feed health and the lag of the newest closed bar', async () => {
    const { hub, connected, bar, clock, metrics } = rig();
    expect(hub.health().binance).toEqual({ ok: false, detail: 'connecting (1 of 1 not connected)' });
    connected();
    bar(28);
    await hub.waitForClosed(DATASET, at(28));
    clock.set(at(30) + 1_500);
    expect(hub.health().binance).toEqual({ ok: true, detail: 'connected; 1 dataset; newest closed bar 61.5 s old at most' });
    bar(29);
    await hub.waitForClosed(DATASET, at(29));
    expect((await metrics.liveLag.get()).values[0]).toMatchObject({ value: 1.5, labels: { node_id: NODE, interval: '1m' } });
  });

  it('refuses a dataset whose feed does not exist, naming the feed', () => {
    expect(() => createLiveHub({
      feeds: new Map(), datasets: [{ dataset: DATASET, schema: OHLCV_SCHEMA, feed: 'nope', symbol: 'X' }], store: createFakeBarStore(),
      clock: createManualClock(0), logger: silentLogger(), metrics: createMetrics({ defaultMetrics: false }), bufferBars: 10, writeThrough: false,
    })).toThrow(/live feed not found: nope/);
  });

  it('closes its feeds, rejects waiters and flushes pending writes on close', async () => {
    const { hub, feed, store, connected, bar } = rig();
    connected();
    bar(0);
    await hub.waitForClosed(DATASET, at(0));
    const waiting = hub.waitForClosed(DATASET, at(5));
    await hub.close();
    expect(feed.closed).toBe(true);
    await expect(waiting).rejects.toThrow(/aborted/);
    expect(await store.coverage(DATASET)).toEqual([{ start: at(0), end: at(1), state: 'stored' }]);
  });
});
