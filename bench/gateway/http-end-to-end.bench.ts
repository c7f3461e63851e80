/**
 * Seamless over HTTP as users run it (a `seamless serve` child, default configuration) against
 * the minimal hand-written server over the same bars (bench/gateway/servers.ts), requests
 * interleaved. Every figure is a whole request: read, encode, the client receiving every byte.
 *  - memory: idle RSS (goal ≤ 150 MB) and peak RSS above idle during a 1M-bar JSON and Arrow
 *    answer against the body size (goal < 2× body), for the gateway's first such answers and
 *    again once warm;
 *  - 100k and 1M bars per format (arrow, json, csv) on storage hits (a fresh `world` keys the
 *    response cache, so nothing is served from it), rows/s and ratio to the minimal server
 *    (goals: Arrow 1M ≤ 1.05×, JSON ≥ 1M rows/s); Arrow ≥ 10× JSON at 100k on storage hits and
 *    on cache hits;
 *  - per-request fixed cost: a 1,440-bar Arrow read over HTTP minus the raw DuckDB query of the
 *    same rows in this process (goal ≤ 2 ms); the minimal server's is shown alongside;
 *  - 16 clients reading different days of 1,440 bars: req/s and p99, Arrow and JSON (goal ≥ 0.95×
 *    the minimal server, p99 no worse).
 * Run: node --expose-gc --import tsx bench/gateway/http-end-to-end.bench.ts
 * BENCH_ONLY=fixed,concurrent (a comma list of memory, bulk, cache, fixed, concurrent) runs only
 * those sections.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openRawDuckDb, rawRead } from '../baselines/raw-duckdb.js';
import { compare, heading, percentile, record, report, show } from '../harness.js';
import { MIN, NODE, START, gatewayBars, getBytes, minimalBars, prepareServers, rssBytes } from './servers.js';
import type { Servers } from './servers.js';

const MILLION = 1_000_000;
const DAY = 1_440 * MIN;
const STORED_DAYS = Math.floor(MILLION / 1_440);
const MB = 1024 * 1024;
let world = 0;
/** A query suffix that keys the response cache afresh: the read is a storage hit. */
const fresh = (): string => `&world=bench-${world++}`;

async function memory(s: Servers): Promise<void> {
  heading('memory');
  const idle = await rssBytes(s.gateway.pid);
  const minimalIdle = await rssBytes(s.minimal.pid);
  record('idle RSS of a started gateway (vs minimal server)', idle / MB, 'MB', { baseline: minimalIdle / MB, goal: { max: 150 } });
  // The first pass is the gateway's first 1M-bar answers: they also carry one-time growth (DuckDB's
  // buffer pool holding the table's pages, V8's heap, the response cache keeping the frame). The
  // second pass repeats them on the warm gateway: the memory an answer itself takes.
  for (const [pass, format] of [['first', 'json'], ['first', 'arrow'], ['warm', 'json'], ['warm', 'arrow']] as const) {
    const before = await rssBytes(s.gateway.pid);
    let peak = before;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await rssBytes(s.gateway.pid));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const body = await getBytes(gatewayBars(s.gateway.url, START, START + MILLION * MIN, format, fresh()));
    sampling = false;
    await sampler;
    const work = pass === 'first' ? `peak RSS above idle, 1M-bar ${format} answer (vs body size)` : `peak RSS above the warm gateway's, 1M-bar ${format} answer (vs body size)`;
    record(work, (peak - before) / MB, 'MB', { baseline: body / MB, goal: { maxRatio: 2 } });
  }
}

async function bulk(s: Servers, bars: number, runs: number): Promise<Map<string, number>> {
  const medians = new Map<string, number>();
  const label = bars.toLocaleString('en-US');
  for (const format of ['arrow', 'json', 'csv']) {
    heading(`${label} bars, format=${format}, storage hits (interleaved with the minimal server)`);
    let day = 0;
    const offset = (): number => START + ((day++ * 37) % Math.max(1, STORED_DAYS - Math.ceil(bars / 1_440))) * DAY;
    const [seamless, minimal] = await compare([
      { name: `seamless ${format} ${label}`, fn: () => { const a = offset(); return getBytes(gatewayBars(s.gateway.url, a, a + bars * MIN, format, fresh())); } },
      { name: `minimal server ${format} ${label}`, fn: () => { const a = offset(); return getBytes(minimalBars(s.minimal.url, a, a + bars * MIN, format)); } },
    ], { runs, warmup: runs > 3 ? 1 : 0 });
    const goal = format === 'arrow' && bars === MILLION ? { maxRatio: 1.05 } : undefined;
    report(seamless, minimal, goal, `HTTP ${format} ${label} bars vs minimal server (time)`);
    const jsonGoal = format === 'json' && bars === MILLION ? { min: MILLION } : undefined;
    record(`HTTP ${format} ${label} bars rows/s vs minimal server`, bars / (seamless.medianMs / 1000), 'rows/s', { baseline: bars / (minimal.medianMs / 1000), goal: jsonGoal });
    medians.set(format, seamless.medianMs);
  }
  return medians;
}

async function cacheHits(s: Servers): Promise<void> {
  heading('100,000 bars from the response cache: Arrow vs JSON (interleaved)');
  const url = (format: string): string => gatewayBars(s.gateway.url, START, START + 100_000 * MIN, format, '&world=cache');
  const [arrow, json] = await compare([
    { name: 'seamless arrow 100k, cache hit', fn: () => getBytes(url('arrow')) },
    { name: 'seamless json 100k, cache hit', fn: () => getBytes(url('json')) },
  ], { runs: 7, warmup: 2 });
  report(arrow, json, { minSpeedup: 10 }, 'HTTP Arrow vs JSON, 100k bars, cache hits (time)');
}

async function fixedCost(s: Servers): Promise<void> {
  heading('per-request fixed cost: 1,440 bars over HTTP (Arrow, storage hit) minus the raw query');
  const raw = await openRawDuckDb(join(s.dir, 'minimal.duckdb'));
  try {
    const id = await raw.datasetId(NODE, MIN);
    let a = 0;
    let b = 0;
    let c = 0;
    const day = (k: number): number => START + ((k * 7919) % STORED_DAYS) * DAY;
    const [gw, minimal, query] = await compare([
      { name: 'seamless 1,440 bars arrow', fn: () => { const d = day(a++); return getBytes(gatewayBars(s.gateway.url, d, d + DAY, 'arrow', fresh())); } },
      { name: 'minimal server 1,440 bars arrow', fn: () => { const d = day(b++); return getBytes(minimalBars(s.minimal.url, d, d + DAY, 'arrow')); } },
      { name: 'raw duckdb query 1,440 bars (in process)', fn: () => { const d = day(c++); return rawRead(raw.conn, id, d, d + DAY, 1_440); } },
    ], { runs: 21, warmup: 3 });
    show(gw);
    show(minimal);
    show(query);
    record('fixed cost per request (1,440 bars over HTTP − raw query; baseline: minimal server)', gw.medianMs - query.medianMs, 'ms', { baseline: minimal.medianMs - query.medianMs, goal: { max: 2 } });
  } finally {
    raw.close();
  }
}

async function clients(url: (day: number) => string, requests: number, concurrency: number): Promise<{ reqPerS: number; p99: number }> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < requests; i = next++) {
      const t = performance.now();
      await getBytes(url(i));
      latencies.push(performance.now() - t);
    }
  }));
  return { reqPerS: requests / ((performance.now() - t0) / 1000), p99: percentile(latencies, 99) };
}

async function concurrent(s: Servers): Promise<void> {
  const REQUESTS = 160;
  for (const format of ['arrow', 'json']) {
    heading(`16 clients reading different days of 1,440 bars, ${format} (storage hits), ${REQUESTS} requests each side, two rounds alternating`);
    const gw: { reqPerS: number; p99: number }[] = [];
    const mini: { reqPerS: number; p99: number }[] = [];
    for (let round = 0; round < 2; round++) {
      const base = round * REQUESTS;
      const day = (i: number): number => START + (((base + i) * 7919) % STORED_DAYS) * DAY;
      gw.push(await clients((i) => gatewayBars(s.gateway.url, day(i), day(i) + DAY, format, fresh()), REQUESTS, 16));
      mini.push(await clients((i) => minimalBars(s.minimal.url, day(i), day(i) + DAY, format), REQUESTS, 16));
    }
    const mean = (xs: { reqPerS: number }[]): number => xs.reduce((t, x) => t + x.reqPerS, 0) / xs.length;
    const p99 = (xs: { p99: number }[]): number => Math.max(...xs.map((x) => x.p99));
    record(`16 clients ${format} 1,440 bars: req/s vs minimal server`, mean(gw), 'req/s', { baseline: mean(mini), goal: { minRatio: 0.95 } });
    record(`16 clients ${format} 1,440 bars: p99 vs minimal server`, p99(gw), 'ms', { baseline: p99(mini), goal: { maxRatio: 1 } });
  }
}

/** Whether the section runs (every section unless BENCH_ONLY names some). */
function runs(section: string): boolean {
  const only = process.env.BENCH_ONLY;
  return only === undefined || only === '' || only.split(',').includes(section);
}

async function main(): Promise<void> {
  const s = await prepareServers(MILLION);
  try {
    if (runs('memory')) await memory(s);
    if (runs('bulk')) {
      const small = await bulk(s, 100_000, 5);
      const arrow = small.get('arrow');
      const json = small.get('json');
      if (arrow !== undefined && json !== undefined) {
        record('HTTP Arrow vs JSON, 100k bars, storage hits (speed-up)', json / arrow, 'x', { goal: { min: 10 } });
      }
    }
    if (runs('cache')) await cacheHits(s);
    if (runs('bulk')) await bulk(s, MILLION, 3);
    if (runs('fixed')) await fixedCost(s);
    if (runs('concurrent')) await concurrent(s);
  } finally {
    await s.stop();
  }
}

await main();
