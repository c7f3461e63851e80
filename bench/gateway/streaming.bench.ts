/**
 * GET /v1/bars end to end over loopback HTTP, 100k and 1M one-minute bars, per format, from a
 * gateway in its own process (bench/gateway/streaming-server.ts): storage hits (response cache off)
 * and cache hits, and the Arrow baseline, a minimal node:http + @duckdb/node-api + apache-arrow
 * server over the same DuckDB file. Per variant: median wall time of the whole request (client has
 * every byte), rows/s, time to first body byte, body size, and the server's peak RSS above its RSS
 * just before the request (VmHWM reset through /proc/<pid>/clear_refs). Never asserts a time.
 * Run: npx tsx bench/gateway/streaming.bench.ts [--runs N]
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const NODE = 'ohlcv:demo:BTC-USD';
const START = Date.UTC(2020, 0, 1);
const MIN = 60_000;
const SIZES = [100_000, 1_000_000] as const;
const FORMATS = ['arrow', 'json', 'csv'] as const;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const SERVER = new URL('./streaming-server.ts', import.meta.url).pathname;

interface Server { readonly child: ChildProcess; readonly url: string }

async function startServer(args: readonly string[]): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /url (\S+)/.exec(out);
      if (m !== null) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new RangeError(`server exited with ${String(code)} before listening`)));
  });
  return { child, url };
}

async function stopServer(s: Server): Promise<void> {
  const exited = new Promise((resolve) => s.child.once('exit', resolve));
  s.child.kill('SIGTERM');
  await exited;
}

function status(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? Number.NaN : Number(m[1]) * 1024;
}

interface Get { readonly ms: number; readonly firstByteMs: number; readonly bytes: number; readonly peakAboveIdle: number }

function get(server: Server, path: string): Promise<Get> {
  const pid = server.child.pid ?? 0;
  const idle = status(pid, 'VmRSS');
  writeFileSync(`/proc/${pid}/clear_refs`, '5'); // resets VmHWM to the current RSS
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = Number.NaN;
    let bytes = 0;
    const req = request(`${server.url}${path}`, (res) => {
      res.on('data', (d: Buffer) => {
        if (bytes === 0) first = performance.now() - t0;
        bytes += d.length;
      });
      res.on('end', () => {
        const ms = performance.now() - t0;
        if (res.statusCode !== 200) reject(new RangeError(`${path}: HTTP ${String(res.statusCode)}`));
        else resolve({ ms, firstByteMs: first, bytes, peakAboveIdle: status(pid, 'VmHWM') - idle });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (b: number): string => `${(b / 1e6).toFixed(1)} MB`;

async function series(server: Server, label: string, path: string, rows: number): Promise<number> {
  await get(server, path); // warm-up (and, for cache hits, the fill)
  const runs: Get[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await get(server, path));
  const ms = median(runs.map((r) => r.ms));
  const peak = Math.max(...runs.map((r) => r.peakAboveIdle));
  const body = runs[0].bytes;
  console.log(`  ${label.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms (min ${Math.min(...runs.map((r) => r.ms)).toFixed(0)}, max ${Math.max(...runs.map((r) => r.ms)).toFixed(0)})` +
    `  ${(rows / (ms / 1000) / 1e6).toFixed(2)} M rows/s  first byte ${median(runs.map((r) => r.firstByteMs)).toFixed(0)} ms` +
    `  body ${mb(body)}  peak RSS +${mb(peak)} (${(peak / body).toFixed(2)}× body)`);
  return ms;
}

const barsPath = (rows: number, format: string): string =>
  `/v1/bars?node=${encodeURIComponent(NODE)}&interval=1m&start=${START}&end=${START + rows * MIN}&format=${format}&strategy=auto_backfill`;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'seamless-bench-stream-'));
  const medians = new Map<string, number>();
  try {
    for (const cache of ['off', 'on'] as const) {
      const server = await startServer(['seamless', dir, cache]);
      try {
        console.log(`\nSeamless gateway, response cache ${cache} (${cache === 'off' ? 'storage hits' : 'cache hits'})`);
        for (const rows of SIZES) {
          for (const format of FORMATS) medians.set(`${cache} ${rows} ${format}`, await series(server, `${rows.toLocaleString('en')} bars ${format}`, barsPath(rows, format), rows));
        }
      } finally {
        await stopServer(server);
      }
    }
    const minimal = await startServer(['minimal', dir]);
    try {
      console.log('\nminimal node:http + @duckdb/node-api + apache-arrow server (Arrow)');
      for (const rows of SIZES) {
        const path = `/bars?node=${encodeURIComponent(NODE)}&interval_ms=${MIN}&start=${START}&end=${START + rows * MIN}`;
        medians.set(`minimal ${rows}`, await series(minimal, `${rows.toLocaleString('en')} bars arrow`, path, rows));
      }
    } finally {
      await stopServer(minimal);
    }
    console.log('\nratios (median)');
    for (const rows of SIZES) {
      const m = medians.get(`minimal ${rows}`) ?? Number.NaN;
      for (const cache of ['off', 'on'] as const) {
        const arrow = medians.get(`${cache} ${rows} arrow`) ?? Number.NaN;
        const json = medians.get(`${cache} ${rows} json`) ?? Number.NaN;
        console.log(`  ${rows.toLocaleString('en')} bars, cache ${cache}: Arrow / minimal server ${(arrow / m).toFixed(2)} (goal ≤ 1.05 at 1M)` +
          `   JSON / Arrow ${(json / arrow).toFixed(1)}× (goal ≥ 10 at 100k)`);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
