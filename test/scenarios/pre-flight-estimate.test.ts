/**
 * Pre-flight estimates on a deployed gateway (`seamless serve`, a YAML config) backfilling from an
 * exchange (the real ccxt client) through an HTTP fault proxy in front of the Binance stand-in.
 * The user asks `seamless fetch --estimate --url …` before a read, then reads; the upstream turns
 * slow (every kline request held 400 ms); the next estimate prices that slowness. Checked: what the
 * user sees (the estimate's figures, the read's rows), what is stored (an estimate changes no
 * coverage and sends nothing upstream; the read then fetches exactly the pages predicted), and what
 * is reported (the estimate's requests and the upstream latency in /metrics).
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BarsEstimate } from '../../src/provider/index.js';
import { SEAMLESS_BIN } from '../harness/seamless-processes.js';
import { BTCUSDT_1M } from '../harness/fake-exchange-server.js';
import { startExchangeGateway } from './exchange-gateway.js';
import type { ExchangeGateway } from './exchange-gateway.js';

const MIN = 60_000;
const NODE = 'ohlcv:binance:BTC/USDT';
const KLINES = '/api/v3/klines';
const SLOW_MS = 400;

let env: ExchangeGateway;
let url = '';

beforeAll(async () => {
  env = await startExchangeGateway({
    prefix: 'seamless-pre-flight-',
    sourceLines: [
      '    pageLimit: 20',
    ],
    datasetLines: [
      `  - { nodeId: "${NODE}", intervals: [1m], source: binance }`,
    ],
    seamlessLines: [
      '  backfill: { barsPerShard: 60, concurrency: 1 }',
    ],
  });
  url = env.url;
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

/** `seamless fetch --estimate --url <gateway> --format json` as a user runs it. */
function cliEstimate(start: number, end: number): Promise<BarsEstimate> {
  const args = ['fetch', '--estimate', '--url', url, '--node', NODE, '--interval', '1m', '--start', String(start), '--end', String(end), '--format', 'json'];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [SEAMLESS_BIN, ...args], { cwd: env.dir.path }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`seamless fetch --estimate failed: ${stderr}`, { cause: error }));
      else resolve(JSON.parse(stdout) as BarsEstimate);
    });
  });
}

async function coverage(): Promise<unknown> {
  return (await fetch(`${url}/v1/coverage?node=${encodeURIComponent(NODE)}&interval=1m`)).json();
}

async function metric(line: RegExp): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = line.exec(text);
  return m === null ? 0 : Number(m[1]);
}

describe('pre-flight estimates against a slow exchange', () => {
  it('predicts the pages of a read, moves no data, then prices the upstream slowness it measured', async () => {
    // Hours 3–5 of the recording: every minute traded, three shards of 60 bars, pages of 20.
    const start = BTCUSDT_1M.first + 180 * MIN;
    const end = BTCUSDT_1M.building;
    const before = await coverage();
    const first = await cliEstimate(start, end);
    expect(first.bars).toMatchObject({ inRange: 180, stored: 0, missing: 180 });
    expect(first.backfill).toMatchObject({ source: 'binance', shards: 3, bars: 180, requests: 9, expectedMs: 80 });
    // The budget: 5 requests at once, then 4 more at 50 per second.
    expect(first.backfill.timeBasis).toContain('budget of binance: 50 req/s, burst 5');
    expect(await coverage()).toEqual(before);
    expect(env.exchange.requestsTo(KLINES)).toHaveLength(0);

    // The fault: the exchange answers the read's nine kline requests 400 ms late.
    env.proxy.delay({ path: KLINES, times: 9, ms: SLOW_MS });
    const res = await fetch(`${url}/v1/bars?node=${encodeURIComponent(NODE)}&interval=1m&start=${start}&end=${end}&strategy=auto_backfill`);
    expect(res.status).toBe(200);
    const body = await res.json() as { metadata: { rows: number; sources: { backfill: number } } };
    expect(body.metadata.rows).toBe(first.rows);
    expect(body.metadata.sources.backfill).toBe(first.bars.missing);
    expect(env.exchange.requestsTo(KLINES)).toHaveLength(first.backfill.requests);

    // Hours 0–1: two shards, six pages, one worker: the measured latency now bounds the time.
    const second = await cliEstimate(BTCUSDT_1M.first, BTCUSDT_1M.first + 120 * MIN);
    expect(second.backfill).toMatchObject({ shards: 2, requests: 6 });
    expect(second.backfill.timeBasis).toMatch(/measured mean of \d+ requests/);
    // Nine of the ten measured requests took at least 400 ms (the markets load was not delayed).
    expect(second.backfill.expectedMs).toBeGreaterThanOrEqual(6 * SLOW_MS * 0.9 - 1);

    expect(await metric(/^seamless_requests_total\{route="\/v1\/bars\/estimate",status="200"\} (\d+)/m)).toBe(2);
    expect(await metric(/^seamless_upstream_latency_seconds_count\{upstream="binance"\} (\d+)/m)).toBe(env.exchange.requests.length);
  });
});
