/**
 * Idle memory of a started gateway, as users start it: `node bin/seamless.js serve` in an empty
 * directory (embedded defaults, demo datasets, DuckDB file under ./.seamless), ready, one small
 * read (an hour of 1m bars), then idle. Its resident set (VmRSS from /proc/<pid>/status, read
 * from outside) is compared with the baseline: a minimal `node:http` + `@duckdb/node-api` server
 * (bench/load/idle-rss-baseline.mjs) opening the same file and answering the same read. The
 * gateway's own /metrics gives the V8 heap and external figures beside it. Runs interleave
 * (gateway, baseline, gateway, …); min/median/max of each, the ratio of the medians and the goal
 * (idle RSS ≤ 150 MiB, issue 14). Measures; never asserts.
 *
 *   npx tsx bench/load/idle-rss.bench.ts [path/to/bin/seamless.js] [--runs N] [--idle-ms MS]
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

interface GatewayFigures { rss: number; heapUsed: number; heapTotal: number; external: number; dbFile: string; dir: string }

async function runGateway(): Promise<GatewayFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'seamless-idle-rss-'));
  const child = start([bin, 'serve', '--port', '0'], dir);
  try {
    const url = await waitFor('gateway listening', child, () => /listening on (http:\/\/\S+)/.exec(child.out)?.[1]);
    const dataDir = await waitFor('data dir', child, () => /\(data dir ([^)]+)\)/.exec(child.out)?.[1]);
    await waitFor('readyz 200', child, async () => ((await get(`${url}/readyz`)).status === 200 ? true : undefined));
    const read = await get(`${url}/v1/bars?node=ohlcv:demo:BTC-USD&interval=1m&start=${HOUR.start}&end=${HOUR.end}`);
    if (read.status !== 200) throw new Error(`gateway read answered ${read.status}: ${read.body.slice(0, 500)}`);
    await pause(idleMs);
    const rss = vmRss(child.proc.pid ?? 0);
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

async function runBaseline(dbFile: string, dir: string): Promise<number> {
  const child = start([baselineScript, dbFile], dir);
  try {
    const url = await waitFor('baseline listening', child, () => /listening on (http:\/\/\S+)/.exec(child.out)?.[1]);
    const read = await get(`${url}/bars?dataset=1&start=${Date.parse(HOUR.start)}&end=${Date.parse(HOUR.end)}`);
    if (read.status !== 200) throw new Error(`baseline read answered ${read.status}: ${read.body.slice(0, 500)}`);
    await pause(idleMs);
    return vmRss(child.proc.pid ?? 0);
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

const gateway: GatewayFigures[] = [];
const baseline: number[] = [];
console.log(`gateway ${bin}; ${runs} runs, ${idleMs} ms idle after one 1-hour read`);
for (let run = 0; run < runs; run++) {
  const g = await runGateway();
  try {
    gateway.push(g);
    baseline.push(await runBaseline(g.dbFile, g.dir));
  } finally {
    await rm(g.dir, { recursive: true, force: true });
  }
  console.log(`  run ${run + 1}: gateway ${mib(g.rss)} (heap used ${mib(g.heapUsed)} of ${mib(g.heapTotal)}, external ${mib(g.external)}), baseline ${mib(baseline[run] ?? Number.NaN)}`);
}
const g = stats(gateway.map((x) => x.rss));
const b = stats(baseline);
const line = (name: string, s: { min: number; median: number; max: number }): string =>
  `  ${name.padEnd(44)} min ${mib(s.min).padStart(10)}  median ${mib(s.median).padStart(10)}  max ${mib(s.max).padStart(10)}`;
console.log(line('idle RSS, seamless serve (defaults)', g));
console.log(line('idle RSS, node:http + @duckdb/node-api', b));
console.log(`  ratio ${(g.median / b.median).toFixed(2)}; above the baseline ${mib(g.median - b.median)}`);
// Into the summary table and `--json` (the figure in MiB, against the baseline server's).
record('idle RSS, seamless serve (defaults) vs node:http + @duckdb/node-api', g.median / MIB, 'MiB', { baseline: b.median / MIB, goal: { max: GOAL_MIB } });
