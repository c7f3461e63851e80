/**
 * Subscription fan-out over real sockets (issue 17): a gateway in its own process
 * (bench/gateway/stream-fanout-server.ts: createSeamless + serveGateway on loopback) follows
 * 1,000 live 1m datasets through its `websocket` feed, which connects to a local stand-in exchange
 * in this process (test/harness/live-ws-server.ts, Binance kline format); 100 `ws` subscribers in
 * a third process (bench/gateway/stream-fanout-clients.ts) each follow all 1,000 (`universe=all`).
 * One "minute" = the feed sends one closed bar per dataset, back to back (as at a real minute's
 * close); minutes follow each other compressed in time. Each bar carries its feed send time
 * (epoch ms, performance.timeOrigin + now()) in its volume, so a subscriber measures the delivery
 * lag feed send → frame received on the same machine clock. Figures: p50/p99 lag (goal p99 <
 * 50 ms), bars delivered vs expected, server CPU per bar delivered (process.cpuUsage in the
 * server: all of its work — feed parsing, live write-through to DuckDB, fan-out — divided by the
 * bars delivered). Baseline in the same run: a minimal `ws` server reading the same feed and
 * sending each bar's message (encoded once) to every client. Never asserts a time.
 * Both encodings of a batch are measured, one after the other on the same server process (each
 * with its own warm-up minute and its own subscriber process): JSON text frames (`batch=true`)
 * and binary Arrow frames (`encoding=arrow`; the baseline builds its Arrow frame once per burst
 * with apache-arrow's writer and sends it to every client).
 * Run: npx tsx bench/gateway/stream-fanout-sockets.bench.ts [--minutes N] [--encoding json,arrow] (BENCH_CPU_PROF=<dir>: profile the servers;
 * BENCH_LIVE_FLUSH_MS=<ms>: the gateway's live.flushMs, when the write-through of a burst runs)
 * `--encoding`: the encodings measured, in that order on each server (default json,arrow; an
 * encoding may repeat, e.g. json,arrow,json,arrow, to see the order's effect: the first run on a
 * process is the dearest; the figures recorded are each encoding's last run).
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { binanceKline, startLiveWsServer } from '../../test/harness/live-ws-server.js';
import type { LiveWsServer } from '../../test/harness/live-ws-server.js';
import { heading, record } from '../harness.js';

const DATASETS = 1_000;
const SUBSCRIBERS = 100;
const MIN = 60_000;
const minutesArg = process.argv.indexOf('--minutes');
const MINUTES = minutesArg > 0 ? Number(process.argv[minutesArg + 1]) : 5;
const WARMUP_MINUTES = 1;
const encodingArg = process.argv.indexOf('--encoding');
type Encoding = 'json' | 'arrow';
const ENCODINGS = (encodingArg > 0 ? process.argv[encodingArg + 1] : 'json,arrow').split(',').map((e) => {
  if (e !== 'json' && e !== 'arrow') throw new RangeError(`--encoding: "${e}" is neither json nor arrow`);
  return e as Encoding;
});
const LABEL: Record<Encoding, string> = { json: 'JSON batches', arrow: 'Arrow batches (encoding=arrow)' };
/** Pause before each measured minute's closes (a real minute is 60 s; the write-through of a close is flushed 250 ms after it). */
const GAP_MS = 1_000;
const DEADLINE_MS = 60_000;
const SERVER = new URL('./stream-fanout-server.ts', import.meta.url).pathname;
const CLIENTS = new URL('./stream-fanout-clients.ts', import.meta.url).pathname;
/** Bars in the past (closed long ago): the feed's minutes are compressed in time. */
const T0 = Math.floor(Date.now() / MIN) * MIN - 10_000 * MIN;
const wallNow = (): number => performance.timeOrigin + performance.now();

type Reply = Record<string, unknown> | string;

/** BENCH_CPU_PROF=<dir>: the servers run with --cpu-prof into <dir> (where their time goes). */
const PROFILE_DIR = process.env.BENCH_CPU_PROF;

function child(script: string, args: readonly string[], profile = false): ChildProcess {
  const prof = profile && PROFILE_DIR !== undefined && PROFILE_DIR !== '' ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : [];
  return fork(script, [...args], { execArgv: ['--import', 'tsx', ...prof], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
}

/** The first IPC message `accept` takes, within the deadline. */
function next<T>(proc: ChildProcess, what: string, accept: (m: Reply) => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { done(); reject(new RangeError(`no ${what} within ${DEADLINE_MS} ms`)); }, DEADLINE_MS);
    const onMessage = (m: Reply): void => {
      const v = accept(m);
      if (v !== undefined) { done(); resolve(v); }
    };
    const onExit = (code: number | null): void => { done(); reject(new RangeError(`${what}: process exited with ${String(code)}`)); };
    function done(): void { clearTimeout(timer); proc.off('message', onMessage); proc.off('exit', onExit); }
    proc.on('message', onMessage);
    proc.once('exit', onExit);
  });
}

function urlOf(proc: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /url (\S+)/.exec(out);
      if (m !== null) resolve(m[1]);
    });
    proc.once('exit', (code) => reject(new RangeError(`server exited with ${String(code)} before listening`)));
  });
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGTERM');
  await exited;
}

async function cpuMs(proc: ChildProcess): Promise<number> {
  const got = next(proc, 'cpu usage', (m) => (typeof m === 'object' && 'cpu' in m ? m.cpu as NodeJS.CpuUsage : undefined));
  proc.send('cpu');
  const cpu = await got;
  return (cpu.user + cpu.system) / 1000;
}

interface Outcome { readonly p50: number; readonly p99: number; readonly max: number; readonly bars: number; readonly minPerClient: number; readonly maxPerClient: number; readonly outOfOrder: number; readonly cpuMsPerMinute: number }

let minute = 0;

/** One minute's closes: one closed bar per dataset, back to back; resolves when every subscriber has them. */
async function closeMinute(feed: LiveWsServer, clients: ChildProcess, expectedTotal: number): Promise<void> {
  const ts = T0 + minute++ * MIN;
  const delivered = next(clients, `bars up to ${expectedTotal}`, (m) => (typeof m === 'object' && Number(m.received) >= expectedTotal ? true : undefined));
  for (let d = 0; d < DATASETS; d++) feed.send(binanceKline(`S${d}USDT`, '1m', MIN, ts, [100, 101, 99, 100.5, wallNow()], true));
  await delivered;
}

async function run(label: string, url: string, server: ChildProcess, feed: LiveWsServer): Promise<Outcome> {
  const clients = child(CLIENTS, [url, String(SUBSCRIBERS), String(DATASETS * SUBSCRIBERS)]);
  try {
    await next(clients, 'subscribers ready', (m) => (m === 'ready' ? true : undefined));
    let total = 0;
    for (let i = 0; i < WARMUP_MINUTES; i++) await closeMinute(feed, clients, (total += DATASETS * SUBSCRIBERS));
    // Acknowledged: frames of the measured minutes must not be counted before the reset lands.
    const reset = next(clients, 'reset', (m) => (m === 'reset-done' ? true : undefined));
    clients.send('reset');
    await reset;
    const cpu0 = await cpuMs(server);
    for (let i = 0; i < MINUTES; i++) {
      // Minutes are compressed, not back to back: the gateway's work after a close (live
      // write-through, flushed live.flushMs later) ends before the next close, as in real time.
      await new Promise((resolve) => { setTimeout(resolve, GAP_MS); });
      await closeMinute(feed, clients, (total += DATASETS * SUBSCRIBERS));
    }
    const cpu1 = await cpuMs(server);
    const got = next(clients, 'report', (m) => (typeof m === 'object' && 'p99' in m ? m as unknown as Outcome : undefined));
    clients.send('report');
    const r = await got;
    const outcome = { ...r, cpuMsPerMinute: (cpu1 - cpu0) / MINUTES };
    console.log(`  ${label.padEnd(40)} lag p50 ${outcome.p50.toFixed(1)} ms  p99 ${outcome.p99.toFixed(1)} ms  max ${outcome.max.toFixed(1)} ms` +
      `  bars ${outcome.bars}/${MINUTES * DATASETS * SUBSCRIBERS} (per client ${outcome.minPerClient}–${outcome.maxPerClient}, out of order ${outcome.outOfOrder})` +
      `  server CPU ${outcome.cpuMsPerMinute.toFixed(0)} ms per minute of closes`);
    return outcome;
  } finally {
    await stop(clients);
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'seamless-bench-fanout-'));
  try {
    heading(`subscription fan-out over sockets: ${DATASETS} datasets × ${SUBSCRIBERS} ws subscribers, ${MINUTES} minutes of closes (+${WARMUP_MINUTES} warm-up)`);
    const feed = await startLiveWsServer();
    const seamless = new Map<Encoding, Outcome>();
    const gateway = child(SERVER, ['seamless', dir, feed.url, String(DATASETS)], true);
    try {
      // The gateway's feed subscribes every dataset before the subscribers come.
      await new Promise<void>((resolve, reject) => {
        const deadline = performance.now() + DEADLINE_MS;
        const poll = setInterval(() => {
          if (feed.received.length >= DATASETS) { clearInterval(poll); resolve(); } else if (performance.now() > deadline) { clearInterval(poll); reject(new RangeError(`feed subscriptions: ${feed.received.length}/${DATASETS}`)); }
        }, 50);
      });
      const url = await urlOf(gateway);
      for (const e of ENCODINGS) seamless.set(e, await run(`Seamless gateway, ${e}`, e === 'arrow' ? `${url}&encoding=arrow` : url, gateway, feed));
    } finally {
      await stop(gateway);
    }
    await feed.close();
    const feed2 = await startLiveWsServer();
    const minimal = new Map<Encoding, Outcome>();
    const baseline = child(SERVER, ['minimal', feed2.url], true);
    try {
      const url = await urlOf(baseline);
      for (const e of ENCODINGS) minimal.set(e, await run(`minimal ws server (baseline), ${e}`, e === 'arrow' ? `${url}?encoding=arrow` : url, baseline, feed2));
    } finally {
      await stop(baseline);
      await feed2.close();
    }
    const expected = MINUTES * DATASETS * SUBSCRIBERS;
    const perBarUs = (o: Outcome): number => (o.cpuMsPerMinute * 1000) / (DATASETS * SUBSCRIBERS);
    for (const e of new Set(ENCODINGS)) {
      const a = seamless.get(e) as Outcome;
      const b = minimal.get(e) as Outcome;
      record(`stream fan-out over sockets: delivery lag p99 (feed send → subscriber receive), ${LABEL[e]}`, a.p99, 'ms', { baseline: b.p99, goal: { max: 50 } });
      record(`stream fan-out over sockets: delivery lag p50, ${LABEL[e]}`, a.p50, 'ms', { baseline: b.p50 });
      // No ratio goal: with batched frames the baseline's per-subscriber work is one send per burst,
      // and Seamless's figure also holds work the baseline does not do (live write-through to storage).
      record(`stream fan-out over sockets: server CPU per bar per subscriber, ${LABEL[e]}`, perBarUs(a), 'µs', { baseline: perBarUs(b) });
      record(`stream fan-out over sockets: bars delivered (of expected), ${LABEL[e]}`, a.bars / expected, 'x', { baseline: b.bars / expected, goal: { min: 1 } });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
