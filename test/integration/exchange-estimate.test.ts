/**
 * The pre-flight estimate of a read from an exchange, through the REAL ccxt client pointed at the
 * local Binance stand-in (test/harness/fake-exchange-server.ts): pages of the configured
 * `pageLimit`, the time under the upstream's request budget, and then the read itself, whose
 * kline requests the estimate predicted. The estimate sends nothing to the exchange.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeamlessConfigInput } from '../../src/config/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';
import type { Seamless } from '../../src/app/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { recordingClock, standInBinanceSource } from '../helpers/binance-stand-in.js';
import { BTCUSDT_1M, RECORDED_ERRORS, startFakeExchange } from '../harness/fake-exchange-server.js';
import type { FakeExchange } from '../harness/fake-exchange-server.js';

const MINUTE = 60_000;
const BTC = 'ohlcv:binance:BTC/USDT';
const KLINES = '/api/v3/klines';

function config(dataDir: string, apiUrl: string): SeamlessConfigInput {
  return {
    dataDir,
    logging: { level: 'silent' },
    sources: { binance: standInBinanceSource(apiUrl, 5_000) },
    datasets: [{ nodeId: BTC, intervals: ['1m'], source: 'binance' }],
    // One attempt per shard: a failed page fails its shard at once (the failure test below).
    seamless: { backfill: { barsPerShard: 60, concurrency: 1, maxAttempts: 1 } },
  };
}

describe('pre-flight estimate of an exchange read (local Binance stand-in)', () => {
  let server: FakeExchange;
  let seamless: Seamless;
  let removeDir: () => Promise<void>;

  beforeAll(async () => {
    server = await startFakeExchange({ now: BTCUSDT_1M.recordedAt });
    const dir = await tempDir('seamless-exchange-estimate-');
    removeDir = dir.remove;
    seamless = await createSeamless({ config: config(dir.path, server.apiUrl), clock: recordingClock(BTCUSDT_1M.recordedAt), logger: silentLogger() });
  });

  afterAll(async () => {
    await seamless?.close();
    await server?.close();
    await removeDir?.();
  });

  it('counts pages of the configured pageLimit, prices them under the budget, and the read makes exactly those requests', async () => {
    // Three full shards of 60 bars after the halt, every minute traded: 3 pages of at most 25 bars each.
    const start = BTCUSDT_1M.first + 180 * MINUTE;
    const end = BTCUSDT_1M.building;
    const estimate = await seamless.estimate({ nodeId: BTC, interval: '1m', start, end });
    expect(server.requests).toHaveLength(0);
    expect(estimate.bars).toMatchObject({ inRange: 180, stored: 0, missing: 180 });
    expect(estimate.backfill).toMatchObject({ source: 'binance', shards: 3, barsPerShard: 60, bars: 180, requests: 9 });
    expect(estimate.backfill.requestsBasis).toContain('the configured pageLimit');
    // The budget: 5 at once, then 4 more at 50 per second; no request measured yet.
    expect(estimate.backfill.expectedMs).toBe(80);
    expect(estimate.backfill.timeBasis).toContain('budget of binance: 50 req/s, burst 5');

    const read = await seamless.fetch({ nodeId: BTC, interval: '1m', start, end, strategy: 'auto_backfill' });
    expect(server.requestsTo(KLINES)).toHaveLength(estimate.backfill.requests);
    expect(read.metadata.rows).toBe(estimate.rows);
    expect(read.metadata.sources.backfill).toBe(estimate.bars.missing);
  });

  it('is an upper bound where the upstream answers part of the range empty (a trading halt)', async () => {
    const start = BTCUSDT_1M.first + 120 * MINUTE; // the hour with the halt [02:13, 02:30)
    const end = start + 60 * MINUTE;
    const estimate = await seamless.estimate({ nodeId: BTC, interval: '1m', start, end });
    expect(estimate.backfill).toMatchObject({ shards: 1, bars: 60, requests: 3 });
    const klinesBefore = server.requestsTo(KLINES).length;
    const read = await seamless.fetch({ nodeId: BTC, interval: '1m', start, end, strategy: 'auto_backfill' });
    const requests = server.requestsTo(KLINES).length - klinesBefore;
    expect(requests).toBeGreaterThanOrEqual(1);
    expect(requests).toBeLessThanOrEqual(estimate.backfill.requests);
    const recorded = BTCUSDT_1M.openTimes.filter((t) => t >= start && t < end).length;
    expect(read.metadata.rows).toBe(recorded);
    const after = await seamless.estimate({ nodeId: BTC, interval: '1m', start, end });
    expect(after.bars).toMatchObject({ stored: recorded, knownEmpty: 60 - recorded, missing: 0 });
    expect(after.backfill).toMatchObject({ shards: 0, requests: 0, expectedMs: 0 });
  });

  it('counts a range whose backfill failed as missing and plans its fetch again', async () => {
    const start = BTCUSDT_1M.first + 60 * MINUTE; // hour 1: every minute traded
    const end = start + 60 * MINUTE;
    server.script(KLINES, RECORDED_ERRORS.badGateway);
    const job = await seamless.backfill({ nodeId: BTC, interval: '1m', start, end });
    expect(await seamless.waitBackfill(job.id, AbortSignal.timeout(60_000))).toMatchObject({ state: 'failed' });
    expect((await seamless.coverage(BTC, '1m', { start, end })).map((c) => c.state)).toEqual(['failed']);

    const estimate = await seamless.estimate({ nodeId: BTC, interval: '1m', start, end });
    expect(estimate.bars).toMatchObject({ inRange: 60, stored: 0, knownEmpty: 0, missing: 60 });
    expect(estimate.backfill).toMatchObject({ shards: 1, bars: 60, requests: 3 });
    const klinesBefore = server.requestsTo(KLINES).length;
    const read = await seamless.fetch({ nodeId: BTC, interval: '1m', start, end, strategy: 'auto_backfill' });
    expect(read.metadata.rows).toBe(60);
    expect(server.requestsTo(KLINES).length - klinesBefore).toBe(estimate.backfill.requests);
  });

  it('uses the latency this process measured once it has made requests', async () => {
    const start = BTCUSDT_1M.first;
    const before = server.requests.length;
    const estimate = await seamless.estimate({ nodeId: BTC, interval: '1m', start, end: start + 30 * MINUTE });
    expect(server.requests).toHaveLength(before);
    expect(estimate.backfill.timeBasis).toMatch(/measured mean of \d+ requests/);
    expect(estimate.backfill.expectedMs).toBeGreaterThanOrEqual(0);
  });
});
