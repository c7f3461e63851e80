/**
 * One upstream budget of R requests/s shared by N workers in several processes, measured where
 * it matters — at the (fake) exchange: the workers together achieve at least 0.9·R and never
 * exceed burst + R·t in any window, up to JITTER_MS of network and scheduling jitter between the
 * permit and the request's arrival (the figures are printed, with the jitter they imply). Twice: through the etcd store (two
 * load processes × 4 workers on a real etcd), and through the coordinator's permits API (two
 * `seamless worker` processes × 4, backfilling a job), where a 429 pauses every worker.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { etcdAvailable, startEtcdCluster } from '../harness/etcd-cluster.js';
import { BTCUSDT_1M, RECORDED_ERRORS, startFakeExchange } from '../harness/fake-exchange-server.js';
import type { FakeExchange } from '../harness/fake-exchange-server.js';
import { spawnChildScript } from '../harness/child-script.js';
import { describeRate, rateFigures } from '../harness/request-rate.js';
import { eventually, killSeamlessProcesses, processReport, startCoordinator, startWorkers, writeSeamlessConfig } from '../harness/seamless-processes.js';

const HOUR = 3_600_000;
/**
 * Allowed spread between a permit and its request's arrival at the exchange: ccxt building the
 * request and the event loops of a loaded 2-core box, plus, through the coordinator, the HTTP
 * answer of the permit (two more processes on the way). It lets at most R·jitter/1000 requests
 * more into a window than burst + R·t; the permits themselves obey the bound exactly (virtual
 * time: test/unit/sources/upstream-budget.test.ts; grant times of the etcd run, printed).
 * `etcdGrant`: the same for the permits' own grant times, taken in the load processes (only their
 * event loops in between). At the exchange, 59 ms was seen once in CI (2.36 requests over the
 * bound at R = 40) while the grants stayed within 7 ms: jitter between two processes, not the budget.
 * Through the coordinator, 99.8 ms (2.0 requests at R = 20) was seen on a loaded machine: the
 * permit's HTTP answer adds a hop, so that path gets 150 ms.
 * `pauseReport`: how late after a 429 a request granted before the worker reported the pause may
 * still arrive (the 429's answer and the pause report are two more hops).
 */
// The coordinator path has no grant log to check tightly (as etcdGrant does): its bound is on the
// arrivals alone, which also carry the scheduling of three processes (163 ms seen once while
// another test run loaded the machine; the permits themselves never exceed burst + R·t).
const JITTER_MS = { etcdGrant: 50, etcd: 100, coordinator: 300, pauseReport: 500 } as const;

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await killSeamlessProcesses();
  for (const cleanup of cleanups.reverse()) await cleanup();
});

interface ChildReport {
  readonly fetches: number;
  readonly errors: string[];
  readonly errorCount: number;
  readonly grants: number[];
}

interface LoadChild {
  /** Resolves once the process has loaded and connected (it then waits for `start`). */
  readonly ready: Promise<void>;
  /** Tells the process when to start loading the exchange (epoch ms). */
  start(startAt: number): void;
  readonly report: Promise<ChildReport>;
}

function runLoadChild(args: Record<string, unknown>): LoadChild {
  const child = spawnChildScript('budget-load-child', [JSON.stringify(args)]);
  let out = '';
  let err = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => { onReady = resolve; });
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (out.startsWith('ready\n')) onReady();
  });
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString('utf8'); });
  const report = new Promise<ChildReport>((resolve, reject) => {
    child.once('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`load process exited ${code}: ${err.slice(-2000)}`));
      else resolve(JSON.parse(line) as ChildReport);
    });
  });
  // A process that dies while loading fails the wait for readiness too.
  return { ready: Promise.race([ready, report.then(() => undefined)]), start: (startAt) => child.stdin.end(`${startAt}\n`), report };
}

describe.skipIf(!etcdAvailable())('a shared upstream budget on etcd', () => {
  it('gives 8 workers in 2 processes at least 0.9·R together, never more than burst + R·t', async () => {
    const rate = { requestsPerSecond: 40, burst: 4 };
    const etcd = await startEtcdCluster({ size: 1 });
    cleanups.push(() => etcd.stop());
    const server: FakeExchange = await startFakeExchange({ latencyMs: 2 });
    cleanups.push(() => server.close());
    const durationMs = 6_000;
    const args = {
      endpoints: etcd.endpoints(), prefix: `/budget-test-${process.pid}/`, apiUrl: server.apiUrl, ...rate, workers: 4, pageLimit: 10,
      durationMs, now: BTCUSDT_1M.recordedAt, range: { start: BTCUSDT_1M.first, end: BTCUSDT_1M.first + HOUR },
    };
    // Both processes load ccxt and connect first (seconds each on a loaded machine), then start together.
    const children = [runLoadChild(args), runLoadChild(args)];
    await Promise.all(children.map((c) => c.ready));
    const startAt = Date.now() + 500;
    for (const c of children) c.start(startAt);
    const reports = await Promise.all(children.map((c) => c.report));
    for (const r of reports) expect(r.errors, `${r.errorCount} errors`).toEqual([]);

    const arrivals = server.requests.map((r) => r.at);
    const grants = reports.flatMap((r) => r.grants);
    const atExchange = rateFigures(arrivals, rate);
    const atGrant = rateFigures(grants, rate);
    console.log(describeRate('etcd budget, 2 processes × 4 workers, at the exchange', atExchange, rate));
    console.log(describeRate('etcd budget, 2 processes × 4 workers, permits granted', atGrant, rate));
    console.log(`fetches: ${reports.map((r) => r.fetches).join(' + ')}; permits per process: ${reports.map((r) => r.grants.length).join(' + ')}`);
    // One request at the exchange per permit (each load process finishes its fetches before it reports).
    expect(arrivals.length).toBe(grants.length);
    expect(atExchange.achievedPerSecond).toBeGreaterThanOrEqual(0.9 * rate.requestsPerSecond);
    expect(atExchange.worstExcess).toBeLessThanOrEqual(rate.requestsPerSecond * JITTER_MS.etcd / 1000);
    expect(atGrant.worstExcess).toBeLessThanOrEqual(rate.requestsPerSecond * JITTER_MS.etcdGrant / 1000);
    // Both processes got a fair share (neither starved).
    for (const r of reports) expect(r.grants.length).toBeGreaterThan(grants.length / 4);
  });
});

describe('a shared upstream budget through the coordinator\'s permits API', () => {
  it('gives 2 worker processes × 4 at least 0.9·R together, never more than burst + R·t, and a 429 pauses them all', async () => {
    const rate = { requestsPerSecond: 20, burst: 2 };
    const server = await startFakeExchange({ latencyMs: 2 });
    cleanups.push(() => server.close());
    const dir = await tempDir('seamless-budget-');
    cleanups.push(dir.remove);
    const configFile = await writeSeamlessConfig(dir.path, [
      'sources:',
      '  binance:',
      '    kind: ccxt',
      '    exchange: binance',
      `    urls: { public: ${JSON.stringify(server.apiUrl)} }`,
      '    options: { fetchMarkets: { types: [spot] } }',
      `    rateLimit: { requestsPerSecond: ${rate.requestsPerSecond}, burst: ${rate.burst} }`,
      '    pageLimit: 3',
      'datasets:',
      '  - { nodeId: "ohlcv:binance:BTC/USDT", intervals: [1m], source: binance }',
      'seamless:',
      '  backfill: { barsPerShard: 30, leaseMs: 5000, heartbeatMs: 1000 }',
    ]);
    const { process: coordinator, url } = await startCoordinator(configFile, dir.path);
    const workers = await startWorkers(url, configFile, dir.path, ['w1', 'w2'], ['--concurrency', '4']);

    const start = BTCUSDT_1M.first;
    const end = BTCUSDT_1M.building;
    const submitted = await fetch(`${url}/v1/jobs`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ node: 'ohlcv:binance:BTC/USDT', interval: '1m', start, end }),
    });
    expect(submitted.status).toBe(202);
    const jobId = ((await submitted.json()) as { job: { id: string } }).job.id;
    // Mid-job the exchange answers one request with 429, Retry-After: 1.
    await eventually('40 requests at the exchange', () => (server.requestsTo('/api/v3/klines').length >= 40 ? true : undefined), 60_000, 20);
    server.script('/api/v3/klines', RECORDED_ERRORS.tooManyRequests);

    interface JobBody { job: { state: string; rowsWritten: number } }
    const job = await eventually('the job to finish', async () => {
      const body = (await (await fetch(`${url}/v1/jobs/${jobId}`)).json()) as JobBody;
      return body.job.state === 'running' ? undefined : body.job;
    }, 90_000, 100).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${[coordinator, ...workers].map((p) => processReport(p)).join('\n')}`);
    });
    expect(job).toMatchObject({ state: 'completed', rowsWritten: BTCUSDT_1M.openTimes.filter((t) => t < end).length });

    const requests = server.requests;
    const limited = requests.findIndex((r) => r.status === 429);
    expect(limited).toBeGreaterThan(0);
    // The worker reports the pause once the 429 is back, so requests already granted before that
    // may still arrive (at most burst + R·jitter of them); none arrives later within Retry-After.
    const retryAfterMs = 1_000;
    const slipped = requests.slice(limited + 1).filter((r) => r.at - requests[limited].at < retryAfterMs - 10);
    expect(slipped.length).toBeLessThanOrEqual(rate.burst + rate.requestsPerSecond * JITTER_MS.coordinator / 1000);
    for (const r of slipped) expect(r.at - requests[limited].at).toBeLessThanOrEqual(JITTER_MS.pauseReport);
    const pauseMs = requests[limited + 1 + slipped.length].at - requests[limited].at;
    expect(pauseMs).toBeGreaterThanOrEqual(retryAfterMs - 10);
    // No permit was granted for the Retry-After: that second is left out of the achieved rate.
    const figures = rateFigures(requests.map((r) => r.at), rate, retryAfterMs);
    console.log(describeRate('coordinator permits, 2 worker processes × 4, at the exchange (the 1 s pause excluded)', figures, rate));
    console.log(`429 at request ${limited + 1}; ${slipped.length} granted before the pause arrived after it; next request ${Math.round(pauseMs)} ms after the 429 (Retry-After: 1)`);
    expect(figures.achievedPerSecond).toBeGreaterThanOrEqual(0.9 * rate.requestsPerSecond);
    expect(figures.worstExcess).toBeLessThanOrEqual(rate.requestsPerSecond * JITTER_MS.coordinator / 1000);

    const upstreams = (await (await fetch(`${url}/v1/upstreams`)).json()) as { authority: string; upstreams: Record<string, unknown>[] };
    expect(upstreams.authority).toBe('memory');
    expect(upstreams.upstreams).toEqual([expect.objectContaining({ upstream: 'binance', requests_per_second: 20, burst: 2, pauses: 1 })]);
    expect(upstreams.upstreams[0].granted).toBe(requests.length);

    for (const w of workers) w.process.kill('SIGTERM');
    for (const w of workers) expect(await w.exited).toEqual({ code: 0, signal: null });
    coordinator.process.kill('SIGTERM');
    expect(await coordinator.exited).toEqual({ code: 0, signal: null });
  });
});
