/**
 * A gateway backfilling from an exchange (the real ccxt client, `kind: ccxt`) through an HTTP
 * fault proxy in front of the Binance stand-in, under enforced SLA policies (1m: a 12 s backfill
 * budget, `onViolation: fail`; 5m: 2 s, `partial`). What the user sees, what is stored, what is
 * reported, when the upstream
 *
 * (a) is slow within the budget: the read answers every bar, no violation;
 * (b) is slower than the budget: the 1m read fails with `sla_exceeded` naming the phase, the
 *     time it took and the budget (true figures); the 5m read answers what it has, downgraded
 *     `sla_backfill` with the job id; both backfills complete on their own afterwards;
 * (c) answers 5xx then 429 (Retry-After) bursts: the read still completes after the retries, each
 *     bar is stored once, and `seamless_upstream_*` count the failures and the rate limits, the
 *     retried attempts appear as `failed` (not final) events with the exchange's reason.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvents, eventually, processReport } from '../harness/seamless-processes.js';
import type { EventCollector, SeamlessProcess } from '../harness/seamless-processes.js';
import { BTCUSDT_1M, RECORDED_ERRORS } from '../harness/fake-exchange-server.js';
import { startExchangeGateway } from './exchange-gateway.js';
import type { ExchangeGateway } from './exchange-gateway.js';
import type { HttpFaultProxy } from './fault-injection.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const NODE = 'ohlcv:binance:BTC/USDT';
const KLINES = '/api/v3/klines';
const DAY0 = BTCUSDT_1M.first; // 2024-03-04T00:00Z
const END = BTCUSDT_1M.building; // 06:00Z: every bar before it has closed
const BUDGET_1M = 8_000;
const BUDGET_5M = 2_000;

type Json = Record<string, unknown>;
interface ErrorBody { error: { code: string; message: string; details: Json } }
interface Meta {
  rows: number; partial: boolean; downgraded: boolean; downgradeMode?: string | null; downgradeReason: string | null;
  backfill: { jobId: string; state: string } | null; slaViolation: unknown; sources: Record<string, number>;
  missingRanges: { start: number; end: number }[];
}
interface BarsBody { data: { ts: number[] }; metadata: Meta }
interface Range { start: number; end: number; state: string }

let deployment: ExchangeGateway;
let proxy: HttpFaultProxy;
let gateway: SeamlessProcess;
let url = '';
let events: EventCollector;

beforeAll(async () => {
  const policy = (name: string, interval: string, budget: number, onViolation: string): string => [
    `name: ${name}`, `match: { node: "${NODE}", interval: ${interval} }`, 'mode: enforced', `budgets: { backfill: ${budget} }`,
    `onViolation: ${onViolation}`, 'owner: data-platform', `runbook: docs/operations/sla/${name}.md`, 'escalation: "#seamless-oncall"', '',
  ].join('\n');
  deployment = await startExchangeGateway({
    prefix: 'seamless-upstream-faults-',
    topLines: ['logging: { level: info }'],
    sourceLines: ['    pageLimit: 30'],
    datasetLines: [`  - { nodeId: "${NODE}", intervals: [1m, 5m], source: binance }`],
    seamlessLines: (dir) => [
      `  sla: { dir: ${JSON.stringify(join(dir, 'sla'))} }`,
      '  backfill: { barsPerShard: 60, maxAttempts: 5, baseDelayMs: 100 }',
    ],
    prepare: async (dir) => {
      await mkdir(join(dir, 'sla'));
      await writeFile(join(dir, 'sla', 'btc-1m.yml'), policy('btc-1m', '1m', BUDGET_1M, 'fail'));
      await writeFile(join(dir, 'sla', 'btc-5m.yml'), policy('btc-5m', '5m', BUDGET_5M, 'partial'));
    },
  });
  ({ proxy, gateway, url } = deployment);
  events = await collectEvents(url);
}, 120_000);

afterAll(async () => {
  events?.close();
  await deployment?.stop();
});

async function read<T>(interval: string, start: number, end: number, extra = ''): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}/v1/bars?node=${encodeURIComponent(NODE)}&interval=${interval}&start=${start}&end=${end}${extra}`);
  return { status: res.status, body: (await res.json()) as T };
}

async function coverage(interval: string): Promise<Range[]> {
  const res = await fetch(`${url}/v1/coverage?node=${encodeURIComponent(NODE)}&interval=${interval}`);
  return ((await res.json()) as { ranges: Range[] }).ranges.map(({ start, end, state }) => ({ start, end, state }));
}

function covers(ranges: readonly Range[], start: number, end: number): boolean {
  let at = start;
  for (const r of ranges) if (r.state !== 'failed' && r.start <= at && r.end > at) at = r.end;
  return at >= end;
}

/** Sum of the samples of `name` on /metrics whose labels include every one given. */
async function sample(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const set = (m[2] ?? '').split(',');
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}=${JSON.stringify(v)}`))) sum += Number(m[3]);
  }
  return sum;
}

/** Open times of the recording's closed bars in [start, end) at `intervalMs` (aggregated as the exchange does). */
function recorded(start: number, end: number, intervalMs = MIN): number[] {
  const out = new Set<number>();
  for (const t of BTCUSDT_1M.openTimes) if (t >= start && t < end) out.add(t - (t % intervalMs));
  return [...out].sort((a, b) => a - b);
}

const seen = (): number => proxy.requests.filter((r) => r.path === KLINES).length;

describe('an exchange upstream that is slow, slower than the SLA, and failing in bursts', () => {
  it('(a) slow within the budget: the read answers every bar, with no violation', async () => {
    proxy.delay({ path: KLINES, times: 2, ms: 1_000 });
    const r = await read<BarsBody>('1m', DAY0, DAY0 + HOUR);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.metadata).toMatchObject({ rows: 60, partial: false, downgraded: false, slaViolation: null });
    expect(r.body.metadata.sources.backfill).toBe(60);
    expect(r.body.data.ts).toEqual(recorded(DAY0, DAY0 + HOUR));
    expect(proxy.requests.filter((q) => q.path === KLINES && q.fault === 'delay')).toHaveLength(2);
    expect(await sample('seamless_sla_violations_total', {})).toBe(0);
  }, 60_000);

  it('(b) slower than the budget: 1m fails with sla_exceeded (true figures), 5m answers partial with the job; both backfills complete', async () => {
    proxy.delay({ path: KLINES, ms: BUDGET_1M + 1_500 });
    const late = await read<ErrorBody>('1m', DAY0 + HOUR, DAY0 + 2 * HOUR);
    expect(late.status, JSON.stringify(late.body)).toBe(504);
    expect(late.body.error.code).toBe('sla_exceeded');
    const d = late.body.error.details as { phase: string; elapsedMs: number; budgetMs: number; policy: string; mode: string };
    expect(d).toMatchObject({ phase: 'backfill', budgetMs: BUDGET_1M, policy: 'btc-1m', mode: 'enforced' });
    expect(d.elapsedMs).toBeGreaterThanOrEqual(BUDGET_1M);
    expect(late.body.error.message).toBe(`SLA policy "btc-1m": backfill took ${d.elapsedMs} ms, over its budget of ${BUDGET_1M} ms`);
    expect(await sample('seamless_sla_violations_total', { policy: 'btc-1m', phase: 'backfill', mode: 'enforced' })).toBe(1);
    // The shard keeps backfilling: the hour is stored once the slow answer arrives.
    await eventually('the 1m hour to be stored after the failed read', async () => (covers(await coverage('1m'), DAY0 + HOUR, DAY0 + 2 * HOUR) ? true : undefined), 60_000, 200);
    const after = await read<BarsBody>('1m', DAY0 + HOUR, DAY0 + 2 * HOUR, '&strategy=fail_fast');
    expect(after.status).toBe(200);
    expect(after.body.data.ts).toEqual(recorded(DAY0 + HOUR, DAY0 + 2 * HOUR));

    proxy.delay({ path: KLINES, ms: BUDGET_5M + 4_000 });
    const partial = await read<BarsBody>('5m', DAY0, END);
    expect(partial.status, JSON.stringify(partial.body)).toBe(200);
    const m = partial.body.metadata;
    expect(m).toMatchObject({ downgraded: true, downgradeMode: 'partial', downgradeReason: 'sla_backfill', partial: true });
    expect(m.missingRanges.length).toBeGreaterThan(0);
    expect(m.backfill?.jobId).toEqual(expect.any(String));
    expect(await sample('seamless_sla_downgrades_total', { mode: 'partial', reason: 'sla_backfill' })).toBe(1);
    const job = await eventually('the 5m job to finish', async () => {
      const res = await fetch(`${url}/v1/backfills/${m.backfill?.jobId ?? ''}`);
      const j = ((await res.json()) as { job: { state: string; completionRatio: number } }).job;
      return j.state !== 'running' ? j : undefined;
    }, 60_000, 200);
    expect(job).toMatchObject({ state: 'completed', completionRatio: 1 });
    const full = await read<BarsBody>('5m', DAY0, END, '&strategy=fail_fast');
    expect(full.status, JSON.stringify(full.body).slice(0, 500)).toBe(200);
    expect(full.body.data.ts).toEqual(recorded(DAY0, END, 5 * MIN));
  }, 90_000);

  it('(c) 5xx then 429 bursts: the read completes after retries, each bar stored once, the faults counted', async () => {
    const n = seen();
    proxy.fail({ path: KLINES, at: n + 1, times: 2, status: 503, headers: { 'content-type': 'application/json' }, body: JSON.stringify(RECORDED_ERRORS.serviceUnavailable.body) });
    proxy.fail({ path: KLINES, at: n + 3, times: 2, status: 429, headers: { 'retry-after': '1' }, body: JSON.stringify(RECORDED_ERRORS.tooManyRequests.body) });
    const r = await read<BarsBody>('1m', DAY0 + 2 * HOUR, END);
    expect(r.status, `${JSON.stringify(r.body).slice(0, 500)}\n${processReport(gateway, 20)}`).toBe(200);
    const expected = recorded(DAY0 + 2 * HOUR, END);
    expect(r.body.metadata).toMatchObject({ rows: expected.length, partial: false, downgraded: false, slaViolation: null });
    expect(r.body.data.ts).toEqual(expected);
    const injected = proxy.requests.filter((q) => q.path === KLINES && q.fault === 'fail').map((q) => q.status);
    expect(injected).toEqual([503, 503, 429, 429]);

    // Reported: the failures by reason, the rate limits, every answered request.
    expect(await sample('seamless_upstream_requests_total', { upstream: 'binance', outcome: 'unavailable' })).toBe(2);
    expect(await sample('seamless_upstream_requests_total', { upstream: 'binance', outcome: 'rate_limited' })).toBe(2);
    expect(await sample('seamless_upstream_rate_limited_total', { upstream: 'binance' })).toBe(2);
    expect(await sample('seamless_upstream_requests_total', { upstream: 'binance', outcome: 'ok' })).toBe(proxy.requests.filter((q) => q.status === 200).length);
    // The 503s failed attempts (retried, not final), with the exchange's reason.
    const failed = events.ofType('failed').map((e) => e.data);
    expect(failed.length, JSON.stringify(failed)).toBe(2);
    for (const f of failed) {
      expect(f).toMatchObject({ final: false });
      expect(String(f.reason)).toMatch(/^binance: exchange unavailable \(HTTP 503\)/);
    }

    // Stored once: the whole recording, coverage as the exchange answered it.
    const all = await read<BarsBody>('1m', DAY0, END, '&strategy=fail_fast');
    expect(all.status, JSON.stringify(all.body).slice(0, 500)).toBe(200);
    expect(all.body.data.ts).toEqual(recorded(DAY0, END));
    expect(new Set(all.body.data.ts).size).toBe(all.body.data.ts.length);
    expect(await coverage('1m')).toEqual([
      { start: DAY0, end: BTCUSDT_1M.halt.start, state: 'stored' },
      { start: BTCUSDT_1M.halt.start, end: BTCUSDT_1M.halt.end, state: 'known_empty' },
      { start: BTCUSDT_1M.halt.end, end: END, state: 'stored' },
    ]);
    // No error in the log but the one read the policy failed (the gateway logs its 504).
    const errors = gateway.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; err?: { type?: string } }).filter((l) => l.level >= 50);
    expect(errors.map((l) => l.err?.type), processReport(gateway, 20)).toEqual(['SeamlessSLAExceeded']);
  }, 90_000);
});
