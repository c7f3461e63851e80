/**
 * Resampling as an operator deploys it: a `seamless serve` child whose dataset declares
 * `baseInterval: 1m` and backfills from the Binance stand-in (the real ccxt client) through an
 * HTTP fault proxy. What the user sees, what is stored and what is reported when
 *
 * (a) all is well: 1h bars are the recorded 1m klines resampled (open first, high max, low min,
 *     close last, volume sum), only 1m bars are stored, and nothing is fetched at 1h;
 * (b) the exchange fails one of the two half-hour shards of an hour: the 1h answer is partial,
 *     names the partial bucket and the missing half hour in 1m bars, and coverage shows it failed;
 *     `fill=prev` then forward-fills the missing 1m bars, flagged;
 * (c) the exchange recovers: reading again backfills the missing base bars and the hour is complete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processReport } from '../harness/seamless-processes.js';
import { BTCUSDT_1M, RECORDED_ERRORS } from '../harness/fake-exchange-server.js';
import { startExchangeGateway } from './exchange-gateway.js';
import type { ExchangeGateway } from './exchange-gateway.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const NODE = 'ohlcv:binance:BTC/USDT';
const KLINES = '/api/v3/klines';
const DAY0 = BTCUSDT_1M.first; // 2024-03-04T00:00Z; the halt [02:13, 02:30) is left out of every read

interface Meta {
  rows: number; partial: boolean; interval: string; missingRanges: { start: number; end: number }[];
  resample: { baseInterval: string; buckets: number; partialBuckets: number; partialBucketStarts: number[]; baseRows: number } | null;
  filled: { mode: string; bars: number; ranges: { start: number; end: number }[] } | null;
}
interface Bars { data: { ts: number[]; open: (number | null)[]; high: (number | null)[]; low: (number | null)[]; close: (number | null)[]; volume: (number | null)[] }; metadata: Meta }
interface Range { start: number; end: number; state: string }

let env: ExchangeGateway;
let url = '';

beforeAll(async () => {
  env = await startExchangeGateway({
    prefix: 'seamless-resample-',
    sourceLines: [
      '    pageLimit: 30',
    ],
    datasetLines: [
      `  - { nodeId: "${NODE}", intervals: [1m, 1h], baseInterval: 1m, source: binance }`,
    ],
    seamlessLines: [
      '  backfill: { barsPerShard: 30, maxAttempts: 1, baseDelayMs: 50 }',
    ],
  });
  url = env.url;
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

async function read(interval: string, start: number, end: number, extra = ''): Promise<Bars> {
  const res = await fetch(`${url}/v1/bars?node=${encodeURIComponent(NODE)}&interval=${interval}&start=${start}&end=${end}${extra}`);
  const text = await res.text();
  expect(res.status, `${text.slice(0, 400)}\n${processReport(env.gateway)}`).toBe(200);
  return JSON.parse(text) as Bars;
}

async function coverage(interval: string): Promise<Range[]> {
  const res = await fetch(`${url}/v1/coverage?node=${encodeURIComponent(NODE)}&interval=${interval}`);
  return ((await res.json()) as { ranges: Range[] }).ranges.map(({ start, end, state }) => ({ start, end, state }));
}

describe('resampling from a base interval, deployed', () => {
  it('(a) answers 1h as the stored 1m bars resampled, storing and fetching only 1m', async () => {
    const hourly = await read('1h', DAY0, DAY0 + 2 * HOUR);
    const minutes = await read('1m', DAY0, DAY0 + 2 * HOUR);
    expect(minutes.data.ts).toHaveLength(120);
    expect(hourly.data.ts).toEqual([DAY0, DAY0 + HOUR]);
    for (let h = 0; h < 2; h++) {
      const part = (c: (number | null)[]) => c.slice(h * 60, h * 60 + 60) as number[];
      expect(hourly.data.open[h]).toBe(minutes.data.open[h * 60]);
      expect(hourly.data.high[h]).toBe(Math.max(...part(minutes.data.high)));
      expect(hourly.data.low[h]).toBe(Math.min(...part(minutes.data.low)));
      expect(hourly.data.close[h]).toBe(minutes.data.close[h * 60 + 59]);
      expect(hourly.data.volume[h]).toBeCloseTo(part(minutes.data.volume).reduce((a, v) => a + v, 0), 6);
    }
    expect(hourly.metadata).toMatchObject({ interval: '1h', partial: false, resample: { baseInterval: '1m', buckets: 2, partialBuckets: 0, baseRows: 120 } });
    // No 1h series is fetched: every klines request asks for 1m; 1h coverage is the 1m bars' in hours.
    expect(new Set(env.exchange.requestsTo(KLINES).map((q) => q.query.interval))).toEqual(new Set(['1m']));
    expect((await coverage('1h')).some((r) => r.state === 'stored' && r.start <= DAY0 && r.end >= DAY0 + 2 * HOUR)).toBe(true);
    expect((await coverage('1m')).some((r) => r.state === 'stored' && r.start <= DAY0 && r.end >= DAY0 + 2 * HOUR)).toBe(true);
    expect(env.proxy.requests.filter((q) => q.path === KLINES && q.status === 200).length).toBeGreaterThan(0);
  });

  it('(b) reports the hour whose base shard failed as partial, in 1m bars, and fill=prev flags what it fills', async () => {
    const hour = DAY0 + 3 * HOUR;
    const n = env.proxy.requests.filter((q) => q.path === KLINES).length;
    env.proxy.fail({ path: KLINES, at: n + 1, times: 1, status: 503, headers: { 'content-type': 'application/json' }, body: JSON.stringify(RECORDED_ERRORS.serviceUnavailable.body) });
    const body = await read('1h', hour, hour + HOUR, '&partial_ok=true');
    expect(body.metadata.partial).toBe(true);
    expect(body.metadata.resample).toMatchObject({ buckets: 1, partialBuckets: 1, partialBucketStarts: [hour], baseRows: 30 });
    // One of the two half-hour shards failed (which one depends on the order they ran).
    expect(body.metadata.missingRanges).toHaveLength(1);
    const missing = body.metadata.missingRanges[0];
    expect(missing.end - missing.start).toBe(30 * MIN);
    expect([hour, hour + 30 * MIN]).toContain(missing.start);
    expect(body.data.ts).toEqual([hour]);
    expect((await coverage('1m')).filter((r) => r.state === 'failed')).toEqual([{ ...missing, state: 'failed' }]);

    const filled = await read('1m', hour, hour + HOUR, '&strategy=fail_fast&partial_ok=true&fill=prev');
    if (missing.start === hour) {
      // Nothing is filled before the first bar.
      expect(filled.metadata.filled).toEqual({ mode: 'prev', bars: 0, ranges: [] });
    } else {
      expect(filled.metadata.filled).toEqual({ mode: 'prev', bars: 30, ranges: [missing] });
      expect(filled.data.ts).toHaveLength(60);
      expect(filled.data.volume[45]).toBe(0);
      expect(filled.data.open[45]).toBe(filled.data.close[29]);
    }
  });

  it('(c) completes the hour once the exchange answers again: the missing base bars are backfilled', async () => {
    const hour = DAY0 + 3 * HOUR;
    const body = await read('1h', hour, hour + HOUR);
    expect(body.metadata).toMatchObject({ partial: false, missingRanges: [], resample: { partialBuckets: 0, baseRows: 60 } });
    const minutes = await read('1m', hour, hour + HOUR, '&strategy=fail_fast');
    expect(body.data.open[0]).toBe(minutes.data.open[0]);
    expect(body.data.close[0]).toBe(minutes.data.close[59]);
  });
});
