/**
 * Live feeds end to end inside one Seamless instance: a local WebSocket server speaking
 * Binance's kline stream, embedded DuckDB storage, the synthetic source as the dataset's
 * backfill source. Closed bars are written through with their coverage, the building bar is
 * only in the hub, a malformed message is counted and skipped, and the bars missed while the
 * connection was down are backfilled and verified by coverage after the reconnect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/internal.js';
import { createLogger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';
import type { Seamless } from '../../src/app/index.js';
import { createSyntheticSource } from '../../src/sources/index.js';
import { binanceKline, binanceKlineFeedConfig, liveBar, startLiveWsServer } from '../harness/live-ws-server.js';
import type { LiveWsServer } from '../harness/live-ws-server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 5, 1, 12);
const NODE = 'ohlcv:binance:BTC/USDT';
const DATASET = { nodeId: NODE, intervalMs: MIN };
const SEED = 7;
const at = (k: number): number => T0 + k * MIN;
const kline = (k: number, closed: boolean) => binanceKline('BTCUSDT', '1m', MIN, at(k), liveBar(at(k)), closed);

describe('live hub with a WebSocket feed, embedded storage and gap backfill', () => {
  let server: LiveWsServer;
  let seamless: Seamless;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const logs: Record<string, unknown>[] = [];
  // The exchange's clock and ours agree: bars 0-4 closed, bar 5 building.
  const clock = createManualClock(at(5) + 10_000);

  beforeAll(async () => {
    server = await startLiveWsServer();
    dir = await tempDir();
    seamless = await createSeamless({
      config: {
        dataDir: dir.path,
        // Gap shards of 3 bars on the epoch grid: the gap [6, 9) below is exactly one shard.
        seamless: { backfill: { barsPerShard: 3 } },
        sources: { synth: { kind: 'synthetic', seed: SEED } },
        datasets: [{ nodeId: NODE, intervals: ['1m'], source: 'synth', live: 'binance', liveSymbol: 'BTCUSDT' }],
        live: {
          flushMs: 20,
          feeds: {
            binance: binanceKlineFeedConfig(server.url),
          },
        },
      },
      env: {},
      clock,
      logger: createLogger({ level: 'info', destination: { write: (line: string) => { logs.push(JSON.parse(line) as Record<string, unknown>); } } }),
    });
    await until(() => server.received.length === 1, 'the subscribe message');
  });

  afterAll(async () => {
    await seamless?.close();
    await server?.close();
    await dir?.remove();
  });

  const metric = async (name: string, labels: Record<string, string>): Promise<number> => {
    const m = (await seamless.metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
    const v = m?.values.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l));
    return typeof v?.value === 'number' ? v.value : 0;
  };
  const hub = () => {
    if (!seamless.live) throw new Error('no live hub');
    return seamless.live;
  };

  it('writes closed bars through to storage, with stored coverage for exactly those bars', async () => {
    for (let k = 0; k < 5; k++) {
      server.send(kline(k, false));
      server.send(kline(k, true));
    }
    await until(async () => (await seamless.coverage(NODE, '1m')).length > 0 && (await seamless.coverage(NODE, '1m'))[0].end === at(5), 'five bars written through');
    expect(await seamless.coverage(NODE, '1m')).toEqual([{ start: at(0), end: at(5), state: 'stored' }]);
    const snap = hub().snapshot(DATASET, { start: at(0), end: at(30) });
    expect(Array.from(snap.closed.ts)).toEqual([0, 1, 2, 3, 4].map(at));
    expect(Array.from(snap.closed.column('close'))).toEqual([0, 1, 2, 3, 4].map((k) => liveBar(at(k))[3]));
    expect(await metric('seamless_live_rows_written_total', { node_id: NODE })).toBe(5);
    expect((await seamless.health())['live:binance']).toMatchObject({ ok: true });
  });

  it('shows the still-building bar in the hub snapshot and never writes it', async () => {
    server.send(kline(5, false));
    await until(() => hub().snapshot(DATASET, { start: at(0), end: at(30) }).building !== undefined, 'the building bar');
    const building = hub().snapshot(DATASET, { start: at(5), end: at(6) }).building;
    expect(building && Array.from(building.ts)).toEqual([at(5)]);
    expect(building && building.column('close')[0]).toBe(liveBar(at(5))[3]);
    expect(hub().snapshot(DATASET, { start: at(0), end: at(5) }).building).toBeUndefined();
    expect(await seamless.coverage(NODE, '1m')).toEqual([{ start: at(0), end: at(5), state: 'stored' }]);
  });

  it('counts and logs a malformed message, and the feed keeps going', async () => {
    server.send('{"e":"kline","s":"BTCUSDT",');
    const bad = kline(5, true);
    server.send({ ...bad, k: { ...(bad.k as object), v: null } });
    server.send(kline(5, true));
    await hub().waitForClosed(DATASET, at(5), AbortSignal.timeout(10_000));
    expect(await metric('seamless_live_messages_total', { feed: 'binance', outcome: 'malformed' })).toBe(2);
    expect(logs.filter((l) => l.msg === 'live feed: malformed message skipped')[0]).toMatchObject({ name: 'seamless.live', feed: 'binance', level: 40 });
    expect(hub().snapshot(DATASET, { start: at(0), end: at(30) }).connected).toBe(true);
  });

  it('after a dropped connection, backfills the missed bars and verifies them by coverage', async () => {
    await until(async () => (await seamless.coverage(NODE, '1m'))[0]?.end === at(6), 'bar 5 written through');
    server.dropAll();
    await until(() => server.received.length === 2, 'the subscribe message after the reconnect');
    // While the feed was away, bars 6, 7 and 8 closed; the stream resumes with bar 9 building.
    clock.set(at(9) + 10_000);
    server.send(kline(9, false));
    await until(async () => (await metric('seamless_live_gap_recoveries_total', { node_id: NODE, outcome: 'recovered' })) === 1, 'the gap recovery');
    expect(await seamless.coverage(NODE, '1m')).toEqual([{ start: at(0), end: at(9), state: 'stored' }]);
    const stored = await seamless.fetch({ nodeId: NODE, interval: '1m', start: at(6), end: at(9), strategy: 'fail_fast' });
    const upstream = (await createSyntheticSource({ seed: SEED }).fetch({ nodeId: NODE, intervalMs: MIN, range: { start: at(6), end: at(9) } })).frame;
    expect(Array.from(stored.frame.column('close'))).toEqual(Array.from(upstream.column('close')));
    expect(logs.find((l) => l.msg === 'live gap recovered and verified by coverage')).toMatchObject({ nodeId: NODE, start: at(6), end: at(9), outcome: 'recovered' });
    expect(await metric('seamless_live_reconnects_total', { feed: 'binance' })).toBe(1);
    server.send(kline(9, true));
    await hub().waitForClosed(DATASET, at(9), AbortSignal.timeout(10_000));
    await until(async () => (await seamless.coverage(NODE, '1m'))[0]?.end === at(10), 'bar 9 written through');
  });
});
