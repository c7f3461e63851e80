/**
 * Backfill from an exchange through the REAL ccxt client, pointed (ccxt `urls.api.public`) at a
 * local server answering like Binance's REST API from recorded-style fixtures — the stand-in for
 * the internet, which tests do not have. One Seamless instance (createSeamless), its clock at the
 * recording time, backfills `ohlcv:binance:BTC/USDT` through a 429 with Retry-After and a 502,
 * and a symbol the server refuses with a 400.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/internal.js';
import type { SeamlessConfigInput } from '../../src/config/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';
import type { Seamless } from '../../src/app/index.js';
import type { BackfillEvent } from '../../src/backfill/index.js';
import { createCcxtSource, createMemoryBudgetStore, createStorePermitAuthority, createUpstreamBudgets } from '../../src/sources/index.js';
import type { UpstreamBudgets } from '../../src/sources/index.js';
import { until } from '../helpers/until.js';
import { tempDir } from '../helpers/temp-dir.js';
import { recordingClock, standInBinanceSource } from '../helpers/binance-stand-in.js';
import { BTCUSDT_1M, RECORDED_ERRORS, startFakeExchange } from '../harness/fake-exchange-server.js';
import type { FakeExchange } from '../harness/fake-exchange-server.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const BTC = 'ohlcv:binance:BTC/USDT';
const ETH = 'ohlcv:binance:ETH/USDT';
const KLINES = '/api/v3/klines';
const iso = (ms: number): string => new Date(ms).toISOString();

/** How late after a 429 a request granted before its answer came back may still arrive (a loaded 2-core box). */
const IN_FLIGHT_MS = 250;

function config(dataDir: string, apiUrl: string): SeamlessConfigInput {
  return {
    dataDir,
    logging: { level: 'silent' },
    sources: { binance: standInBinanceSource(apiUrl, 2_000) },
    datasets: [
      { nodeId: BTC, intervals: ['1m'], source: 'binance' },
      { nodeId: ETH, intervals: ['1m'], source: 'binance' },
    ],
    // One worker: requests go out one after another, so the request after the 429 is one that
    // started after it (with several workers a shard's request already in flight may land at once).
    seamless: { backfill: { barsPerShard: 60, maxAttempts: 3, baseDelayMs: 50, concurrency: 1 } },
  };
}

/** Values of one metric by its labels, from the instance's Prometheus registry. */
async function metricValues(seamless: Seamless, name: string): Promise<Record<string, number>> {
  const metric = (await seamless.metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const out: Record<string, number> = {};
  for (const v of metric?.values ?? []) out[JSON.stringify(v.labels)] = v.value;
  return out;
}

describe('exchange backfill through ccxt (local Binance stand-in)', () => {
  let server: FakeExchange;
  let seamless: Seamless;
  let removeDir: () => Promise<void>;
  const clock = recordingClock(BTCUSDT_1M.recordedAt);

  beforeAll(async () => {
    server = await startFakeExchange({ now: BTCUSDT_1M.recordedAt });
    const dir = await tempDir('seamless-exchange-');
    removeDir = dir.remove;
    seamless = await createSeamless({ config: config(dir.path, server.apiUrl), clock, logger: silentLogger() });
  });

  afterAll(async () => {
    await seamless?.close();
    await server?.close();
    await removeDir?.();
  });

  it('stores every closed bar, records the pre-listing hour and the halt known-empty, and rides out a 429 and a 502', async () => {
    const start = BTCUSDT_1M.first - HOUR; // an hour before the recording starts: "before the listing"
    const end = BTCUSDT_1M.building; // 06:00, the building bar's open: everything before it has closed
    server.script(KLINES, RECORDED_ERRORS.tooManyRequests);
    server.script(KLINES, RECORDED_ERRORS.badGateway);
    const events: BackfillEvent[] = [];
    const unsubscribe = seamless.subscribe((e) => events.push(e));
    const job = await seamless.backfill({ nodeId: BTC, interval: '1m', start, end });
    const done = await seamless.waitBackfill(job.id, AbortSignal.timeout(60_000));
    unsubscribe();
    expect(done).toMatchObject({ state: 'completed', completionRatio: 1, totalShards: 7 });
    expect(server.pendingScripts(KLINES)).toBe(0);

    const coverage = await seamless.coverage(BTC, '1m', { start, end });
    expect(coverage.map((c) => [iso(c.start), iso(c.end), c.state])).toEqual([
      [iso(start), iso(BTCUSDT_1M.first), 'known_empty'],
      [iso(BTCUSDT_1M.first), iso(BTCUSDT_1M.halt.start), 'stored'],
      [iso(BTCUSDT_1M.halt.start), iso(BTCUSDT_1M.halt.end), 'known_empty'],
      [iso(BTCUSDT_1M.halt.end), iso(end), 'stored'],
    ]);

    const read = await seamless.fetch({ nodeId: BTC, interval: '1m', start, end, strategy: 'fail_fast', partialOk: true });
    const expected = BTCUSDT_1M.openTimes.filter((t) => t < end);
    expect(read.frame.length).toBe(expected.length);
    expect(Array.from(read.frame.ts)).toEqual(expected);
    expect(read.frame.column('open')[0]).toBe(63120.01);

    // The 429 paused the whole upstream for its Retry-After (1 s): no request went out meanwhile.
    // Requests another worker was granted before the 429's answer came back may still arrive just
    // after it (at most the burst, within IN_FLIGHT_MS); the rest waited for the pause to end.
    const klines = server.requestsTo(KLINES);
    const limited = klines.findIndex((r) => r.status === 429);
    expect(limited).toBeGreaterThanOrEqual(0);
    const after = klines.slice(limited + 1).map((r) => r.at - klines[limited].at);
    const inFlight = after.filter((ms) => ms < 990);
    expect(inFlight.length).toBeLessThanOrEqual(5);
    for (const ms of inFlight) expect(ms).toBeLessThan(IN_FLIGHT_MS);
    expect(after.some((ms) => ms >= 990)).toBe(true);
    // The 502 failed one attempt of one shard, which the retry then completed.
    expect(klines.filter((r) => r.status === 502)).toHaveLength(1);
    const failed = events.filter((e) => e.type === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ final: false, reason: expect.stringMatching(/^binance: exchange unavailable \(HTTP 502\)/) });
    expect(events.some((e) => e.type === 'completed' && e.shard === failed[0].shard && e.state !== 'failed')).toBe(true);

    const requests = await metricValues(seamless, 'seamless_upstream_requests_total');
    expect(requests[JSON.stringify({ upstream: 'binance', outcome: 'rate_limited' })]).toBe(1);
    expect(requests[JSON.stringify({ upstream: 'binance', outcome: 'unavailable' })]).toBe(1);
    expect(requests[JSON.stringify({ upstream: 'binance', outcome: 'ok' })]).toBe(server.requests.filter((r) => r.status === 200).length);
    expect(await metricValues(seamless, 'seamless_upstream_rate_limited_total')).toEqual({ [JSON.stringify({ upstream: 'binance' })]: 1 });
    const latency = (await seamless.metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'seamless_upstream_latency_seconds');
    expect(latency?.values.find((v) => (v as { metricName?: string }).metricName === 'seamless_upstream_latency_seconds_count')?.value).toBe(server.requests.length);
  });

  it('fails a shard the exchange refuses (400) at once, with the exchange\'s reason', async () => {
    const before = server.requestsTo(KLINES).length;
    const job = await seamless.backfill({ nodeId: ETH, interval: '1m', start: BTCUSDT_1M.first, end: BTCUSDT_1M.first + HOUR });
    const done = await seamless.waitBackfill(job.id, AbortSignal.timeout(30_000));
    expect(done.state).toBe('failed');
    expect(done.errors[0].reason).toMatch(/binance: unknown symbol \(HTTP 400\).*Invalid symbol/);
    const shard = seamless.backfillJob(job.id)?.shardList[0];
    expect(shard).toMatchObject({ state: 'failed', attempts: 1 });
    expect(server.requestsTo(KLINES).length - before).toBe(1);
    const coverage = await seamless.coverage(ETH, '1m', { start: BTCUSDT_1M.first, end: BTCUSDT_1M.first + HOUR });
    expect(coverage[0]).toMatchObject({ state: 'failed', attempts: 1 });
    expect(coverage[0].reason).toMatch(/Invalid symbol/);
  });

  it('reports the upstream reachable, with its budget, in health', async () => {
    const health = await seamless.health();
    expect(health['upstream:binance']?.ok).toBe(true);
    expect(health['upstream:binance']?.detail).toMatch(/^binance: time endpoint answered in \d+ ms; budget 50 req\/s burst 5 \(memory\), next permit in \d+ ms, 0 waiting, 1 rate-limit pauses$/);
    expect(server.requestsTo('/api/v3/time').length).toBeGreaterThanOrEqual(1);
  });

  it('never returns the bar still building, nor calls it empty', async () => {
    const budgets = createUpstreamBudgets(createStorePermitAuthority(createMemoryBudgetStore()));
    const source = await createCcxtSource({
      exchange: 'binance', urls: { public: server.apiUrl }, options: { fetchMarkets: { types: ['spot'] } }, budgets,
      clock: createManualClock(BTCUSDT_1M.recordedAt),
    });
    const start = BTCUSDT_1M.building - HOUR;
    const batch = await source.fetch({ nodeId: BTC, intervalMs: MINUTE, range: { start, end: BTCUSDT_1M.building + MINUTE } });
    expect(batch.frame.length).toBe(60);
    expect(batch.frame.ts[59]).toBe(BTCUSDT_1M.building - MINUTE);
    expect(batch.knownEmpty).toEqual([]);
  });

  it('sends no request for a permit granted after its fetch was aborted (the permit is spent, the exchange is not asked)', async () => {
    const inner = createUpstreamBudgets(createStorePermitAuthority(createMemoryBudgetStore()));
    let permits = 0;
    // A budget whose permits for OHLCV pages arrive only once the caller has given up (a shared
    // store answering late): the markets load gets its permit at once.
    const budgets: UpstreamBudgets = {
      authority: inner.authority, list: () => inner.list(), state: (u) => inner.state(u), close: () => inner.close(),
      budget(upstream, rate) {
        const b = inner.budget(upstream, rate);
        return {
          upstream: b.upstream, rate: b.rate, pause: (ms) => b.pause(ms), state: () => b.state(), snapshot: () => b.snapshot(),
          acquire: async (signal) => {
            await b.acquire();
            permits++;
            if (permits === 1 || signal === undefined) return;
            await new Promise<void>((resolve) => {
              if (signal.aborted) resolve();
              else signal.addEventListener('abort', () => resolve(), { once: true });
            });
          },
        };
      },
    };
    const source = await createCcxtSource({
      exchange: 'binance', urls: { public: server.apiUrl }, options: { fetchMarkets: { types: ['spot'] } }, budgets,
      clock: createManualClock(BTCUSDT_1M.recordedAt),
    });
    const klinesBefore = server.requestsTo('/api/v3/klines').length;
    const controller = new AbortController();
    const fetching = source.fetch({ nodeId: BTC, intervalMs: MINUTE, range: { start: BTCUSDT_1M.first, end: BTCUSDT_1M.first + HOUR }, signal: controller.signal });
    await until(() => permits >= 2, 'the OHLCV page to get its permit');
    controller.abort();
    await expect(fetching).rejects.toMatchObject({ name: 'AbortedError' });
    // Give a wrongly sent request every chance to arrive: a request sent after the abort would
    // reach this loopback server long before a follow-up health probe's answer.
    await source.health?.();
    expect(server.requestsTo('/api/v3/klines').length).toBe(klinesBefore);
  });

  it('records the stretch after the market stopped publishing known-empty through an empty page', async () => {
    const later = BTCUSDT_1M.recordedAt + 2 * HOUR; // the recording ended at 06:00; two hours pass without bars
    server.setNow(later);
    clock.set(later);
    const start = BTCUSDT_1M.building;
    const end = BTCUSDT_1M.building + 2 * HOUR;
    const asked = server.requestsTo(KLINES).length;
    const job = await seamless.backfill({ nodeId: BTC, interval: '1m', start, end });
    expect((await seamless.waitBackfill(job.id, AbortSignal.timeout(30_000))).state).toBe('completed');
    const coverage = await seamless.coverage(BTC, '1m', { start, end });
    expect(coverage.map((c) => [iso(Math.max(c.start, start)), iso(c.end), c.state])).toEqual([
      [iso(start), iso(start + MINUTE), 'stored'],
      [iso(start + MINUTE), iso(end), 'known_empty'],
    ]);
    const pages = server.requestsTo(KLINES).slice(asked);
    expect(pages.some((r) => r.status === 200 && Number(r.query.startTime) > BTCUSDT_1M.building)).toBe(true);
  });
});
