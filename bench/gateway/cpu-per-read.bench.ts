/**
 * Gateway CPU per read, for the capacity plan: 16 clients reading 1,440-bar days (Arrow and
 * JSON) from a `seamless serve` child (default configuration), as cache hits (the same day) and
 * storage hits (a fresh `world` per request keys the response cache, different stored days); the
 * baseline is the minimal hand-written server (bench/baselines/minimal-server.ts, no cache) over
 * a copy of the same DuckDB file, same requests. The figure is CPU time the server process spent
 * (utime + stime from /proc/<pid>/stat) divided by the requests it answered: on a shared,
 * loaded machine CPU time per read is far steadier than wall time, and cores ÷ CPU per read is
 * what one gateway can serve when CPU is its bound. Wall req/s is printed alongside. Never
 * asserts. Run: node --expose-gc --import tsx bench/gateway/cpu-per-read.bench.ts
 */
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { heading, record } from '../harness.js';
import { MIN, START, gatewayBars, getBytes, minimalBars, prepareServers } from './servers.js';

const DAY = 1_440 * MIN;
const DAYS = 60;
const CLIENTS = 16;
const REQUESTS = 480;
/** Linux USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_S = 100;
let world = 0;

async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_S) * 1000;
}

interface Figures { cpuMsPerRead: number; reqPerS: number; bytes: number }

async function drive(pid: number, url: (i: number) => string): Promise<Figures> {
  let next = 0;
  let bytes = 0;
  const c0 = await cpuMs(pid);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    for (let i = next++; i < REQUESTS; i = next++) {
      const n = await getBytes(url(i)); // not `bytes += await …`: that reads `bytes` before the await
      bytes += n;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = (await cpuMs(pid)) - c0;
  return { cpuMsPerRead: cpu / REQUESTS, reqPerS: REQUESTS / seconds, bytes: bytes / REQUESTS };
}

function line(name: string, f: Figures): void {
  console.log(`  ${name.padEnd(48)} ${f.cpuMsPerRead.toFixed(2).padStart(7)} CPU ms/read   ${(1000 / f.cpuMsPerRead).toFixed(0).padStart(6)} reads/s per core   wall ${f.reqPerS.toFixed(0).padStart(5)} req/s   ${(f.bytes / 1024).toFixed(0)} KiB/answer`);
}

async function main(): Promise<void> {
  const s = await prepareServers(DAYS * 1_440);
  try {
    const day = (i: number): number => START + ((i * 7) % DAYS) * DAY;
    for (const format of ['arrow', 'json'] as const) {
      heading(`${format}: ${CLIENTS} clients, ${REQUESTS} reads of 1,440 bars each`);
      // Warm-up: every day once through each server (JIT, DuckDB buffers), and the cache-hit day.
      await drive(s.gateway.pid, (i) => gatewayBars(s.gateway.url, day(i), day(i) + DAY, format, `&world=warm-${world++}`));
      await drive(s.minimal.pid, (i) => minimalBars(s.minimal.url, day(i), day(i) + DAY, format));
      const hit = await drive(s.gateway.pid, () => gatewayBars(s.gateway.url, START, START + DAY, format));
      const miss = await drive(s.gateway.pid, (i) => gatewayBars(s.gateway.url, day(i), day(i) + DAY, format, `&world=cpu-${world++}`));
      const minimal = await drive(s.minimal.pid, (i) => minimalBars(s.minimal.url, day(i), day(i) + DAY, format));
      line(`gateway, cache hit (one day)`, hit);
      line(`gateway, storage hit (different days)`, miss);
      line(`minimal server (no cache, no checks)`, minimal);
      record(`gateway CPU per 1,440-bar ${format} read, cache hit (vs minimal server)`, hit.cpuMsPerRead, 'ms', { baseline: minimal.cpuMsPerRead });
      record(`gateway CPU per 1,440-bar ${format} read, storage hit (vs minimal server)`, miss.cpuMsPerRead, 'ms', { baseline: minimal.cpuMsPerRead });
    }
  } finally {
    await s.stop();
  }
}

await main();
