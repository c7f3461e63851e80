/**
 * The ccxt pro feed (ccxt 4.5, `binance` pro `watchOHLCV`) against a local WebSocket server
 * speaking Binance's kline stream: ccxt's WebSocket URL is pointed at the server
 * (`wsUrl` → `urls.api.ws.spot`) and its market declared statically (no REST call). Bars close
 * when the next bar arrives (ccxt gives no closed flag); a drop is reconnected by the next watch
 * call after the backoff; the missed bars are backfilled and verified by coverage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/internal.js';
import { silentLogger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';
import type { Seamless } from '../../src/app/index.js';
import { binanceKline, liveBar, startLiveWsServer } from '../harness/live-ws-server.js';
import type { LiveWsServer } from '../harness/live-ws-server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 5, 1, 12);
const NODE = 'ohlcv:binance:BTC/USDT';
const DATASET = { nodeId: NODE, intervalMs: MIN };
const at = (k: number): number => T0 + k * MIN;
const ALL = { start: at(0), end: at(60) };
/** A kline update of bar k whose close is `close` (other values from liveBar). */
const kline = (k: number, close?: number) => {
  const v = liveBar(at(k));
  if (close !== undefined) v[3] = close;
  return binanceKline('BTCUSDT', '1m', MIN, at(k), v, false);
};

describe('ccxt pro live feed (binance watchOHLCV against a local kline stream)', () => {
  let server: LiveWsServer;
  let seamless: Seamless;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const clock = createManualClock(at(2) + 10_000);

  beforeAll(async () => {
    server = await startLiveWsServer();
    dir = await tempDir();
    seamless = await createSeamless({
      config: {
        dataDir: dir.path,
        seamless: { backfill: { barsPerShard: 3 } },
        sources: { synth: { kind: 'synthetic', seed: 3 } },
        datasets: [{ nodeId: NODE, intervals: ['1m'], source: 'synth', live: 'binance-pro', liveSymbol: 'BTC/USDT' }],
        live: {
          flushMs: 20,
          feeds: {
            'binance-pro': {
              kind: 'ccxt-pro', exchange: 'binance', wsUrl: `${server.url}/stream`,
              markets: { 'BTC/USDT': { id: 'BTCUSDT' } },
              reconnect: { initialDelayMs: 50, maxDelayMs: 400 },
            },
          },
        },
      },
      env: {}, clock, logger: silentLogger(),
    });
    await until(() => server.received.length === 1, 'ccxt\'s SUBSCRIBE message', 20_000);
  });

  afterAll(async () => {
    await seamless?.close();
    await server?.close();
    await dir?.remove();
  });

  const hub = () => {
    if (!seamless.live) throw new Error('no live hub');
    return seamless.live;
  };
  const metric = async (name: string, labels: Record<string, string>): Promise<number> => {
    const m = (await seamless.metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
    const v = m?.values.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l));
    return typeof v?.value === 'number' ? v.value : 0;
  };

  it('subscribes through ccxt\'s own SUBSCRIBE request on the overridden URL', () => {
    expect(server.connections[0].path).toBe('/stream/0');
    expect(JSON.parse(server.received[0])).toMatchObject({ method: 'SUBSCRIBE', params: ['btcusdt@kline_1m'] });
  });

  it('closes a bar when the next one arrives (newest update wins), writes it through, and keeps the newest building', async () => {
    server.send(kline(0, 100));
    server.send(kline(0, 101));
    server.send(kline(1, 200));
    server.send(kline(2, 300));
    await until(() => hub().snapshot(DATASET, ALL).building?.ts[0] === at(2), 'bar 2 building');
    const snap = hub().snapshot(DATASET, ALL);
    expect(Array.from(snap.closed.ts)).toEqual([at(0), at(1)]);
    expect(Array.from(snap.closed.column('close'))).toEqual([101, 200]);
    expect(snap.building?.column('close')[0]).toBe(300);
    await until(async () => (await seamless.coverage(NODE, '1m'))[0]?.end === at(2), 'bars 0 and 1 written through');
    expect(await seamless.coverage(NODE, '1m')).toEqual([{ start: at(0), end: at(2), state: 'stored' }]);
  });

  it('counts and skips a kline whose values do not parse, and keeps going', async () => {
    const bad = kline(2);
    server.send({ ...bad, k: { ...(bad.k as object), o: 'abc' } });
    clock.set(at(3) + 10_000);
    server.send(kline(3, 400));
    await hub().waitForClosed(DATASET, at(2), AbortSignal.timeout(10_000));
    expect(await metric('seamless_live_messages_total', { feed: 'binance-pro', outcome: 'malformed' })).toBe(1);
  });

  it('reconnects after the server drops it and recovers the missed bars, verified by coverage', async () => {
    server.dropAll();
    await until(() => server.received.length === 2, 'the SUBSCRIBE after the reconnect', 20_000);
    clock.set(at(7) + 10_000);
    server.send(kline(7));
    // Bar 3 was building when the connection dropped: its final values are unknown, so it is part
    // of the gap with 4, 5 and 6.
    await until(async () => (await metric('seamless_live_gap_recoveries_total', { node_id: NODE, outcome: 'recovered' })) === 1, 'the gap recovery', 20_000);
    const coverage = await seamless.coverage(NODE, '1m');
    expect(coverage).toEqual([{ start: at(0), end: at(7), state: 'stored' }]);
    expect(await metric('seamless_live_reconnects_total', { feed: 'binance-pro' })).toBe(1);
    expect((await seamless.health())['live:binance-pro']).toMatchObject({ ok: true });
  });
});
