/**
 * An exchange that lost bars and later publishes them is not hidden forever by a known-empty
 * mark (issue 15 item 6; Binance's missing hour of 1m candles, ccxt issue 8068). One Seamless
 * instance and its gateway backfill `ohlcv:binance:BTC/USDT` (24/7 calendar) from the local
 * Binance stand-in, through the REAL ccxt client, while the stand-in withholds half an hour: that
 * half hour is recorded known-empty with the upstream's provenance. Once the stand-in publishes
 * it, reads keep the known-empty answer until `seamless.backfill.knownEmptyRecheckMs` has passed
 * (the upstream is not asked again), and the first read after that re-checks and returns the bars.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/index.js';
import type { SeamlessConfigInput } from '../../src/config/index.js';
import { startInProcessGateway } from '../helpers/in-process-gateway.js';
import type { InProcessGateway } from '../helpers/in-process-gateway.js';
import { BTCUSDT_1M, startFakeExchange } from '../harness/fake-exchange-server.js';
import type { FakeExchange } from '../harness/fake-exchange-server.js';

const MINUTE = 60_000;
const BTC = 'ohlcv:binance:BTC/USDT';
const KLINES = '/api/v3/klines';
const RECHECK_MS = 10 * MINUTE;
const iso = (ms: number): string => new Date(ms).toISOString();
// The hour 01:00-02:00 of the recording; the exchange loses 01:00-01:30 at first.
const START = Date.UTC(2024, 2, 4, 1, 0);
const END = Date.UTC(2024, 2, 4, 2, 0);
const LOST = { start: START, end: Date.UTC(2024, 2, 4, 1, 30) };

function config(dataDir: string, apiUrl: string): SeamlessConfigInput {
  return {
    dataDir,
    logging: { level: 'silent' },
    // Every read reaches storage (a cached answer would be served until its TTL).
    cache: { enabled: false },
    sources: {
      binance: {
        kind: 'ccxt', exchange: 'binance', urls: { public: apiUrl }, options: { fetchMarkets: { types: ['spot'] } },
        rateLimit: { requestsPerSecond: 50, burst: 5 }, pageLimit: 100, timeoutMs: 2_000,
      },
    },
    datasets: [{ nodeId: BTC, intervals: ['1m'], source: 'binance' }],
    seamless: { backfill: { barsPerShard: 60, maxAttempts: 3, baseDelayMs: 50, knownEmptyRecheckMs: RECHECK_MS } },
  };
}

/** Real time shifted to the recording, movable forward (retry backoffs still elapse). */
function recordingClock(startMs: number): Clock & { advance(ms: number): void } {
  let shift = startMs - Date.now();
  return { now: () => Date.now() + shift, advance: (ms) => { shift += ms; } };
}

interface BarsAnswer {
  readonly data: { readonly ts: readonly number[] };
  readonly metadata: { readonly coverageRatio: number; readonly rows: number };
}

describe('known-empty re-check against an exchange that publishes late', () => {
  let exchange: FakeExchange;
  let instance: InProcessGateway;
  const clock = recordingClock(BTCUSDT_1M.recordedAt);

  beforeAll(async () => {
    exchange = await startFakeExchange({ now: BTCUSDT_1M.recordedAt });
    instance = await startInProcessGateway((dir) => ({ config: config(dir, exchange.apiUrl), clock }));
  });
  afterAll(async () => {
    await instance?.close();
    await exchange?.close();
  });

  const read = async (): Promise<BarsAnswer> => {
    const res = await fetch(`${instance.url}/v1/bars?node=${encodeURIComponent(BTC)}&interval=1m&start=${iso(START)}&end=${iso(END)}&format=json`);
    expect(res.status).toBe(200);
    return await res.json() as BarsAnswer;
  };
  const coverage = async (): Promise<[string, string, string][]> =>
    (await instance.seamless.coverage(BTC, '1m', { start: START, end: END })).map((c) => [iso(c.start), iso(c.end), c.state]);

  it('records the lost half hour known-empty with the upstream as its source, then returns the bars published later once the re-check is due', async () => {
    exchange.withhold(LOST);
    const first = await read();
    expect(first.metadata.rows).toBe(30);
    expect(first.metadata.coverageRatio).toBe(1);
    expect(await coverage()).toEqual([
      [iso(LOST.start), iso(LOST.end), 'known_empty'],
      [iso(LOST.end), iso(END), 'stored'],
    ]);
    // The shard keeps who said the half hour is empty, and when: the upstream, re-checkable.
    const shard = instance.seamless.coordinator.jobs().flatMap((j) => instance.seamless.coordinator.shards(j.id) ?? [])[0];
    expect(shard).toMatchObject({ state: 'completed', knownEmpty: { source: 'binance', start: LOST.start, end: LOST.end } });

    // The exchange publishes the lost bars; before the re-check is due the known-empty word stands.
    exchange.withhold(undefined);
    const asked = exchange.requestsTo(KLINES).length;
    const second = await read();
    expect(second.metadata.rows).toBe(30);
    expect(exchange.requestsTo(KLINES).length).toBe(asked);

    // After knownEmptyRecheckMs the next read asks the upstream again and answers every bar.
    clock.advance(RECHECK_MS + MINUTE);
    const third = await read();
    expect(third.metadata.rows).toBe(60);
    expect(third.data.ts[0]).toBe(LOST.start);
    expect(exchange.requestsTo(KLINES).length).toBeGreaterThan(asked);
    expect(await coverage()).toEqual([[iso(START), iso(END), 'stored']]);
  });
});
