/**
 * A small load generator for scenarios and `bench/load`: N concurrent clients over Node's fetch
 * (undici) for a bounded time or count, latency recorded per kind of request (percentiles from a
 * sorted Float64Array), req/s and errors by status; a `/readyz` prober on its own keep-alive
 * socket (node:http, so it never queues behind the load's fetch pool) recording every answer's
 * latency; an RSS sampler of a child process (VmRSS of /proc/<pid>/status); and the load
 * process's own event-loop delay, so a slow probe can be told apart from a busy client.
 *
 * Nothing here asserts a time: it measures, and the caller decides what is a guard.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

export interface KindFigures {
  readonly kind: string;
  readonly requests: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Answers that were not what the kind expects, by status (`0` a network error, `timeout`, or the word a check returned). */
  readonly errors: Readonly<Record<string, number>>;
  readonly errorCount: number;
}

/** Latencies of one kind of request. */
export interface Recorder {
  readonly kind: string;
  record(ms: number, error?: string): void;
  /** Marks the start and end of the measured window (req/s divides by it). */
  begin(): void;
  end(): void;
  figures(): KindFigures;
}

/** The value at quantile `q` (0..1) of an ascending array: the smallest value with at least q of the samples at or below it. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function createRecorder(kind: string): Recorder {
  // Grows by doubling: one typed array instead of a boxed number per sample.
  let samples = new Float64Array(1024);
  let n = 0;
  let startedAt = Number.NaN;
  let endedAt = Number.NaN;
  const errors: Record<string, number> = {};
  let errorCount = 0;
  return {
    kind,
    record(ms, error) {
      if (n === samples.length) {
        const grown = new Float64Array(samples.length * 2);
        grown.set(samples);
        samples = grown;
      }
      samples[n++] = ms;
      if (error !== undefined) {
        errors[error] = (errors[error] ?? 0) + 1;
        errorCount++;
      }
    },
    begin() { startedAt = performance.now(); },
    end() { endedAt = performance.now(); },
    figures() {
      const sorted = samples.slice(0, n).sort();
      const seconds = (Number.isNaN(endedAt) ? performance.now() : endedAt) - startedAt;
      return {
        kind,
        requests: n,
        seconds: seconds / 1000,
        perSecond: seconds > 0 ? n / (seconds / 1000) : 0,
        p50Ms: quantile(sorted, 0.5),
        p99Ms: quantile(sorted, 0.99),
        maxMs: n > 0 ? sorted[n - 1] : Number.NaN,
        errors: { ...errors },
        errorCount,
      };
    },
  };
}

/** One request of the load: where, how, and what makes its answer right. */
export interface RequestSpec {
  readonly url: string;
  readonly init?: RequestInit;
  /** Statuses that are not errors for this request (default: 200). */
  readonly expect?: readonly number[];
  /** Looks at a right-status body; returns why it is wrong (a short word, recorded as the error), or undefined. */
  readonly check?: (body: Buffer) => string | undefined;
}

export interface Outcome {
  readonly status: number;
  readonly ms: number;
  readonly body: Buffer;
  readonly error: string | undefined;
}

/** Sends one request, reads the whole body, and records its latency (and error, if any) in `recorder`. */
export async function timedRequest(spec: RequestSpec, recorder?: Recorder, timeoutMs = 60_000): Promise<Outcome> {
  const t0 = performance.now();
  let status = 0;
  let body = Buffer.alloc(0);
  let error: string | undefined;
  try {
    const res = await fetch(spec.url, { ...spec.init, signal: AbortSignal.timeout(timeoutMs) });
    status = res.status;
    body = Buffer.from(await res.arrayBuffer());
    if (!(spec.expect ?? [200]).includes(status)) error = String(status);
    else if (spec.check !== undefined) error = spec.check(body);
  } catch (cause) {
    error = cause instanceof Error && cause.name === 'TimeoutError' ? 'timeout' : '0';
  }
  const ms = performance.now() - t0;
  recorder?.record(ms, error);
  return { status, ms, body, error };
}

export interface ClientsOptions {
  readonly clients: number;
  /** Stop issuing new requests after this long… */
  readonly durationMs?: number;
  /** …or after this many requests in all, whichever comes first. */
  readonly count?: number;
  /** The i-th request of the run (i counts across clients), and the recorder of its kind. */
  readonly next: (i: number) => { spec: RequestSpec; recorder: Recorder };
}

/** Runs `clients` closed-loop clients until the duration or count is reached; resolves when every client has finished its last request. */
export async function runClients(options: ClientsOptions): Promise<void> {
  const stopAt = performance.now() + (options.durationMs ?? Number.POSITIVE_INFINITY);
  const count = options.count ?? Number.POSITIVE_INFINITY;
  let issued = 0;
  const client = async (): Promise<void> => {
    while (issued < count && performance.now() < stopAt) {
      const { spec, recorder } = options.next(issued++);
      await timedRequest(spec, recorder);
    }
  };
  await Promise.all(Array.from({ length: options.clients }, () => client()));
}

export interface Prober {
  /** Stops probing, waits for the probe in flight, and returns the figures. */
  stop(): Promise<KindFigures>;
}

/*
 * The prober runs in a worker thread: the load's own JSON parsing would otherwise delay the
 * probe's timers and callbacks, and a busy client would read as a slow server. Plain JS (eval),
 * so the worker needs no loader.
 */
const PROBER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { Agent, request } = require('node:http');
const { performance } = require('node:perf_hooks');
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const target = new URL(workerData.path, workerData.baseUrl);
const ms = [];
const errors = [];
let stopped = false;
parentPort.on('message', () => { stopped = true; });
function probe() {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let done = false;
    const finish = (error) => {
      if (done) return;
      done = true;
      ms.push(performance.now() - t0);
      errors.push(error);
      resolve();
    };
    const req = request(target, { agent, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => finish(res.statusCode === 200 ? '' : String(res.statusCode)));
      res.on('error', () => finish('0'));
    });
    req.on('timeout', () => { req.destroy(); finish('timeout'); });
    req.on('error', () => finish('0'));
    req.end();
  });
}
(async () => {
  const startedAt = performance.now();
  while (!stopped) {
    const t0 = performance.now();
    await probe();
    const wait = workerData.everyMs - (performance.now() - t0);
    if (wait > 0 && !stopped) await new Promise((r) => setTimeout(r, wait));
  }
  agent.destroy();
  parentPort.postMessage({ ms, errors, seconds: (performance.now() - startedAt) / 1000 });
})();
`;

/**
 * GETs `path` of `baseUrl` every `everyMs` from a worker thread (one at a time, on one keep-alive
 * socket of its own, each with a 5 s deadline recorded as `timeout`). A non-200 is an error.
 */
export function startProber(baseUrl: string, path = '/readyz', everyMs = 75, kind = 'readyz'): Prober {
  const worker = new Worker(PROBER_SOURCE, { eval: true, workerData: { baseUrl, path, everyMs } });
  const result = new Promise<{ ms: number[]; errors: string[]; seconds: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    async stop() {
      worker.postMessage('stop');
      const r = await result;
      await worker.terminate();
      const recorder = createRecorder(kind);
      for (let i = 0; i < r.ms.length; i++) recorder.record(r.ms[i], r.errors[i] === '' ? undefined : r.errors[i]);
      const f = recorder.figures();
      return { ...f, seconds: r.seconds, perSecond: r.seconds > 0 ? f.requests / r.seconds : 0 };
    },
  };
}

/** VmRSS of a process in bytes, or undefined once it is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined; // the process exited: no figure (the caller checks liveness separately)
  }
}

export interface RssSampler {
  /** Largest RSS seen so far, in bytes. */
  max(): number;
  stop(): { readonly maxBytes: number; readonly lastBytes: number; readonly samples: number };
}

export function startRssSampler(pid: number, everyMs = 100): RssSampler {
  let max = rssBytes(pid) ?? 0;
  let last = max;
  let samples = 1;
  const timer = setInterval(() => {
    const v = rssBytes(pid);
    if (v === undefined) return;
    last = v;
    samples++;
    if (v > max) max = v;
  }, everyMs);
  return {
    max: () => max,
    stop() {
      clearInterval(timer);
      return { maxBytes: max, lastBytes: last, samples };
    },
  };
}

/** The load process's own event-loop delay (p99 and max in ms) over a window. */
export function startLoopDelay(): { stop(): { p99Ms: number; maxMs: number } } {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  return {
    stop() {
      h.disable();
      return { p99Ms: h.percentile(99) / 1e6, maxMs: h.max / 1e6 };
    },
  };
}

function cell(ms: number): string {
  return Number.isNaN(ms) ? '-' : ms < 10 ? ms.toFixed(2) : ms.toFixed(0);
}

/** A fixed-width table: kind, requests, req/s, p50, p99, max (ms), errors by status. */
export function formatFigures(rows: readonly KindFigures[]): string {
  const head = ['kind', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors'];
  const body = rows.map((r) => [
    r.kind, String(r.requests), r.perSecond.toFixed(1), cell(r.p50Ms), cell(r.p99Ms), cell(r.maxMs),
    r.errorCount === 0 ? '0' : Object.entries(r.errors).map(([k, v]) => `${k}×${v}`).join(' '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}
