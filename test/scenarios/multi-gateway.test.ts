/**
 * Scenario: the whole horizontal deployment, as an operator runs it. A 3-member etcd cluster, a
 * PostgreSQL primary with a streaming hot standby, NATS JetStream, three gateways (`seamless
 * serve`: `storage.url` the primary, `storage.readUrl` the standby, etcd lease store, NATS events,
 * no local workers) and four `seamless worker` processes pulling shards from gateways 2 and 3; one
 * upstream, the Binance stand-in (test/harness/fake-exchange-server.ts) behind a proxy that slows
 * every klines request, which logs every request so upstream fetches are counted across processes.
 *
 * 64 concurrent clients read overlapping ranges round-robin through the gateways with
 * auto_backfill, moving to the next gateway when one refuses or is gone. Mid-run gateway 1 and
 * worker w1 are killed with -9 while shards are leased. Checked: every read succeeds with every
 * bar, identical on every gateway and equal to the exchange's; each shard was fetched upstream
 * once, a second time only if w1 held its lease when killed; PostgreSQL holds each bar once.
 * Then, with gateway 1 restarted: a range cached on all three gateways is rewritten by an
 * operator's `seamless import` and every gateway answers the new values (cache coherence through
 * LISTEN/NOTIFY, reads on the standby); a compatibility change through gateway 1 is in force on
 * gateways 2 and 3 (schema_registry.refresh_ms); /metrics and /healthz report invalidations,
 * standby reads, the standby, the change listener and the etcd-backed coordinator.
 * Skipped without PostgreSQL, etcd or nats-server binaries.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdAvailable, startEtcdCluster } from '../harness/etcd-cluster.js';
import type { EtcdCluster } from '../harness/etcd-cluster.js';
import { BTCUSDT_1M, startFakeExchange } from '../harness/fake-exchange-server.js';
import type { FakeExchange } from '../harness/fake-exchange-server.js';
import { startNatsServer } from '../harness/nats-server.js';
import type { NatsServer } from '../harness/nats-server.js';
import { postgresAvailable } from '../harness/postgres-server.js';
import { startPostgresPair } from '../harness/postgres-standby.js';
import type { PostgresPair } from '../harness/postgres-standby.js';
import {
  eventually, killSeamlessProcesses, processReport, startSeamless, startWorkers, waitForLine,
} from '../harness/seamless-processes.js';
import type { SeamlessProcess } from '../harness/seamless-processes.js';
import { runSeamless } from '../helpers/cli-run.js';
import { tempDir } from '../helpers/temp-dir.js';
import { connect } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createFaults } from './fault-injection.js';
import type { Faults } from './fault-injection.js';

const MIN = 60_000;
const NODE = 'ohlcv:binance:BTC/USDT';
const T0 = BTCUSDT_1M.first;
/** Two hours before the recording's trading halt: 120 bars, 12 shards of 10. */
const SPAN = { start: T0, end: T0 + 120 * MIN };
const BARS_PER_SHARD = 10;
const SHARDS = 12;
const CLIENTS = 64;
/** Client i reads the hour starting (i mod 7) × 10 min after T0: overlapping ranges, shared shards. */
const RANGES = Array.from({ length: 7 }, (_, k) => ({ start: T0 + k * 10 * MIN, end: T0 + (k + 6) * 10 * MIN }));
/** Every klines request waits this long at the proxy, so shards are in flight when the kills land. */
const UPSTREAM_DELAY_MS = 1_500;
const LEASE_MS = 4_000;
const REFRESH_MS = 200;
/** Only guards against hangs (the machine is shared): never a timing assertion. */
const HANG_GUARD_MS = 90_000;

interface ReadBody {
  data: { ts: number[]; open: number[]; high: number[]; low: number[]; close: number[]; volume: number[] };
  metadata: { rows: number; partial: boolean; cacheHit: boolean };
  error?: { code: string; message: string };
}
interface Checks { checks: Record<string, { ok: boolean; detail: string }> }
interface LeaseBody { key: string; state: string; holder: string | null; token: number }

function fingerprint(body: ReadBody): string {
  const { ts, open, high, low, close, volume } = body.data;
  return createHash('sha256').update(JSON.stringify([ts, open, high, low, close, volume])).digest('hex');
}

function binaryOnPath(name: string): boolean {
  try {
    execFileSync('which', [name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const available = postgresAvailable() && etcdAvailable() && binaryOnPath('nats-server');

describe.skipIf(!available)('three gateways, four workers, etcd, a PostgreSQL standby and NATS on one upstream', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let etcd: EtcdCluster;
  let pair: PostgresPair;
  let nats: NatsServer;
  let exchange: FakeExchange;
  let faults: Faults;
  let proxyUrl: string;
  let primaryUrl: string;
  let standbyUrl: string;
  let database: string;
  const gateways: { name: string; process: SeamlessProcess; url: string }[] = [];
  let workers: SeamlessProcess[] = [];

  function sourceLines(): string[] {
    return [
      'sources:',
      '  binance:',
      '    kind: ccxt',
      '    exchange: binance',
      `    urls: { public: "${proxyUrl}/api/v3" }`,
      '    options: { fetchMarkets: { types: [spot] } }',
      '    rateLimit: { requestsPerSecond: 50, burst: 10 }',
      '    timeoutMs: 30000',
      `datasets: [{ nodeId: "${NODE}", intervals: [1m], source: binance }]`,
    ];
  }

  async function gatewayConfig(name: string): Promise<string> {
    const file = join(dir.path, `${name}.yml`);
    await writeFile(file, [
      `dataDir: ${JSON.stringify(join(dir.path, name))}`,
      'logging: { level: warn }',
      `storage: { url: ${JSON.stringify(primaryUrl)}, readUrl: ${JSON.stringify(standbyUrl)} }`,
      `schema_registry: { refresh_ms: ${REFRESH_MS} }`,
      ...sourceLines(),
      'seamless:',
      `  backfill: { store: etcd, etcd: { endpoints: ${JSON.stringify(etcd.endpoints())} }, localWorkers: 0, barsPerShard: ${BARS_PER_SHARD}, leaseMs: ${LEASE_MS}, heartbeatMs: 500 }`,
      `  events: { nats: { servers: [${JSON.stringify(nats.url)}] } }`,
      '',
    ].join('\n'));
    return file;
  }

  async function serve(name: string): Promise<{ name: string; process: SeamlessProcess; url: string }> {
    const child = startSeamless(['serve', '--port', '0', '--config', await gatewayConfig(name)], dir.path, name);
    const url = (await waitForLine(child, /listening on (http:\/\/\S+)/, HANG_GUARD_MS))[1];
    return { name, process: child, url };
  }

  function barsUrl(url: string, range: { start: number; end: number }, strategy = 'auto_backfill'): string {
    return `${url}/v1/bars?node=${encodeURIComponent(NODE)}&interval=1m&start=${range.start}&end=${range.end}&strategy=${strategy}&format=json`;
  }

  async function readOn(url: string, range: { start: number; end: number }, strategy = 'fail_fast'): Promise<ReadBody> {
    const res = await fetch(barsUrl(url, range, strategy), { signal: AbortSignal.timeout(HANG_GUARD_MS) });
    const body = (await res.json()) as ReadBody;
    expect(res.status, JSON.stringify(body.error)).toBe(200);
    return body;
  }

  /** One client: starts on gateway `first`, moves on to the next live one on a refusal, an error or a dead socket. */
  async function client(first: number, range: { start: number; end: number }): Promise<{ body: ReadBody; attempts: number }> {
    const deadline = Date.now() + HANG_GUARD_MS * 2;
    let failures: string[] = [];
    for (let attempt = 0; ; attempt++) {
      const gateway = gateways[(first + attempt) % 3];
      try {
        const res = await fetch(barsUrl(gateway.url, range), { signal: AbortSignal.timeout(HANG_GUARD_MS) });
        const body = (await res.json()) as ReadBody;
        if (res.status === 200 && !body.metadata.partial) return { body, attempts: attempt + 1 };
        failures.push(`${gateway.name}: ${res.status} ${JSON.stringify(body.error ?? body.metadata)}`);
      } catch (error) {
        failures.push(`${gateway.name}: ${String(error)}`);
      }
      if (Date.now() > deadline) throw new Error(`client reading ${range.start} gave up: ${failures.join('; ')}`);
      failures = failures.slice(-6);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async function json<T>(url: string, init?: RequestInit): Promise<T> {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
    return (await res.json()) as T;
  }

  async function metric(url: string, pattern: RegExp): Promise<number> {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(30_000) })).text();
    let sum = 0;
    for (const m of text.matchAll(pattern)) sum += Number(m[1]);
    return sum;
  }

  /** Every shard key of the span, with its lease record, read through a surviving gateway's lease API. */
  async function leases(url: string): Promise<LeaseBody[]> {
    const { jobs } = await json<{ jobs: { id: string }[] }>(`${url}/v1/backfills`);
    const keys = new Set<string>();
    for (const job of jobs) {
      const { job: detail } = await json<{ job: { shardList?: { key: string }[] } }>(`${url}/v1/jobs/${encodeURIComponent(job.id)}`);
      for (const s of detail.shardList ?? []) keys.add(s.key);
    }
    return Promise.all([...keys].map((key) => json<LeaseBody>(`${url}/v1/leases/inspect?key=${encodeURIComponent(key)}`)));
  }

  beforeAll(async () => {
    dir = await tempDir('seamless-scenario-multigw-');
    [etcd, pair, nats, exchange] = await Promise.all([
      startEtcdCluster({ size: 3 }), startPostgresPair(), startNatsServer(), startFakeExchange({ now: BTCUSDT_1M.recordedAt }),
    ]);
    faults = createFaults();
    const proxy = await faults.httpProxy(exchange.url);
    proxy.delay({ path: '/api/v3/klines', at: 1, times: 100_000, ms: UPSTREAM_DELAY_MS });
    proxyUrl = proxy.url;
    primaryUrl = await pair.primary.createDatabase('seamless_multigw');
    database = decodeURIComponent(new URL(primaryUrl).pathname.slice(1));
    standbyUrl = pair.standby.url(database);
    await pair.standby.caughtUp(HANG_GUARD_MS);
    // Gateway 1 migrates the database at start; 2 and 3 then find it migrated and start together.
    gateways.push(await serve('gateway-1'));
    gateways.push(...await Promise.all([serve('gateway-2'), serve('gateway-3')]));
    const workerConfig = await gatewayConfig('workers');
    const [via2, via3] = await Promise.all([
      startWorkers(gateways[1].url, workerConfig, dir.path, ['w1', 'w3'], ['--concurrency', '2']),
      startWorkers(gateways[2].url, workerConfig, dir.path, ['w2', 'w4'], ['--concurrency', '2']),
    ]);
    workers = [...via2, ...via3];
  }, 180_000);

  afterAll(async () => {
    await killSeamlessProcesses();
    await faults?.teardown();
    await exchange?.close();
    await nats?.stop();
    await pair?.stop();
    await etcd?.stop();
    await dir?.remove();
  }, 60_000);

  it('serves every client every bar, identical on all gateways, each shard fetched once, through kill -9 of a gateway and a worker', async () => {
    const [g1, g2, g3] = gateways;
    const w1 = workers.find((w) => w.name === 'w1');
    if (w1 === undefined) throw new Error('no worker w1');
    const reads = Array.from({ length: CLIENTS }, (_, i) => client(i % 3, RANGES[i % RANGES.length]));

    // Both faults while shards are in flight: w1 holds a lease, gateway 1 has reads waiting.
    const heldBefore = await eventually('w1 holding a shard lease', async () => {
      const held = (await leases(g2.url)).filter((l) => l.state === 'leased' && /^w1(\/|$)/.test(l.holder ?? ''));
      return held.length > 0 ? held : undefined;
    }, HANG_GUARD_MS, 50);
    expect(await w1.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await g1.process.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    // What w1 held when it died: what it held just before, and what stays `leased` to it after
    // (its leases stay so until they expire, LEASE_MS: a claim between the two is in the second).
    const heldByKilled = new Set([
      ...heldBefore.map((l) => l.key),
      ...(await leases(g2.url)).filter((l) => l.state === 'leased' && /^w1(\/|$)/.test(l.holder ?? '')).map((l) => l.key),
    ]);

    const results = await Promise.all(reads).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${[g2, g3].map((g) => processReport(g.process, 20)).join('\n')}\n${workers.map((w) => processReport(w, 10)).join('\n')}`);
    });
    expect(results.some((r) => r.attempts > 1), 'no client ever had to move to another gateway').toBe(true);

    // What the user sees: every bar of each range, the exchange's values, the same on every gateway.
    const byRange = new Map<number, Set<string>>();
    results.forEach(({ body }, i) => {
      const range = RANGES[i % RANGES.length];
      expect(body.metadata.rows).toBe(60);
      expect(body.data.ts).toEqual(Array.from({ length: 60 }, (_, j) => range.start + j * MIN));
      const prints = byRange.get(range.start) ?? new Set<string>();
      prints.add(fingerprint(body));
      byRange.set(range.start, prints);
    });
    for (const range of RANGES) {
      const onG2 = await readOn(g2.url, range);
      const onG3 = await readOn(g3.url, range);
      expect(byRange.get(range.start)).toEqual(new Set([fingerprint(onG2)]));
      expect(fingerprint(onG3)).toBe(fingerprint(onG2));
    }
    // The shards' upstream requests, counted before this test asks the exchange for the reference values.
    const upstream = [...exchange.requestsTo('/api/v3/klines')];
    const whole = await readOn(g3.url, SPAN);
    const recorded = (await json<unknown[][]>(`${exchange.url}/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=${SPAN.start}&endTime=${SPAN.end - MIN}&limit=1000`))
      .map((r) => Number(r[4]));
    expect(whole.data.close).toEqual(recorded);

    // What is stored: each bar once in PostgreSQL.
    const [stored] = await pair.primary.query<{ n: string; distinct_ts: string }>(
      'SELECT count(*) AS n, count(DISTINCT b.ts) AS distinct_ts FROM bars_ohlcv b JOIN datasets d ON d.id = b.dataset_id WHERE d.node_id = $1 AND d.interval_ms = $2',
      [NODE, MIN], database,
    );
    expect({ n: Number(stored.n), distinct: Number(stored.distinct_ts) }).toEqual({ n: 120, distinct: 120 });

    // Upstream: one klines request per shard; a second one only for a shard w1 held when killed.
    const perShard = new Map<number, number>();
    for (const r of upstream) {
      const start = Number(r.query.startTime);
      perShard.set(start, (perShard.get(start) ?? 0) + 1);
    }
    const shardStarts = Array.from({ length: SHARDS }, (_, j) => SPAN.start + j * BARS_PER_SHARD * MIN);
    expect([...perShard.keys()].sort((a, b) => a - b)).toEqual(shardStarts);
    const final = await leases(g2.url);
    const keyOf = (start: number): string | undefined => final.find((l) => (JSON.parse(l.key) as unknown[])[3] === start)?.key;
    const refetched = shardStarts.filter((s) => (perShard.get(s) ?? 0) > 1);
    for (const s of refetched) {
      expect(perShard.get(s), `shard at ${new Date(s).toISOString()} fetched more than twice`).toBe(2);
      expect(heldByKilled.has(keyOf(s) ?? ''), `shard at ${new Date(s).toISOString()} re-fetched but not held by w1 (held: ${[...heldByKilled].join(', ')})`).toBe(true);
    }
    expect(refetched.length).toBeLessThanOrEqual(heldByKilled.size);
    expect(final.filter((l) => l.state !== 'completed')).toEqual([]);
  }, 240_000);

  it('answers the values an operator imported on all three gateways that had cached the range', async () => {
    // Gateway 1 comes back, as an operator restarts a dead pod.
    gateways[0] = await serve('gateway-1b');
    const range = RANGES[0];
    for (const g of gateways) {
      await readOn(g.url, range);
      expect((await readOn(g.url, range)).metadata.cacheHit, `${g.name} served the range from its cache`).toBe(true);
    }
    const before = await readOn(gateways[1].url, range);
    const closes = [0, 1, 2].map((i) => Math.round((before.data.close[i] * 1.001) * 100) / 100);
    const csv = join(dir.path, 'fix.csv');
    await writeFile(csv, `ts,open,high,low,close,volume\n${closes.map((c, i) => `${new Date(range.start + i * MIN).toISOString()},${c},${c},${c},${c},1`).join('\n')}\n`);
    const cliConfig = join(dir.path, 'cli.yml');
    await writeFile(cliConfig, [`storage: { url: ${JSON.stringify(primaryUrl)} }`, 'logging: { level: warn }', ...sourceLines(), ''].join('\n'));
    await mkdir(join(dir.path, 'cli'));
    const imported = await runSeamless(join(dir.path, 'cli'), ['import', csv, '--node', NODE, '--interval', '1m', '--config', cliConfig]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('imported 3 rows');

    for (const g of gateways) {
      await eventually(`${g.name} to answer the imported closes`, async () => {
        const body = await readOn(g.url, range);
        return closes.every((c, i) => body.data.close[i] === c) ? body : undefined;
      }, HANG_GUARD_MS);
    }
    for (const g of gateways.slice(1)) {
      expect(await metric(g.url, /^seamless_cache_invalidations_received_total\{kind="write"\} (\d+)/gm), `${g.name} invalidations`).toBeGreaterThanOrEqual(1);
      expect(await metric(g.url, /^seamless_storage_replica_reads_total\{target="standby"[^}]*\} (\d+)/gm), `${g.name} standby reads`).toBeGreaterThanOrEqual(1);
    }
  }, 180_000);

  it('puts a compatibility change made through gateway 1 in force on gateways 2 and 3', async () => {
    const [g1, g2, g3] = gateways;
    const current = (await json<{ compatibilityLevel: string }>(`${g2.url}/registry/config`)).compatibilityLevel;
    const next = current === 'FULL' ? 'BACKWARD' : 'FULL';
    expect((await json<{ compatibilityLevel: string }>(`${g3.url}/registry/config`)).compatibilityLevel).toBe(current);
    const put = await fetch(`${g1.url}/registry/config`, {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ compatibility: next }),
    });
    expect(put.status).toBe(200);
    for (const g of [g2, g3]) {
      await eventually(`${g.name} to answer compatibility ${next}`, async () => {
        const body = await json<{ compatibilityLevel: string }>(`${g.url}/registry/config`);
        return body.compatibilityLevel === next ? body : undefined;
      }, HANG_GUARD_MS, REFRESH_MS / 4);
    }
  }, 120_000);

  it('reports the standby, the change listener and the etcd quorum healthy on every gateway', async () => {
    for (const g of gateways) {
      const res = await fetch(`${g.url}/healthz`, { signal: AbortSignal.timeout(30_000) });
      const { checks } = (await res.json()) as Checks;
      expect(res.status, JSON.stringify(checks)).toBe(200);
      expect(checks['storage:standby'], g.name).toMatchObject({ ok: true });
      expect(checks.changeListener, g.name).toMatchObject({ ok: true });
      expect(checks.changeListener.detail).toMatch(/listening on seamless_bar_changes/);
      expect(checks.coordinator, g.name).toMatchObject({ ok: true });
      expect(checks.coordinator.detail).toMatch(/quorum: 3\/3 members answering/);
    }
  }, 60_000);

  it('publishes every shard\'s completion to the NATS stream', async () => {
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const total = (await jsm.streams.info('SEAMLESS')).state.messages;
      expect(total).toBeGreaterThan(0);
      await jsm.consumers.add('SEAMLESS', {
        durable_name: 'multigw', filter_subject: 'seamless.backfill', ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All,
      });
      const consumer = await jetstream(nc).consumers.get('SEAMLESS', 'multigw');
      const completed = new Set<string>();
      for (let seen = 0; seen < total;) {
        const batch = await consumer.fetch({ max_messages: Math.min(500, total - seen), expires: 2_000 });
        let n = 0;
        for await (const m of batch) {
          n++;
          const event = m.json<{ type: string; shard?: string }>();
          if (event.type === 'completed' && event.shard !== undefined) completed.add(event.shard);
        }
        if (n === 0) break;
        seen += n;
      }
      const starts = Array.from({ length: SHARDS }, (_, j) => SPAN.start + j * BARS_PER_SHARD * MIN);
      expect([...completed].map((key) => (JSON.parse(key) as number[])[3]).sort((a, b) => a - b)).toEqual(starts);
    } finally {
      await nc.close();
    }
  }, 60_000);
});
