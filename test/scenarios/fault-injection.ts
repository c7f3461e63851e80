/**
 * The fault-injection fixture of the scenarios (the migration guide's `seamless_fault_injection`):
 * one owner for every fault a scenario injects, each on a bounded, deterministic schedule, and
 * every one undone by `teardown()` (proxies closed, stopped processes continued, etcd members
 * and PostgreSQL started again, timers cleared).
 *
 *   const faults = createFaults();
 *   const upstream = await faults.httpProxy(exchange.url);          // point ccxt at upstream.url
 *   upstream.delay({ at: 3, times: 3, ms: 2_000 });                 // requests 3–5 wait 2 s
 *   upstream.fail({ at: 6, times: 2, status: 429, headers: { 'retry-after': '1' } });
 *   const wire = await faults.tcpProxy(coordinatorPort);            // any TCP client → server
 *   wire.corrupt({ direction: 'down', at: 2, times: 1, mode: 'truncate' });
 *   faults.kill(importer, { afterMs: 500 });                        // kill -9 after 500 ms
 *   await faults.pause(worker, { durationMs: 3_000 });              // SIGSTOP, SIGCONT after 3 s
 *   await faults.cutEtcdMember(cluster, 0, { durationMs: 5_000 });  // killed, restarted after 5 s
 *   await faults.stopPostgres(pg);                                  // halted until restore/teardown
 *   await faults.teardown();                                        // in afterEach / afterAll
 *
 * A schedule counts events (requests matching `path`, chunks in one direction) from 1: the
 * fault applies to events `at` … `at + times − 1` (`at` defaults to the next event, `times` to
 * 1). Process faults start at once or after `afterMs` (an owned timer) and last until restored,
 * `durationMs`, or teardown. Nothing is random: the same traffic meets the same faults.
 */
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer } from 'node:net';
import type { Socket } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import type { EtcdCluster } from '../harness/etcd-cluster.js';
import type { PostgresServer } from '../harness/postgres-server.js';

/** Which counted events a fault applies to: `at` … `at + times − 1` (1-based). */
export interface Schedule {
  readonly at?: number;
  readonly times?: number;
}

/** A schedule resolved against the events counted so far: `at` absolute, `times` bounded. */
export interface Window {
  readonly from: number;
  readonly to: number;
}

/** The window of `schedule` given `seen` events so far (default: the next one, once). */
export function windowOf(schedule: Schedule, seen: number): Window {
  const from = schedule.at ?? seen + 1;
  const times = schedule.times ?? 1;
  if (!Number.isInteger(from) || from < 1) throw new RangeError(`schedule.at must be an integer ≥ 1 (got ${from})`);
  if (!Number.isInteger(times) || times < 1) throw new RangeError(`schedule.times must be an integer ≥ 1 (got ${times})`);
  return { from, to: from + times - 1 };
}

export function inWindow(w: Window, n: number): boolean {
  return n >= w.from && n <= w.to;
}

export interface DelayFault extends Schedule { readonly path?: string; readonly ms: number }
export interface FailFault extends Schedule {
  readonly path?: string;
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface ProxiedRequest {
  /** 1-based, per path. */
  readonly n: number;
  readonly path: string;
  readonly fault: 'none' | 'delay' | 'fail';
  readonly status: number;
}

/** An HTTP proxy in front of an upstream (e.g. the fake exchange): delays or fails requests on schedule. */
export interface HttpFaultProxy {
  /** http://127.0.0.1:PORT: use it where the upstream's base URL goes. */
  readonly url: string;
  readonly requests: readonly ProxiedRequest[];
  /** Delays the scheduled requests to `path` (every path when absent) by `ms` before forwarding. */
  delay(fault: DelayFault): void;
  /** Answers the scheduled requests to `path` with `status` without forwarding them. */
  fail(fault: FailFault): void;
}

export type Direction = 'up' | 'down';
export interface CorruptFault extends Schedule {
  /** `up`: client → server; `down`: server → client. Chunks are counted per direction. */
  readonly direction: Direction;
  /** `flip`: every byte XOR 0xff; `truncate`: half the chunk, then the connection is cut; `delay`: held `ms`. */
  readonly mode: 'flip' | 'truncate' | 'delay';
  readonly ms?: number;
}

/** A TCP proxy between a client and a server that corrupts, truncates or delays chunks on schedule. */
export interface TcpFaultProxy {
  readonly port: number;
  /** Chunks seen per direction. */
  chunks(direction: Direction): number;
  corrupt(fault: CorruptFault): void;
}

/** A process the fixture can signal: a ChildProcess or anything holding one (SeamlessProcess). */
export type Target = ChildProcess | { readonly process: ChildProcess };

export interface Faults {
  httpProxy(upstream: string): Promise<HttpFaultProxy>;
  tcpProxy(target: { readonly host?: string; readonly port: number }): Promise<TcpFaultProxy>;
  /** kill -9, now or after `afterMs`; resolves once the signal is sent. */
  kill(target: Target, options?: { readonly afterMs?: number }): Promise<void>;
  /** SIGSTOP now; SIGCONT after `durationMs`, on `restore()` or at teardown. */
  pause(target: Target, options?: { readonly durationMs?: number }): Promise<{ restore(): Promise<void> }>;
  /** Kills (or SIGSTOPs) one etcd member; restarted (continued) after `durationMs`, on `restore()` or at teardown. */
  cutEtcdMember(cluster: EtcdCluster, member: number, options?: { readonly signal?: 'SIGKILL' | 'SIGSTOP'; readonly durationMs?: number }): Promise<{ restore(): Promise<void> }>;
  /** Halts PostgreSQL (immediate shutdown); started again after `durationMs`, on `restore()` or at teardown. */
  stopPostgres(server: PostgresServer, options?: { readonly durationMs?: number }): Promise<{ restore(): Promise<void> }>;
  /** Undoes every fault still in place, closes the proxies and clears the timers; idempotent. */
  teardown(): Promise<void>;
}

function childOf(target: Target): ChildProcess {
  return 'process' in target ? target.process : target;
}

function signal(target: Target, sig: NodeJS.Signals): void {
  const child = childOf(target);
  if (child.exitCode === null && child.signalCode === null) child.kill(sig);
}

export function createFaults(): Faults {
  const timers = new Set<NodeJS.Timeout>();
  const undo = new Set<() => Promise<void>>();
  const closers: Array<() => Promise<void>> = [];

  const later = (ms: number, action: () => void): void => {
    const t = setTimeout(() => { timers.delete(t); action(); }, ms);
    timers.add(t);
  };
  const wait = (ms: number): Promise<void> => new Promise((resolve) => later(ms, resolve));

  /** Registers `restore` for teardown, runs it once after `durationMs` if given; returns the handle. */
  function undoable(restore: () => Promise<void>, durationMs: number | undefined): { restore(): Promise<void> } {
    let done: Promise<void> | undefined;
    const once = (): Promise<void> => {
      undo.delete(once);
      done ??= restore();
      return done;
    };
    undo.add(once);
    if (durationMs !== undefined) later(durationMs, () => { void once().catch(() => undefined); }); // a failure shows at teardown's await
    return { restore: once };
  }

  return {
    async httpProxy(upstream) {
      const proxy = await startHttpProxy(upstream, wait);
      closers.push(proxy.close);
      return proxy.api;
    },
    async tcpProxy(target) {
      const proxy = await startTcpProxy(target.host ?? '127.0.0.1', target.port, later);
      closers.push(proxy.close);
      return proxy.api;
    },
    async kill(target, options = {}) {
      if (options.afterMs !== undefined) await wait(options.afterMs);
      signal(target, 'SIGKILL');
    },
    async pause(target, options = {}) {
      signal(target, 'SIGSTOP');
      return undoable(async () => signal(target, 'SIGCONT'), options.durationMs);
    },
    async cutEtcdMember(cluster, member, options = {}) {
      const sig = options.signal ?? 'SIGKILL';
      if (sig === 'SIGKILL') {
        await cluster.kill(member);
        return undoable(() => cluster.restart(member), options.durationMs);
      }
      const pid = cluster.members()[member].pid;
      if (pid === undefined) throw new RangeError(`etcd member ${member} is not running`);
      process.kill(pid, 'SIGSTOP');
      return undoable(async () => { process.kill(pid, 'SIGCONT'); }, options.durationMs);
    },
    async stopPostgres(server, options = {}) {
      await server.halt();
      return undoable(() => server.start(), options.durationMs);
    },
    async teardown() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const failures: unknown[] = [];
      for (const restore of [...undo].reverse()) await restore().catch((e: unknown) => { failures.push(e); });
      for (const close of closers.splice(0).reverse()) await close().catch((e: unknown) => { failures.push(e); });
      if (failures.length > 0) throw new AggregateError(failures, 'fault teardown: some faults could not be undone');
    },
  };
}

interface Started<T> { readonly api: T; close(): Promise<void> }

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

async function startHttpProxy(upstream: string, wait: (ms: number) => Promise<void>): Promise<Started<HttpFaultProxy>> {
  const base = new URL(upstream);
  const delays: Array<{ path?: string; w: Window; ms: number }> = [];
  const fails: Array<FailFault & { w: Window }> = [];
  const counts = new Map<string, number>();
  const all: ProxiedRequest[] = [];
  const seen = (path: string | undefined): number => (path === undefined ? all.length : counts.get(path) ?? 0);
  const applies = (f: { path?: string; w: Window }, path: string, nPath: number, nAll: number): boolean =>
    f.path === undefined ? inWindow(f.w, nAll) : f.path === path && inWindow(f.w, nPath);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', base).pathname;
    const nPath = (counts.get(path) ?? 0) + 1;
    counts.set(path, nPath);
    const nAll = all.length + 1;
    const entry = { n: nPath, path, fault: 'none' as ProxiedRequest['fault'], status: 0 };
    all.push(entry);
    const delay = delays.find((d) => applies(d, path, nPath, nAll));
    const fail = fails.find((f) => applies(f, path, nPath, nAll));
    if (delay !== undefined) { entry.fault = 'delay'; await wait(delay.ms); }
    if (fail !== undefined) {
      entry.fault = 'fail';
      entry.status = fail.status;
      res.writeHead(fail.status, { 'content-type': 'application/json', ...fail.headers });
      res.end(fail.body ?? JSON.stringify({ code: -1, msg: `injected ${fail.status}` }));
      return;
    }
    const forward = httpRequest({ host: base.hostname, port: base.port, method: req.method, path: req.url, headers: { ...req.headers, host: base.host } }, (answer) => {
      entry.status = answer.statusCode ?? 0;
      res.writeHead(entry.status, answer.headers);
      answer.pipe(res);
    });
    forward.once('error', (error) => { entry.status = 502; res.writeHead(502).end(`proxy: upstream ${base.host}: ${error.message}`); });
    req.pipe(forward);
  }

  const server = createHttpServer((req, res) => { void handle(req, res).catch((error: unknown) => res.destroy(error instanceof Error ? error : undefined)); });
  const port = await listen(server);
  return {
    api: {
      url: `http://127.0.0.1:${port}`,
      requests: all,
      delay(f) { delays.push({ path: f.path, ms: f.ms, w: windowOf(f, seen(f.path)) }); },
      fail(f) { fails.push({ ...f, w: windowOf(f, seen(f.path)) }); },
    },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

async function startTcpProxy(host: string, port: number, later: (ms: number, action: () => void) => void): Promise<Started<TcpFaultProxy>> {
  const counts: Record<Direction, number> = { up: 0, down: 0 };
  const faults: Array<CorruptFault & { w: Window }> = [];
  const sockets = new Set<Socket>();

  const pipe = (from: Socket, to: Socket, direction: Direction): void => {
    let held = Promise.resolve(); // keeps chunk order when one is delayed
    from.on('data', (chunk: Buffer) => {
      counts[direction] += 1;
      const n = counts[direction];
      const fault = faults.find((f) => f.direction === direction && inWindow(f.w, n));
      if (fault?.mode === 'flip') { for (let i = 0; i < chunk.length; i++) chunk[i] ^= 0xff; }
      if (fault?.mode === 'truncate') { to.end(chunk.subarray(0, chunk.length >> 1)); from.destroy(); return; }
      const ms = fault?.mode === 'delay' ? fault.ms ?? 1_000 : 0;
      held = held.then(() => new Promise<void>((resolve) => (ms > 0 ? later(ms, resolve) : resolve()))).then(() => { if (!to.destroyed) to.write(chunk); });
    });
    from.once('end', () => { void held.then(() => to.end()); });
    from.once('error', () => to.destroy()); // the peer goes too, as on a real cut
  };

  const server = createTcpServer((client) => {
    const upstream = connect(port, host);
    for (const s of [client, upstream]) { sockets.add(s); s.once('close', () => sockets.delete(s)); }
    pipe(client, upstream, 'up');
    pipe(upstream, client, 'down');
  });
  const listening = await listen(server);
  return {
    api: {
      port: listening,
      chunks: (direction) => counts[direction],
      corrupt(f) { faults.push({ ...f, w: windowOf(f, counts[f.direction]) }); },
    },
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}
