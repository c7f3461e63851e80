/**
 * Idle memory of a started gateway, as users start it: `node bin/seamless.js serve` in an empty
 * directory (embedded defaults, demo datasets, DuckDB file under ./.seamless), ready, one small
 * read (an hour of 1m bars), then idle. Its resident set (VmRSS from /proc/<pid>/status, read
 * from outside) is taken twice: `--idle-ms` (5 s) after the read, and settled, the lowest sample
 * of the last 5 s of `--settle-ms` (30 s) of idling, once V8's memory reducer has shrunk the young
 * generation that start-up grew (it waits for about 8 s of idleness). Each is compared with the baseline: a minimal `node:http` + `@duckdb/node-api` server
 * (bench/load/idle-rss-baseline.mjs) opening the same file and answering the same read. The
 * gateway's own /metrics gives the V8 heap and external figures beside it. Runs interleave
 * (gateway, baseline, gateway, …); min/median/max of each, the ratio of the medians and the goal
 * (idle RSS ≤ 150 MiB, issue 14, on the settled figure). Measures; never asserts.
 *
 *   npx tsx bench/load/idle-rss.bench.ts [path/to/bin/seamless.js] [--runs N] [--idle-ms MS] [--settle-ms MS]
 *
 * The binary defaults to this tree's launcher; pass another (an older tree's bin/seamless.js, a
 * bundle) to measure it with the same driver. Linux only (/proc).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { record } from '../harness.js';

const GOAL_MIB = 150;
const MIB = 2 ** 20;
const HOUR = { start: '2024-01-01T00:00:00Z', end: '2024-01-01T01:00:00Z' } as const;

const args = process.argv.slice(2);
function flag(name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(args[i + 1]);
  args.splice(i, 2);
  return value;
}
const runs = flag('--runs', 3);
const idleMs = flag('--idle-ms', 5_000);
const settleMs = flag('--settle-ms', 30_000);
const bin = resolve(args[0] ?? fileURLToPath(new URL('../../bin/seamless.js', import.meta.url)));
const baselineScript = fileURLToPath(new URL('./idle-rss-baseline.mjs', import.meta.url));

interface Child {
  readonly proc: ChildProcess;
  out: string;
  err: string;
}

function start(argv: readonly string[], cwd: string): Child {
  const proc = spawn(process.execPath, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const child: Child = { proc, out: '', err: '' };
  proc.stdout?.on('data', (c: Buffer) => { child.out += c.toString('utf8'); });
  proc.stderr?.on('data', (c: Buffer) => { child.err += c.toString('utf8'); });
  return child;
}

async function pause(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

async function waitFor<T>(what: string, child: Child, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) throw new Error(`${what}: the process exited (${child.proc.exitCode ?? child.proc.signalCode}): ${child.err.slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; stderr: ${child.err.slice(-2000)}`);
    await pause(50);
  }
}

async function stop(child: Child, signal: NodeJS.Signals): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  const exited = new Promise((r) => child.proc.once('exit', r));
  child.proc.kill(signal);
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

function vmRss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m === null ? Number.NaN : Number(m[1]);
}

/** RSS `idleMs` after the read, and settled: the lowest of the last 5 s of `settleMs` (sampled each second). */
interface IdleRss { early: number; settled: number }

async function idleRss(pid: number): Promise<IdleRss> {
  await pause(idleMs);
  const early = vmRss(pid);
  const samples: number[] = [];
  for (let waited = idleMs; waited < settleMs; waited += 1_000) {
    await pause(1_000);
    samples.push(vmRss(pid));
  }
  return { early, settled: samples.length === 0 ? early : Math.min(...samples.slice(-5)) };
}

interface GatewayFigures { rss: IdleRss; heapUsed: number; heapTotal: number; external: number; dbFile: string; dir: string }

async function runGateway(): Promise<GatewayFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'seamless-idle-rss-'));
  const child = start([bin, 'serve', '--port', '0'], dir);
  try {
    const url = await waitFor('gateway listening', child, () => /listening on (http:\/\/\S+)/.exec(child.out)?.[1]);
    const dataDir = await waitFor('data dir', child, () => /\(data dir ([^)]+)\)/.exec(child.out)?.[1]);
    await waitFor('readyz 200', child, async () => ((await get(`${url}/readyz`)).status === 200 ? true : undefined));
    const read = await get(`${url}/v1/bars?node=ohlcv:demo:BTC-USD&interval=1m&start=${HOUR.start}&end=${HOUR.end}`);
    if (read.status !== 200) throw new Error(`gateway read answered ${read.status}: ${read.body.slice(0, 500)}`);
    const rss = await idleRss(child.proc.pid ?? 0);
    const metrics = (await get(`${url}/metrics`)).body;
    return {
      rss,
      heapUsed: metric(metrics, 'seamless_process_nodejs_heap_size_used_bytes'),
      heapTotal: metric(metrics, 'seamless_process_nodejs_heap_size_total_bytes'),
      external: metric(metrics, 'seamless_process_nodejs_external_memory_bytes'),
      dbFile: join(dataDir, 'seamless.duckdb'),
      dir,
    };
  } finally {
    await stop(child, 'SIGTERM');
  }
}

async function runBaseline(dbFile: string, dir: string): Promise<IdleRss> {
  const child = start([baselineScript, dbFile], dir);
  try {
    const url = await waitFor('baseline listening', child, () => /listening on (http:\/\/\S+)/.exec(child.out)?.[1]);
    const read = await get(`${url}/bars?dataset=1&start=${Date.parse(HOUR.start)}&end=${Date.parse(HOUR.end)}`);
    if (read.status !== 200) throw new Error(`baseline read answered ${read.status}: ${read.body.slice(0, 500)}`);
    return await idleRss(child.proc.pid ?? 0);
  } finally {
    await stop(child, 'SIGTERM');
  }
}

function stats(values: readonly number[]): { min: number; median: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  return { min: s[0] ?? Number.NaN, median: s[Math.floor(s.length / 2)] ?? Number.NaN, max: s[s.length - 1] ?? Number.NaN };
}

function mib(bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MiB`;
}

// The launcher bundles the sources on the first start after an edit (esbuild, in its own
// process): build it now, so no measured run carries the bundler's memory.
await new Promise<void>((done, fail) => {
  const warm = spawn(process.execPath, [bin, '--version'], { stdio: 'ignore' });
  warm.once('error', fail);
  warm.once('exit', (code) => (code === 0 ? done() : fail(new Error(`${bin} --version exited ${code}`))));
});
const gateway: GatewayFigures[] = [];
const baseline: IdleRss[] = [];
console.log(`gateway ${bin}; ${runs} runs; RSS ${idleMs} ms after one 1-hour read, and settled (lowest of the last 5 s of ${settleMs} ms idle)`);
for (let run = 0; run < runs; run++) {
  const g = await runGateway();
  try {
    gateway.push(g);
    baseline.push(await runBaseline(g.dbFile, g.dir));
  } finally {
    await rm(g.dir, { recursive: true, force: true });
  }
  const b = baseline[run];
  console.log(`  run ${run + 1}: gateway ${mib(g.rss.early)} → ${mib(g.rss.settled)} (heap used ${mib(g.heapUsed)} of ${mib(g.heapTotal)}, external ${mib(g.external)}), baseline ${mib(b?.early ?? Number.NaN)} → ${mib(b?.settled ?? Number.NaN)}`);
}
const line = (name: string, s: { min: number; median: number; max: number }): string =>
  `  ${name.padEnd(52)} min ${mib(s.min).padStart(10)}  median ${mib(s.median).padStart(10)}  max ${mib(s.max).padStart(10)}`;
const gEarly = stats(gateway.map((x) => x.rss.early));
const bEarly = stats(baseline.map((x) => x.early));
const g = stats(gateway.map((x) => x.rss.settled));
const b = stats(baseline.map((x) => x.settled));
console.log(line(`RSS ${idleMs} ms after the read, seamless serve`, gEarly));
console.log(line(`RSS ${idleMs} ms after the read, node:http + DuckDB`, bEarly));
console.log(line('idle RSS (settled), seamless serve (defaults)', g));
console.log(line('idle RSS (settled), node:http + @duckdb/node-api', b));
console.log(`  settled: ratio ${(g.median / b.median).toFixed(2)}; above the baseline ${mib(g.median - b.median)}. V8 shrinks its young generation (16 MiB semi-spaces after start-up) only when its memory reducer finds the process idle, about 8 s or more after the last work`);
// Into the summary table and `--json` (the figures in MiB, against the baseline server's).
record(`RSS ${idleMs} ms after a read, seamless serve vs node:http + @duckdb/node-api`, gEarly.median / MIB, 'MiB', { baseline: bEarly.median / MIB });
record('idle RSS (settled), seamless serve (defaults) vs node:http + @duckdb/node-api', g.median / MIB, 'MiB', { baseline: b.median / MIB, goal: { max: GOAL_MIB } });
