/**
 * Reads that reach the present, over HTTP, with a live WebSocket feed (a local server speaking
 * Binance's kline stream), embedded storage and the synthetic source as the backfill source:
 * storage and live meet at the boundary with no duplicate and no missing bar, live wins over
 * backfilled bars of the same ts, the building bar comes only with include_building=true and is
 * flagged, and after a dropped connection the missed bars are in the next read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/internal.js';
import { serveGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';
import type { ReadMetadata } from '../../src/provider/index.js';
import type { Seamless } from '../../src/app/index.js';
import { binanceKline, binanceKlineFeedConfig, liveBar, startLiveWsServer } from '../harness/live-ws-server.js';
import type { LiveWsServer } from '../harness/live-ws-server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 6, 1, 9);
const NODE = 'ohlcv:binance:ETH/USDT';
const DATASET = { nodeId: NODE, intervalMs: MIN };
const at = (k: number): number => T0 + k * MIN;
const kline = (k: number, closed: boolean) => binanceKline('ETHUSDT', '1m', MIN, at(k), liveBar(at(k)), closed);

interface Body { data: Record<string, number[]>; metadata: ReadMetadata }

describe('reads blended with a live feed', () => {
  let server: LiveWsServer;
  let seamless: Seamless;
  let gateway: RunningGateway;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  // Bars 0 … 59 are closed, bar 60 is building.
  const clock = createManualClock(at(60) + 20_000);

  beforeAll(async () => {
    server = await startLiveWsServer();
    dir = await tempDir();
    seamless = await createSeamless({
      config: {
        dataDir: dir.path,
        seamless: { backfill: { barsPerShard: 5 } },
        // The upstream trades near the feed's prices, so the blend passes conformance (no price jumps).
        sources: { synth: { kind: 'synthetic', seed: 9, basePrice: liveBar(at(50))[3], volatility: 0.001 } },
        datasets: [{ nodeId: NODE, intervals: ['1m'], source: 'synth', live: 'binance', liveSymbol: 'ETHUSDT' }],
        live: {
          flushMs: 20,
          feeds: {
            binance: binanceKlineFeedConfig(server.url),
          },
        },
      },
      env: {}, clock, logger: silentLogger(),
    });
    gateway = await serveGateway({ seamless, host: '127.0.0.1', port: 0 });
    await until(() => server.received.length === 1, 'the subscribe message');
    // History 0 … 49 from the upstream (backfill); the feed then delivers 45 … 59 closed and 60 building.
    const job = await seamless.backfill({ nodeId: NODE, interval: '1m', start: at(0), end: at(50) });
    expect(await seamless.waitBackfill(job.id)).toMatchObject({ state: 'completed' });
    for (let k = 45; k < 60; k++) server.send(kline(k, true));
    server.send(kline(60, false));
    const live = seamless.live;
    if (!live) throw new Error('no live hub');
    await live.waitForClosed(DATASET, at(59), AbortSignal.timeout(10_000));
    await until(() => live.snapshot(DATASET, { start: at(60), end: at(61) }).building !== undefined, 'the building bar');
  });

  afterAll(async () => {
    await gateway?.close();
    await seamless?.close();
    await server?.close();
    await dir?.remove();
  });

  async function read(end: number, extra = ''): Promise<Body> {
    const res = await fetch(`${gateway.url}/v1/bars?node=${encodeURIComponent(NODE)}&interval=1m&start=${at(0)}&end=${end}&strategy=fail_fast${extra}`);
    const body = (await res.json()) as Body;
    expect(res.status, JSON.stringify(body)).toBe(200);
    return body;
  }

  it('joins storage and live at the boundary: every bar once, in order, live values for live bars', async () => {
    const { data, metadata } = await read(at(61));
    expect(data.ts).toEqual(Array.from({ length: 60 }, (_, k) => at(k)));
    // 45 … 49 were backfilled and then delivered live: the live values win.
    for (let k = 45; k < 60; k++) expect(data.close[k]).toBe(liveBar(at(k))[3]);
    expect(data.close[44]).not.toBe(liveBar(at(44))[3]);
    expect(metadata).toMatchObject({ rows: 60, coverageRatio: 1, missingRanges: [], building: null, partial: false });
    expect(metadata.sources.live).toBe(15);
    expect(metadata.sources.storage + metadata.sources.cache).toBe(45);
  });

  it('appends the building bar only with include_building=true, flagged in the metadata', async () => {
    const without = await read(at(61));
    const withIt = await read(at(61), '&include_building=true');
    expect(without.data.ts).toHaveLength(60);
    expect(withIt.data.ts).toHaveLength(61);
    expect(withIt.data.ts[60]).toBe(at(60));
    expect(withIt.data.close[60]).toBe(liveBar(at(60))[3]);
    expect(withIt.metadata.building).toEqual({ ts: at(60) });
    expect(withIt.metadata.fingerprint).not.toBe(without.metadata.fingerprint);
    // A range that ends before the building bar never has it.
    expect((await read(at(60), '&include_building=true')).metadata.building).toBeNull();
  });

  it('after a dropped connection, the next read has the bars the feed missed (backfilled, verified by coverage)', async () => {
    server.dropAll();
    await until(() => server.received.length === 2, 'the subscribe message after the reconnect');
    // Bars 60 … 63 closed while the feed was away; it resumes with bar 64 building.
    clock.set(at(64) + 20_000);
    server.send(kline(64, false));
    await until(async () => (await seamless.coverage(NODE, '1m', { start: at(60), end: at(64) })).some((c) => c.state === 'stored' && c.start <= at(60) && c.end >= at(64)), 'the gap backfilled');
    const { data, metadata } = await read(at(65));
    expect(data.ts).toEqual(Array.from({ length: 64 }, (_, k) => at(k)));
    expect(metadata).toMatchObject({ rows: 64, missingRanges: [], coverageRatio: 1 });
  });
});
