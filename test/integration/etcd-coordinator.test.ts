/**
 * The distributed backfill coordinator end to end on a real 3-member etcd cluster (issue 4,
 * tests 1–4): `seamless coordinator serve --store etcd --workers 0` and `seamless worker`s as
 * separate processes, a synthetic upstream with per-fetch latency, small shards (120 bars) and
 * short leases (3 s, heartbeats every 500 ms) so that jobs last seconds and expiry is quick.
 *
 * Faults are real: workers and etcd members are SIGKILLed, the coordinator is SIGTERMed and
 * started again. Every wait polls a condition with a deadline; the one fixed window
 * (`holdsFor`) checks that a job does not move while etcd has no quorum. Each scenario has its
 * own etcd key prefix and data directory; the quorum scenario has its own cluster, since it
 * takes members down.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, createFrame, formatTime } from '../../src/core/index.js';
import { SHARD_UPLOAD_CONTENT_TYPE } from '../../src/backfill/index.js';
import { encodeShardUpload } from '../../src/backfill/internal.js';
import { etcdAvailable, startEtcdCluster } from '../harness/etcd-cluster.js';
import type { EtcdCluster } from '../harness/etcd-cluster.js';
import {
  collectEvents, eventually, holdsFor, killSeamlessProcesses, processReport, runningSeamlessProcesses, startCoordinator, startWorkers,
} from '../harness/seamless-processes.js';
import type { EventCollector, SeamlessProcess } from '../harness/seamless-processes.js';
import { tempDir } from '../helpers/temp-dir.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 0, 1);
const BARS_PER_SHARD = 120;
const LEASE_MS = 3_000;

interface JobView {
  readonly id: string;
  readonly state: string;
  readonly completionRatio: number;
  readonly totalShards: number;
  readonly rowsWritten: number;
  readonly shards: Readonly<Record<string, number>>;
  readonly shardList: readonly { key: string; state: string }[];
}

interface LeaseView {
  readonly key: string;
  readonly state: string;
  readonly holder: string | null;
  readonly token: number;
  readonly attempts: number;
  readonly start: number;
  readonly end: number;
}

interface Scenario {
  readonly dir: string;
  readonly config: string;
  readonly node: string;
}

const removals: (() => Promise<void>)[] = [];
let streams: EventCollector[] = [];

/**
 * A config for one scenario: one dataset (`node`, 1m bars) on a synthetic source with `latency`
 * per fetch. The store (etcd) and its endpoints come from the coordinator's flags; workers read
 * sources and datasets only.
 */
async function scenario(name: string, latency: string, leaseMs: number = LEASE_MS): Promise<Scenario> {
  const dir = await tempDir(`seamless-etcd-${name}-`);
  removals.push(dir.remove);
  const node = `ohlcv:test:ETCD_${name.toUpperCase()}`;
  const config = join(dir.path, 'seamless.yml');
  await writeFile(config, [
    `dataDir: ${JSON.stringify(join(dir.path, 'data'))}`,
    'logging: { level: warn }',
    'sources:',
    `  upstream: { kind: synthetic, seed: 7, latencyMs: ${latency} }`,
    'datasets:',
    `  - { nodeId: "${node}", intervals: [1m], source: upstream }`,
    'seamless:',
    '  backfill:',
    `    barsPerShard: ${BARS_PER_SHARD}`,
    `    leaseMs: ${leaseMs}`,
    '    heartbeatMs: 500',
    `    etcd: { prefix: "/seamless-test/${name}-${process.pid}/" }`,
    '',
  ].join('\n'));
  return { dir: dir.path, config, node };
}

function etcdFlags(cluster: EtcdCluster): string[] {
  return ['--store', 'etcd', '--etcd-endpoints', cluster.endpoints().join(',')];
}

async function json<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

async function submitJob(url: string, node: string, start: number, end: number): Promise<string> {
  const { status, body } = await json<{ job: { id: string } }>(`${url}/v1/jobs`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ node, interval: '1m', start: new Date(start).toISOString(), end: new Date(end).toISOString() }),
  });
  expect(status, JSON.stringify(body)).toBe(202);
  return body.job.id;
}

async function job(url: string, id: string): Promise<JobView> {
  const { status, body } = await json<{ job: JobView }>(`${url}/v1/jobs/${id}`);
  if (status !== 200) throw new Error(`GET /v1/jobs/${id} answered ${status}: ${JSON.stringify(body)}`);
  return body.job;
}

/** The job once it is no longer running; on timeout, a report of its unfinished shards and of the processes. */
async function finished(url: string, id: string, timeoutMs: number): Promise<JobView> {
  try {
    return await eventually(`job ${id} finished`, async () => {
      const j = await job(url, id);
      return j.state === 'running' ? undefined : j;
    }, timeoutMs, 200);
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${await stuckReport(url, id)}`, { cause: error });
  }
}

async function stuckReport(url: string, id: string): Promise<string> {
  const lines: string[] = [];
  try {
    const j = await job(url, id);
    lines.push(`job ${id}: ${JSON.stringify(j.shards)} ratio ${j.completionRatio}`);
    const open = j.shardList.filter((x) => x.state !== 'completed' && x.state !== 'known_empty').slice(0, 10);
    for (const x of open) {
      const store = await inspect(url, x.key).then((l) => JSON.stringify(l), (e: unknown) => String(e));
      lines.push(`  ${x.key}: coordinator says ${x.state}; lease store says ${store}`);
    }
  } catch (error) {
    lines.push(`job ${id}: ${String(error)}`);
  }
  for (const p of runningSeamlessProcesses()) lines.push(processReport(p));
  return lines.join('\n');
}

/** The job once its completion ratio reaches `ratio` (while it is still running). */
async function progressed(url: string, id: string, ratio: number, timeoutMs = 60_000): Promise<JobView> {
  const j = await eventually(`job ${id} at completion ratio ${ratio}`, async () => {
    const view = await job(url, id);
    return view.completionRatio >= ratio || view.state !== 'running' ? view : undefined;
  }, timeoutMs, 50);
  if (j.state !== 'running') throw new Error(`job ${id} ended (${j.state}) before the fault could be injected`);
  return j;
}

async function inspect(url: string, key: string): Promise<LeaseView> {
  const { status, body } = await json<LeaseView>(`${url}/v1/leases/inspect?key=${encodeURIComponent(key)}`);
  if (status !== 200) throw new Error(`inspect ${key} answered ${status}`);
  return body;
}

/** A fail_fast read of [start, end): row count and timestamps. */
async function bars(url: string, node: string, start: number, end: number): Promise<{ status: number; ts: number[]; close: number[]; rows: number; error?: unknown }> {
  const { status, body } = await json<{ data: { ts: number[]; close: number[] }; metadata: { rows: number }; error?: unknown }>(
    `${url}/v1/bars?node=${encodeURIComponent(node)}&interval=1m&start=${start}&end=${end}&strategy=fail_fast`,
  );
  return status === 200 ? { status, ts: body.data.ts, close: body.data.close, rows: body.metadata.rows } : { status, ts: [], close: [], rows: 0, error: body.error };
}

/** Every bar of [start, end) present exactly once. */
async function expectAllRows(url: string, node: string, start: number, end: number): Promise<void> {
  const read = await bars(url, node, start, end);
  const expected = (end - start) / MIN;
  expect(read.status, JSON.stringify(read.error)).toBe(200);
  expect(read.rows).toBe(expected);
  expect(read.ts).toHaveLength(expected);
  expect(new Set(read.ts).size).toBe(expected);
  expect(read.ts[0]).toBe(start);
  expect(read.ts[expected - 1]).toBe(end - MIN);
}

/** Sum of a counter's samples for `node` on GET /metrics. */
async function counter(url: string, name: string, node: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes(`node_id="${node}"`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function health(url: string): Promise<{ status: number; body: { status: string; checks: Record<string, { ok: boolean; detail: string }>; failing?: string[] } }> {
  return json(`${url}/healthz`);
}

interface Finish { readonly worker: string; readonly state: string; readonly shard: string; readonly token: number }

/** The shards a worker finished, from its stdout (one line per shard: what it fetched from the source). */
function finishes(w: SeamlessProcess): Finish[] {
  const out: Finish[] = [];
  for (const m of w.stdout.matchAll(/^(\S+) (completed|known_empty) (\S+ \S+ \S+) rows=\d+ token=(\d+) /gm)) {
    out.push({ worker: m[1], state: m[2], shard: m[3], token: Number(m[4]) });
  }
  return out;
}

/** Lines of attempts that did not finish (failed or lost leases): extra fetches at the source. */
function unfinished(w: SeamlessProcess): string[] {
  return w.stdout.split('\n').filter((l) => / (failed|lost) /.test(l));
}

afterEach(async () => {
  for (const s of streams) s.close();
  streams = [];
  await killSeamlessProcesses();
});

afterAll(async () => {
  await killSeamlessProcesses();
  for (const remove of removals) await remove();
});

describe.skipIf(!etcdAvailable())('backfill coordinator on a 3-member etcd cluster, workers in separate processes', () => {
  let cluster: EtcdCluster | undefined;
  let quorumCluster: EtcdCluster | undefined;

  beforeAll(async () => {
    cluster = await startEtcdCluster({ size: 3 });
  });

  afterEach(async () => {
    await quorumCluster?.stop();
    quorumCluster = undefined;
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  function shared(): EtcdCluster {
    if (cluster === undefined) throw new Error('etcd cluster not started');
    return cluster;
  }

  it('fetches every shard of three overlapping jobs from the source exactly once with eight workers', async () => {
    // A long lease: "exactly once" must not depend on a worker's heartbeat arriving within 3 s on
    // a loaded machine (a lease that expires is re-claimed at token 2, correctly, but then the
    // shard is fetched twice). Expiry and re-queueing are the next tests' subject.
    const s = await scenario('overlap', '{ min: 50, max: 100 }', 20_000);
    const { url } = await startCoordinator(s.config, s.dir, etcdFlags(shared()));
    const ids = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w8'];
    const workers = await startWorkers(url, s.config, s.dir, ids, ['--concurrency', '1']);
    const events = await collectEvents(url);
    streams.push(events);

    // Three overlapping ranges whose union is [T0, T0 + 6 d): 72 shards of 2 h.
    const ranges: [number, number][] = [[T0, T0 + 4 * DAY], [T0 + 2 * DAY, T0 + 6 * DAY], [T0 + DAY, T0 + 5 * DAY]];
    const jobIds = await Promise.all(ranges.map(([a, b]) => submitJob(url, s.node, a, b)));
    const jobs = await Promise.all(jobIds.map((id) => finished(url, id, 60_000)));
    for (const j of jobs) expect(j, j.id).toMatchObject({ state: 'completed', completionRatio: 1 });
    for (let i = 0; i < jobs.length; i++) expect(jobs[i].totalShards).toBe((ranges[i][1] - ranges[i][0]) / (BARS_PER_SHARD * MIN));

    const union = [...new Set(jobs.flatMap((j) => j.shardList.map((x) => x.key)))].sort();
    expect(union).toHaveLength(6 * DAY / (BARS_PER_SHARD * MIN));

    // At the source: one finished fetch per shard across the eight processes, and no other attempt.
    // A worker prints its line after the coordinator took the completion: let the pipes catch up.
    await eventually('a finished line per shard on the workers\' stdout', () => (workers.flatMap(finishes).length >= union.length ? true : undefined), 10_000);
    const done = workers.flatMap(finishes);
    expect(done).toHaveLength(union.length);
    expect(new Set(done.map((f) => f.shard)).size).toBe(union.length);
    expect(done.every((f) => f.token === 1 && f.state === 'completed')).toBe(true);
    expect(workers.flatMap(unfinished)).toEqual([]);

    // At the coordinator: one claim per shard, and every shard's only grant was token 1.
    await eventually('job_completed of all three jobs on /v1/events', () => {
      const ended = new Set(events.ofType('job_completed').map((e) => e.data.jobId));
      return jobIds.every((id) => ended.has(id)) ? true : undefined;
    }, 10_000);
    expect(events.ofType('claimed').map((e) => e.data.shard as string).sort()).toEqual(union);
    const leases = await Promise.all(union.map((key) => inspect(url, key)));
    for (const lease of leases) {
      expect(lease, lease.key).toMatchObject({ state: 'completed', token: 1 });
      expect(ids, lease.key).toContain(lease.holder);
    }

    await expectAllRows(url, s.node, T0, T0 + 6 * DAY);
  });

  it('re-queues the shard of a worker killed with SIGKILL mid-fetch and refuses the dead worker\'s late write', async () => {
    // Slow fetches (1 s), so the victim is surely mid-shard when it dies.
    const s = await scenario('kill9', '1000');
    const { url } = await startCoordinator(s.config, s.dir, etcdFlags(shared()));
    const [victim, ...survivors] = await startWorkers(url, s.config, s.dir, ['victim', 'w2', 'w3'], ['--concurrency', '1']);
    const events = await collectEvents(url);
    streams.push(events);

    const jobId = await submitJob(url, s.node, T0, T0 + DAY);
    const keys = (await job(url, jobId)).shardList.map((x) => x.key);
    const held = await eventually('a shard leased by the victim', async () => {
      const j = await job(url, jobId);
      for (const x of j.shardList) {
        if (x.state !== 'leased') continue;
        const lease = await inspect(url, x.key);
        if (lease.state === 'leased' && lease.holder === 'victim') return lease;
      }
      return undefined;
    }, 20_000, 20);
    expect(held.token).toBe(1);
    expect(await victim.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    expect(finishes(victim).map((f) => f.shard)).not.toContain(`${s.node} 1m ${formatTime(held.start)}..${formatTime(held.end)}`);

    const j = await finished(url, jobId, 60_000);
    expect(j).toMatchObject({ state: 'completed', completionRatio: 1 });

    // The lease expired (a stale claim) and a surviving worker took the shard over with token 2.
    const after = await inspect(url, held.key);
    expect(after).toMatchObject({ state: 'completed', token: 2 });
    expect(['w2', 'w3']).toContain(after.holder);
    expect(await counter(url, 'seamless_backfill_stale_claims_total', s.node)).toBe(1);
    const expired = events.ofType('expired');
    expect(expired.map((e) => [e.data.shard, e.data.token])).toEqual([[held.key, 1]]);
    const reclaimed = events.ofType('claimed').filter((e) => e.data.shard === held.key);
    expect(reclaimed.map((e) => [e.data.token, e.data.worker])).toEqual([[1, 'victim'], [2, after.holder]]);
    // Every other shard was granted once; together the workers finished each shard once.
    for (const key of keys) if (key !== held.key) expect((await inspect(url, key)).token, key).toBe(1);
    const done = [victim, ...survivors].flatMap(finishes);
    expect(done).toHaveLength(keys.length);
    expect(new Set(done.map((f) => f.shard)).size).toBe(keys.length);
    expect(done.filter((f) => f.token === 2).map((f) => f.worker)).toEqual([after.holder]);

    await expectAllRows(url, s.node, T0, T0 + DAY);
    const before = await bars(url, s.node, held.start, held.end);

    // The dead worker's write, arriving late with its token 1, is refused by storage's fence.
    const n = (held.end - held.start) / MIN;
    const ts = new Float64Array(n);
    for (let i = 0; i < n; i++) ts[i] = held.start + i * MIN;
    const junk = (): Float64Array => new Float64Array(n).fill(1e9);
    const upload = encodeShardUpload({
      frame: createFrame(OHLCV_SCHEMA, ts, [junk(), junk(), junk(), junk(), junk()]),
      coverage: [{ start: held.start, end: held.end, state: 'stored' }],
      findings: [],
    });
    const late = await json<{ error: { code: string; details: { reason: string; token: number; newest: number } } }>(
      `${url}/v1/shards/rows?key=${encodeURIComponent(held.key)}&token=1`,
      { method: 'POST', headers: { 'content-type': SHARD_UPLOAD_CONTENT_TYPE }, body: upload },
    );
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'conflict', details: { reason: 'stale_fencing_token', token: 1, newest: 2 } });
    const unchanged = await bars(url, s.node, held.start, held.end);
    expect(unchanged.close).toEqual(before.close);
    expect(unchanged.close).not.toContain(1e9);
  });

  it('completes a job after the coordinator service is restarted mid-job on the same data dir and etcd', async () => {
    const s = await scenario('restart', '{ min: 100, max: 200 }');
    const first = await startCoordinator(s.config, s.dir, etcdFlags(shared()));
    const port = Number(new URL(first.url).port);
    const workers = await startWorkers(first.url, s.config, s.dir, ['w1', 'w2', 'w3'], ['--concurrency', '1']);

    // 6 days: 72 shards, about 24 rounds of three workers.
    const end = T0 + 6 * DAY;
    const jobId = await submitJob(first.url, s.node, T0, end);
    const at = await progressed(first.url, jobId, 0.2);
    expect(at.completionRatio).toBeLessThan(1);
    expect(await first.process.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    const finishedBefore = workers.map((w) => finishes(w).length);

    const second = await startCoordinator(s.config, s.dir, etcdFlags(shared()), port);
    expect(second.url).toBe(first.url);
    const j = await finished(second.url, jobId, 90_000);
    expect(j).toMatchObject({ id: jobId, state: 'completed', completionRatio: 1 });
    expect(j.shardList.every((x) => x.state === 'completed')).toBe(true);

    // The workers reconnected: they finished shards after the restart, and none of them died.
    expect(workers.every((w) => w.running())).toBe(true);
    const finishedAfter = workers.map((w, i) => finishes(w).length - finishedBefore[i]);
    expect(finishedAfter.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    await expectAllRows(second.url, s.node, T0, end);
  });

  it('keeps a job going when the etcd leader dies, waits without quorum and completes once quorum returns', async () => {
    const etcd = await startEtcdCluster({ size: 3 });
    quorumCluster = etcd;
    const s = await scenario('quorum', '{ min: 100, max: 200 }');
    const { url } = await startCoordinator(s.config, s.dir, etcdFlags(etcd));
    await startWorkers(url, s.config, s.dir, ['w1', 'w2', 'w3'], ['--concurrency', '1']);

    // The leader dies during job 1 (3 days, 36 shards): it completes on the two members left.
    const firstEnd = T0 + 3 * DAY;
    const first = await submitJob(url, s.node, T0, firstEnd);
    await progressed(url, first, 0.15);
    const leader = await etcd.leader();
    await etcd.kill(leader);
    const j1 = await finished(url, first, 60_000);
    expect(j1).toMatchObject({ state: 'completed', completionRatio: 1 });
    expect((await health(url)).status).toBe(200);
    await expectAllRows(url, s.node, T0, firstEnd);

    // A second member dies during job 2: no quorum, the coordinator check fails, the job waits.
    const secondEnd = firstEnd + 5 * DAY;
    const second = await submitJob(url, s.node, firstEnd, secondEnd);
    await progressed(url, second, 0.15);
    const other = etcd.members().find((m) => m.running);
    if (other === undefined) throw new Error('no etcd member left running');
    await etcd.kill(other.index);
    const degraded = await eventually('GET /healthz 503 without quorum', async () => {
      const h = await health(url);
      return h.status === 503 ? h.body : undefined;
    }, 20_000, 200);
    expect(degraded.failing).toContain('coordinator');
    expect(degraded.checks.coordinator.ok).toBe(false);
    expect(degraded.checks.storage.ok).toBe(true);
    const stalled = await job(url, second);
    expect(stalled.state).toBe('running');
    expect(stalled.completionRatio).toBeLessThan(1);
    await holdsFor('completion ratio without quorum', async () => (await job(url, second)).completionRatio, stalled.completionRatio, 3_000);

    // A member comes back: quorum, health and progress return, and the job completes with every row.
    await etcd.restart(other.index);
    await eventually('GET /healthz 200 with quorum back', async () => ((await health(url)).status === 200 ? true : undefined), 30_000, 200);
    const j2 = await finished(url, second, 90_000);
    expect(j2).toMatchObject({ state: 'completed', completionRatio: 1 });
    expect(j2.shardList.every((x) => x.state === 'completed')).toBe(true);
    await expectAllRows(url, s.node, T0, secondEnd);
  });
});
