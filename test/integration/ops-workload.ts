/**
 * A gateway under a workload that exercises every metric the dashboards and alerts read: a real
 * gateway (createSeamless + serveGateway) with embedded DuckDB, synthetic sources, the real ccxt
 * client against the local Binance stand-in (a 429, a refused symbol), a live WebSocket feed
 * (dropped and reconnected, so a gap is backfilled), conformance on the defects demo node, a
 * schema subject the bars drift from, SLA policies (one enforced with a budget no read meets),
 * tracing to a local OTLP listener, and a worker that claims two shards over the lease API and
 * dies (one lease expires: a stale claim; the other keeps its job running).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { demoConfig } from '../../src/config/internal.js';
import { createLogger } from '../../src/observability/index.js';
import { serveGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { createSeamless } from '../../src/app/index.js';
import type { Seamless } from '../../src/app/index.js';
import type { Clock } from '../../src/core/index.js';
import { BTCUSDT_1M, RECORDED_ERRORS, startFakeExchange } from '../harness/fake-exchange-server.js';
import type { FakeExchange } from '../harness/fake-exchange-server.js';
import { binanceKline, binanceKlineFeedConfig, liveBar, startLiveWsServer } from '../harness/live-ws-server.js';
import type { LiveWsServer } from '../harness/live-ws-server.js';
import { startOtlpListener } from '../harness/otlp-listener.js';
import type { OtlpListener } from '../harness/otlp-listener.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
export const LIVE_NODE = 'ohlcv:live:ETH/USDT';
export const SLA_NODE = 'ohlcv:demo:ETH-USD';
const VWAP_NODE = 'ohlcv:test:VWAP';
const DEFECTS_4H = '/v1/bars?node=ohlcv:demo:DEFECTS&interval=1m&start=2024-03-01T00:00:00Z&end=2024-03-01T04:00:00Z';
/** A subject requiring a `vwap` column the synthetic bars do not have: drift and a canary failure. */
const VWAP_SCHEMA = JSON.stringify({
  type: 'object', title: 'bars with vwap',
  properties: {
    ts: { type: 'integer', $comment: 'timestamp-millis' }, open: { type: 'number' }, high: { type: 'number' }, low: { type: 'number' },
    close: { type: 'number' }, volume: { type: 'number' }, vwap: { type: 'number' },
  },
  required: ['ts', 'open', 'high', 'low', 'close', 'volume', 'vwap'],
});
const POLICIES = {
  'catch-all.yml': 'name: catch-all\nmatch:\n  node: "*"\nmode: dry-run\nbudgets:\n  total: 60000\nowner: data-platform\nrunbook: docs/operations/sla/default.md\nescalation: "#seamless-oncall"\n',
  // No read meets a 1 ms budget: every read of the node violates it and is downgraded.
  'eth-tight.yml': `name: eth-tight\nmatch:\n  node: "${SLA_NODE}"\n  interval: 1m\nmode: enforced\nbudgets:\n  total: 1\nonViolation: partial\nowner: data-platform\nrunbook: docs/operations/sla/demo-1m.md\nescalation: "#seamless-oncall"\n`,
};

/** Real time shifted to the exchange recording (so its bars are the newest closed ones). */
function recordingClock(startMs: number): Clock {
  const shift = startMs - Date.now();
  return { now: () => Date.now() + shift };
}

export interface Workload {
  readonly seamless: Seamless;
  readonly gateway: RunningGateway;
  /** JSON log lines of the gateway. */
  readonly logs: readonly Record<string, unknown>[];
  close(): Promise<void>;
}

export async function runWorkload(): Promise<Workload> {
  const exchange: FakeExchange = await startFakeExchange({ now: BTCUSDT_1M.recordedAt });
  const feed: LiveWsServer = await startLiveWsServer();
  const otlp: OtlpListener = await startOtlpListener();
  const dir = await tempDir('seamless-ops-workload-');
  const slaDir = join(dir.path, 'sla');
  mkdirSync(slaDir);
  for (const [file, text] of Object.entries(POLICIES)) writeFileSync(join(slaDir, file), text);
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => { logs.push(JSON.parse(line) as Record<string, unknown>); } } });
  const clock = recordingClock(BTCUSDT_1M.recordedAt);
  const base = demoConfig();
  const seamless = await createSeamless({
    config: {
      dataDir: dir.path,
      tracing: { endpoint: otlp.endpoint, exportDelayMs: 50 },
      sources: {
        ...base.sources,
        binance: {
          kind: 'ccxt', exchange: 'binance', urls: { public: exchange.apiUrl }, options: { fetchMarkets: { types: ['spot'] } },
          rateLimit: { requestsPerSecond: 50, burst: 5 }, pageLimit: 25, timeoutMs: 2_000,
        },
      },
      datasets: [
        ...(base.datasets ?? []),
        { nodeId: 'ohlcv:binance:BTC/USDT', intervals: ['1m'], source: 'binance' },
        { nodeId: 'ohlcv:binance:ETH/USDT', intervals: ['1m'], source: 'binance' },
        { nodeId: VWAP_NODE, intervals: ['1m'], source: 'synthetic', schemaSubject: 'vwap-bars' },
        { nodeId: LIVE_NODE, intervals: ['1m'], source: 'synthetic', live: 'binance-ws', liveSymbol: 'ETHUSDT' },
      ],
      live: { flushMs: 20, feeds: { 'binance-ws': binanceKlineFeedConfig(feed.url) } },
      seamless: { backfill: { barsPerShard: 60, maxAttempts: 3, baseDelayMs: 50, localWorkers: 1, leaseMs: 2_000, heartbeatMs: 500 }, sla: { dir: slaDir } },
    },
    env: {}, clock, logger,
  });
  const gateway = await serveGateway({ seamless, host: '127.0.0.1', port: 0 });
  const close = async (): Promise<void> => {
    await gateway.close();
    await seamless.close();
    await Promise.all([exchange.close(), feed.close(), otlp.close()]);
    await dir.remove();
  };
  try {
    await workload(seamless, gateway, exchange, feed, clock);
  } catch (error) {
    await close();
    throw error;
  }
  return { seamless, gateway, logs, close };
}

async function post(gateway: RunningGateway, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: res.status === 204 ? {} : await res.json() as Record<string, unknown> };
}

async function get(gateway: RunningGateway, path: string): Promise<number> {
  const res = await fetch(`${gateway.url}${path}`);
  await res.arrayBuffer();
  return res.status;
}

async function metric(seamless: Seamless, name: string): Promise<number> {
  const m = (await seamless.metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values ?? []).reduce((s, v) => s + v.value, 0);
}

async function workload(seamless: Seamless, gateway: RunningGateway, exchange: FakeExchange, feed: LiveWsServer, clock: Clock): Promise<void> {
  await seamless.registry.register('vwap-bars', VWAP_SCHEMA, 'test');

  // A worker that claims two shards over the lease API and dies. The job has far more shards than
  // the single local worker gets through while the two claims are on their way.
  const start = Date.UTC(2024, 1, 1);
  const held = await seamless.backfill({ nodeId: 'ohlcv:demo:BTC-USD', interval: '1m', start, end: start + 120 * HOUR });
  const claims = await Promise.all([
    post(gateway, '/v1/shards/next', { worker: 'doomed-short', lease_ms: 1_000, wait_ms: 15_000 }),
    post(gateway, '/v1/shards/next', { worker: 'doomed-long', lease_ms: 600_000, wait_ms: 15_000 }),
  ]);
  expect(claims.map((c) => c.status), JSON.stringify(claims)).toEqual([200, 200]);
  // The same range again joins the shards in flight (the long-held one at least).
  await seamless.backfill({ nodeId: 'ohlcv:demo:BTC-USD', interval: '1m', start, end: start + 120 * HOUR });
  expect(seamless.backfillJob(held.id)?.state).toBe('running');

  // The exchange: a 429 then every closed bar; a symbol it refuses (a failed job).
  exchange.script('/api/v3/klines', RECORDED_ERRORS.tooManyRequests);
  const btc = await seamless.backfill({ nodeId: 'ohlcv:binance:BTC/USDT', interval: '1m', start: BTCUSDT_1M.first, end: BTCUSDT_1M.first + 2 * HOUR });
  expect(await seamless.waitBackfill(btc.id, AbortSignal.timeout(60_000))).toMatchObject({ state: 'completed' });
  const eth = await seamless.backfill({ nodeId: 'ohlcv:binance:ETH/USDT', interval: '1m', start: BTCUSDT_1M.first, end: BTCUSDT_1M.first + HOUR });
  expect(await seamless.waitBackfill(eth.id, AbortSignal.timeout(60_000))).toMatchObject({ state: 'failed' });

  // Reads: conformance blocks the defects node, serves it with partial_ok; the vwap subject
  // drifts; the tight SLA policy is violated and downgrades (a traced read).
  expect(await get(gateway, DEFECTS_4H)).toBe(422);
  expect(await get(gateway, `${DEFECTS_4H}&partial_ok=true`)).toBe(200);
  expect(await get(gateway, `/v1/bars?node=${encodeURIComponent(VWAP_NODE)}&interval=1m&start=2024-03-01T00:00:00Z&end=2024-03-01T01:00:00Z`)).toBe(200);
  expect(await get(gateway, `/v1/bars?node=${encodeURIComponent(SLA_NODE)}&interval=1m&start=2024-02-20T00:00:00Z&end=2024-02-20T06:00:00Z`)).toBe(200);
  expect(await get(gateway, '/v1/bars?node=ohlcv:demo:ACME&interval=1d&start=2024-01-01&end=2024-02-01')).toBe(200);

  // The live feed: closed bars, a dropped connection, and a bar after a gap (backfilled).
  await until(() => feed.received.length === 1, 'the live subscription');
  const m0 = Math.floor(clock.now() / MIN) * MIN;
  const kline = (ts: number, closed: boolean): Record<string, unknown> => binanceKline('ETHUSDT', '1m', MIN, ts, liveBar(ts), closed);
  for (let k = 10; k >= 6; k--) feed.send(kline(m0 - k * MIN, true));
  await until(async () => await metric(seamless, 'seamless_live_rows_written_total') >= 5, 'live bars written through');
  feed.dropAll();
  await until(() => feed.received.length === 2, 'the subscription after the reconnect');
  feed.send(kline(m0 - 2 * MIN, true));
  feed.send(kline(m0, false));
  await until(async () => await metric(seamless, 'seamless_live_gap_recoveries_total') > 0, 'the live gap recovered');

  // The short lease expires without a heartbeat: a stale claim.
  await until(async () => await metric(seamless, 'seamless_backfill_stale_claims_total') > 0, 'a stale claim', 20_000);
  expect(seamless.backfillJob(held.id)?.state).toBe('running');
}
