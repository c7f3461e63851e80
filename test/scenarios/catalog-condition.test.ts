/**
 * The catalog as an operator deploys it: a `seamless serve` child backfilling from an exchange
 * (the real ccxt client) through an HTTP fault proxy in front of the Binance stand-in. One day
 * is backfilled while the exchange answers; another while every klines request gets a 503, so
 * its backfill fails after its attempts. What the user sees: the per-day condition says
 * `missing` with the exchange's failure reason for the failed day, `missing` / `not stored` for a
 * day never asked for, and the recorded day `available` with its stored and known-empty bars; the catalog's summary counts the
 * failed bars and the stored rows. What is stored: the summary agrees with /v1/coverage. What
 * is reported: the condition's reason is the reason of the final `failed` backfill event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvents, eventually } from '../harness/seamless-processes.js';
import type { EventCollector } from '../harness/seamless-processes.js';
import { BTCUSDT_1M } from '../harness/fake-exchange-server.js';
import { startExchangeGateway } from './exchange-gateway.js';
import type { ExchangeGateway } from './exchange-gateway.js';

const MIN = 60_000;
const DAY = 86_400_000;
const NODE = 'ohlcv:binance:BTC/USDT';
const KLINES = '/api/v3/klines';
const RECORDED_DAY = BTCUSDT_1M.first; // 2024-03-04T00:00Z: bars recorded until 06:00Z
const FAILED_DAY = RECORDED_DAY - 2 * DAY; // 2024-03-02

interface Range { start: number; end: number; state: string; reason?: string }
interface Day { date: string; condition: string; reason: string; lastChange: number | null; bars: Record<string, number> }
interface Coverage { interval: string; barsStored: number; failedBars: number; knownEmptyBars: number; firstBar: number | null; lastBar: number | null; lastWrite: number | null }

let env: ExchangeGateway;
let url = '';
let events: EventCollector;

beforeAll(async () => {
  env = await startExchangeGateway({
    prefix: 'seamless-catalog-condition-',
    datasetLines: [
      `  - { nodeId: "${NODE}", intervals: [1m], source: binance }`,
    ],
    seamlessLines: [
      '  backfill: { barsPerShard: 1440, maxAttempts: 2, baseDelayMs: 50 }',
    ],
  });
  url = env.url;
  events = await collectEvents(url);
}, 120_000);

afterAll(async () => {
  events?.close();
  await env?.stop();
});

async function backfill(start: number, end: number): Promise<string> {
  const res = await fetch(`${url}/v1/backfills`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ node: NODE, interval: '1m', start, end }),
  });
  expect(res.status).toBe(202);
  const { job } = await res.json() as { job: { id: string } };
  return await eventually(`backfill job ${job.id} to end`, async () => {
    const status = await (await fetch(`${url}/v1/backfills/${encodeURIComponent(job.id)}`)).json() as { job: { state: string } };
    return status.job.state === 'running' ? undefined : status.job.state;
  }, 60_000, 100);
}

describe('catalog and per-day condition with a failing upstream (seamless serve, ccxt through a fault proxy)', () => {
  it('reports the failed day missing with the exchange\'s reason, counts its bars as failed, and agrees with coverage', async () => {
    expect(await backfill(RECORDED_DAY, BTCUSDT_1M.building)).toBe('completed');
    // The fault: every klines request of the next backfill answers 503 (more than its attempts need).
    env.proxy.fail({ path: KLINES, times: 20, status: 503, body: 'Service Unavailable' });
    expect(await backfill(FAILED_DAY, FAILED_DAY + DAY)).toBe('failed');

    const res = await fetch(`${url}/v1/datasets/condition?node=${encodeURIComponent(NODE)}&interval=1m&start=${FAILED_DAY}&end=${RECORDED_DAY + DAY}`);
    expect(res.status).toBe(200);
    const { days, summary } = await res.json() as { days: Day[]; summary: Record<string, number> };
    expect(days.map((d) => [d.date, d.condition])).toEqual([['2024-03-02', 'missing'], ['2024-03-03', 'missing'], ['2024-03-04', 'available']]);
    expect(summary).toEqual({ available: 1, degraded: 0, pending: 0, missing: 2 });
    expect(days[0].reason).toMatch(/^failed: .*\(2 attempt\(s\)\)$/);
    expect(days[0].bars).toMatchObject({ failed: 1440, stored: 0 });
    expect(days[0].lastChange).not.toBeNull();
    expect(days[1]).toMatchObject({ reason: 'not stored', lastChange: null });
    // The recorded day: the bars the exchange had, and the rest it answered empty for (the
    // shard's known-empty claim); the condition says which is which.
    expect(days[2].reason).toBe(`all 1440 bars stored (${days[2].bars.stored}) or known empty (${days[2].bars.knownEmpty})`);

    // Reported: the final failure event of the shard carries the reason the condition shows.
    const final = await eventually('the final failed event on /v1/events', () => events.ofType('failed').map((e) => e.data).find((d) => d.final === true), 30_000);
    expect(days[0].reason).toBe(`failed: ${String(final.reason)} (2 attempt(s))`);

    // Stored: the catalog's summary is what /v1/coverage holds.
    const { ranges } = await (await fetch(`${url}/v1/coverage?node=${encodeURIComponent(NODE)}&interval=1m`)).json() as { ranges: Range[] };
    const barsIn = (state: string): number => ranges.filter((r) => r.state === state).reduce((n, r) => n + (r.end - r.start) / MIN, 0);
    const { datasets } = await (await fetch(`${url}/v1/datasets`)).json() as { datasets: { nodeId: string; coverage: Coverage[] }[] };
    const summary1m = datasets.find((d) => d.nodeId === NODE)?.coverage.find((c) => c.interval === '1m');
    expect(summary1m).toMatchObject({ barsStored: barsIn('stored'), failedBars: barsIn('failed'), knownEmptyBars: barsIn('known_empty') });
    expect(summary1m?.failedBars).toBe(1440);
    expect(summary1m?.firstBar).toBe(RECORDED_DAY);
    expect(days[2].bars.stored).toBe(summary1m?.barsStored);
    expect(summary1m?.lastWrite).toBeGreaterThanOrEqual(days[0].lastChange ?? Number.POSITIVE_INFINITY);
  }, 150_000);
});
