/**
 * The two servers of the HTTP benches, side by side over the same bars: a `seamless serve`
 * child (bin/seamless.js, default configuration but a data dir, as an operator runs it) and the
 * minimal hand-written server (bench/baselines/minimal-server.ts) over a byte copy of the
 * gateway's DuckDB file. `prepareServers` stores `bars` one-minute bars of the demo dataset
 * first (in process, then closed), copies the file, starts both and returns their URLs, pids
 * and a `stop` that kills both and removes the temp dir. Also: RSS of a pid, HTTP helpers.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSeamless } from '../../src/app/index.js';
import { silentLogger } from '../../src/observability/index.js';

export const NODE = 'ohlcv:demo:BTC-USD';
export const MIN = 60_000;
export const START = Date.UTC(2022, 0, 1);

export interface Servers {
  readonly gateway: { readonly url: string; readonly pid: number };
  readonly minimal: { readonly url: string; readonly pid: number };
  readonly dir: string;
  stop(): Promise<void>;
}

const MINIMAL = fileURLToPath(new URL('../baselines/minimal-server.ts', import.meta.url));
/** bin/seamless.js, as an operator runs it (test/harness/seamless-processes.ts needs vitest). */
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SEAMLESS_BIN = fileURLToPath(new URL('../../bin/seamless.js', import.meta.url));

interface Child {
  readonly url: string;
  readonly pid: number;
  kill(): Promise<void>;
}

/** Spawns `node …args`, waits for its "listening on <url>" line (deadline 120 s), and returns it with a kill. */
async function startChild(name: string, args: readonly string[], cwd: string, register: (c: Child) => void): Promise<Child> {
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
  child.stderr.on('data', (c: Buffer) => { err += c.toString('utf8'); });
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  register({ url: '', pid: child.pid ?? 0, kill });
  const deadline = Date.now() + 120_000;
  for (;;) {
    const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
    if (url !== undefined) return { url, pid: child.pid ?? 0, kill };
    if (child.exitCode !== null || Date.now() > deadline) throw new RangeError(`${name} did not start: ${err.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stores `bars` bars from START (shards of 10,000 bars: the fill is setup, not measured). */
async function fill(dir: string, bars: number): Promise<void> {
  const seamless = await createSeamless({ overrides: { dataDir: dir, seamless: { backfill: { barsPerShard: 10_000 } } }, env: {}, logger: silentLogger() });
  try {
    const job = await seamless.backfill({ nodeId: NODE, interval: '1m', start: START, end: START + bars * MIN });
    const status = await seamless.waitBackfill(job.id);
    if (status.state !== 'completed') throw new RangeError(`bench fill: backfill ended ${status.state}`);
  } finally {
    await seamless.close();
  }
}

export async function prepareServers(bars: number): Promise<Servers> {
  const dir = await mkdtemp(join(tmpdir(), 'seamless-bench-http-'));
  const children: Child[] = [];
  // Killed by a signal (Ctrl-C, a timeout): no child and no temp dir outlives the bench.
  const onSignal = (signal: NodeJS.Signals): void => {
    for (const c of children) {
      try { process.kill(c.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    rmSync(dir, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const stop = async (): Promise<void> => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const c of children) await c.kill();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const t0 = Date.now();
    await fill(dir, bars);
    console.log(`  (setup: ${bars.toLocaleString('en-US')} bars stored in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    await copyFile(join(dir, 'seamless.duckdb'), join(dir, 'minimal.duckdb'));
    const config = join(dir, 'seamless.yml');
    await writeFile(config, `dataDir: ${JSON.stringify(dir)}\nlogging: { level: warn }\n`);
    const register = (c: Child): void => { children.push(c); };
    const gw = await startChild('gateway', [SEAMLESS_BIN, 'serve', '--port', '0', '--config', config], dir, register);
    const minimal = await startChild('minimal server', ['--import', 'tsx', MINIMAL, join(dir, 'minimal.duckdb'), NODE, String(MIN)], REPO, register);
    return { gateway: { url: gw.url, pid: gw.pid }, minimal: { url: minimal.url, pid: minimal.pid }, dir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Resident set size of `pid` in bytes (Linux /proc). */
export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  if (kb === undefined) throw new RangeError(`no VmRSS for pid ${pid}`);
  return Number(kb) * 1024;
}

/** GETs `url`, reads the whole body, and returns its byte count; a non-200 throws with the body's start. */
export async function getBytes(url: string): Promise<number> {
  const res = await fetch(url);
  const body = await res.arrayBuffer();
  if (res.status !== 200) throw new RangeError(`GET ${url}: ${res.status} ${Buffer.from(body).toString('utf8').slice(0, 300)}`);
  return body.byteLength;
}

export function gatewayBars(url: string, start: number, end: number, format: string, extra = ''): string {
  return `${url}/v1/bars?node=${encodeURIComponent(NODE)}&interval=1m&start=${start}&end=${end}&format=${format}${extra}`;
}

export function minimalBars(url: string, start: number, end: number, format: string): string {
  return `${url}/bars?start=${start}&end=${end}&format=${format}`;
}
