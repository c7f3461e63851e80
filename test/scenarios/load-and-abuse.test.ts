/**
 * A gateway (`seamless serve`, embedded lease store, two local workers, a slow synthetic
 * upstream) under abusive and bursty load, driven over HTTP as a user would:
 * - a 1m backfill over the whole time axis is refused at once with 400 naming `end` and the
 *   limit (before: the event loop blocked and the process died out of memory), and the gateway
 *   keeps answering;
 * - a 100,000-shard 1d job on POST /v1/jobs is refused naming the shard limit;
 * - 16 concurrent maximum-size reads: those past `limits.maxInflightReadBars` get 503
 *   `overloaded` with Retry-After, counted in seamless_read_rejected_total;
 * - a 9-bar cold read during a burst of background backfills is served first and answers in full.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { killSeamlessProcesses, processReport, startSeamless, waitForLine, writeSeamlessConfig } from '../harness/seamless-processes.js';
import type { SeamlessProcess } from '../harness/seamless-processes.js';

const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);
const NODE = 'ohlcv:test:LOAD';
const COLD = 'ohlcv:test:COLD';
const MAX_READ_BARS = 50_000;

interface ErrorReply { error: { code: string; message: string; details: Record<string, unknown> } }

let url = '';
let gateway: SeamlessProcess;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const dir = await tempDir('seamless-load-');
  cleanups.push(dir.remove);
  const configFile = await writeSeamlessConfig(dir.path, [
    'cache: { enabled: false }',
    `limits: { maxBars: ${MAX_READ_BARS}, maxInflightReadBars: ${2 * MAX_READ_BARS} }`,
    'sources:',
    '  slow: { kind: synthetic, seed: 7, latencyMs: 300 }',
    'datasets:',
    `  - { nodeId: "${NODE}", intervals: [1m, 1d], source: slow }`,
    `  - { nodeId: "${COLD}", intervals: [1m], source: slow }`,
    'seamless:',
    // 20 bars per shard: a 1d job of 2,000,000 bars is 100,000 shards, under the bar cap, over the shard cap.
    '  backfill: { barsPerShard: 20, concurrency: 2, localWorkers: 2, syncBudgetMs: 4000 }',
  ]);
  gateway = startSeamless(['serve', '--port', '0', '--config', configFile], dir.path, 'gateway');
  url = (await waitForLine(gateway, /listening on (http:\/\/\S+)/, 60_000))[1];
}, 90_000);

afterAll(async () => {
  await killSeamlessProcesses();
  for (const cleanup of cleanups) await cleanup();
});

async function post(path: string, body: unknown): Promise<{ status: number; body: unknown; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  return { status: res.status, body: await res.json(), ms: performance.now() - t0 };
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

describe('a gateway under abusive and bursty load', () => {
  it('refuses a whole-range 1m backfill at once with 400 naming end and the limit, and keeps answering', async () => {
    const r = await post('/v1/backfills', { node: NODE, interval: '1m', start: 0, end: 8_640_000_000_000_000 });
    console.log(`[load] whole-range backfill answered ${r.status} in ${r.ms.toFixed(0)} ms`);
    expect(r.status, processReport(gateway)).toBe(400);
    const e = r.body as ErrorReply;
    expect(e.error).toMatchObject({ code: 'invalid_request', details: { field: 'end', maxBarsPerJob: 2_000_000 } });
    expect(e.error.message).toContain('more than the maximum of 2000000 per backfill job (seamless.backfill.maxBarsPerJob)');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(gateway.running()).toBe(true);
  });

  it('refuses a 100,000-shard 1d job on POST /v1/jobs naming the shard limit', async () => {
    const r = await post('/v1/jobs', { node: NODE, interval: '1d', start: 0, end: 2_000_000 * DAY });
    expect(r.status, processReport(gateway)).toBe(400);
    const e = r.body as ErrorReply;
    expect(e.error).toMatchObject({ code: 'invalid_request', details: { field: 'end', shards: 100_000, maxShardsPerJob: 10_000 } });
    expect(e.error.message).toContain('more than the maximum of 10000 per backfill job (seamless.backfill.maxShardsPerJob)');
  });

  it('answers 16 concurrent maximum-size reads past the allowance with 503 overloaded and Retry-After, and counts them', async () => {
    const before = await metric('seamless_read_rejected_total{reason="inflight_bars"}');
    const start = T0 - MAX_READ_BARS * MIN;
    const replies = await Promise.all(Array.from({ length: 16 }, async () => {
      const res = await fetch(`${url}/v1/bars?node=${encodeURIComponent(NODE)}&interval=1m&start=${start}&end=${T0}&strategy=seamless&partial_ok=true`, { signal: AbortSignal.timeout(40_000) });
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
    }));
    const refused = replies.filter((r) => r.status === 503);
    const rss = await metric('seamless_process_process_resident_memory_bytes');
    console.log(`[load] 16 concurrent ${MAX_READ_BARS}-bar reads: ${replies.length - refused.length} admitted, ${refused.length} refused; gateway RSS ${(rss / 2 ** 20).toFixed(0)} MiB`);
    expect(refused.length, replies.map((r) => `${r.status} ${r.body.slice(0, 200)}`).join('\n')).toBeGreaterThanOrEqual(14);
    for (const r of refused) {
      expect(r.retryAfter).toBe('1');
      expect((JSON.parse(r.body) as ErrorReply).error).toMatchObject({ code: 'overloaded', details: { reason: 'inflight_bars', limit: 2 * MAX_READ_BARS } });
    }
    for (const r of replies.filter((x) => x.status !== 503)) expect(r.status).toBe(200);
    expect(await metric('seamless_read_rejected_total{reason="inflight_bars"}')).toBe(before + refused.length);
  }, 60_000);

  it('serves a 9-bar cold read in full while a burst of background backfills runs', async () => {
    // Five background jobs of 100 shards each: 250 s of upstream time for two workers.
    for (let k = 1; k <= 5; k++) {
      const r = await post('/v1/backfills', { node: NODE, interval: '1m', start: T0 + k * 4 * DAY, end: T0 + k * 4 * DAY + 2_000 * MIN });
      expect(r.status).toBe(202);
    }
    const start = T0 + 30 * DAY;
    const t0 = performance.now();
    const res = await fetch(`${url}/v1/bars?node=${encodeURIComponent(COLD)}&interval=1m&start=${start}&end=${start + 9 * MIN}&strategy=auto_backfill`, { signal: AbortSignal.timeout(40_000) });
    const ms = performance.now() - t0;
    const body = await res.json() as { rows?: unknown[]; data?: unknown[] };
    console.log(`[load] 9-bar cold read during a burst of 500 background shards: ${res.status} in ${ms.toFixed(0)} ms`);
    expect(res.status, JSON.stringify(body).slice(0, 400)).toBe(200);
    expect(JSON.stringify(body)).toContain('"completionRatio":1');
    const jobs = await (await fetch(`${url}/v1/backfills`)).json() as { jobs: { state: string }[] };
    expect(jobs.jobs.filter((j) => j.state === 'running').length).toBeGreaterThan(0);
  }, 60_000);
});
