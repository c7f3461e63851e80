/**
 * Scenario: a gateway that hands its backfills to a remote coordinator, on shared PostgreSQL.
 *
 * Deployed as an operator would: a real PostgreSQL (test/harness/postgres-server.ts), a
 * `seamless coordinator serve --workers 0` that requires API keys, a gateway `seamless serve`
 * whose `seamless.backfill.endpoint` is that coordinator (authenticating with SEAMLESS_API_KEY),
 * both with `storage.url` on the same database, and two `seamless worker` processes (`--key`).
 *
 * A user reads never-stored ranges through the gateway over HTTP: the rows arrive, exactly, are
 * in PostgreSQL, and the job is visible at the coordinator. Faults: a worker killed with -9 while
 * holding a shard (the other worker completes it once its lease expires); then the coordinator
 * stopped (the gateway still answers stored ranges from PostgreSQL, and /healthz and
 * seamless_coordinator_up report the coordinator down). And the topology that cannot work — the
 * endpoint with bars in the gateway's own embedded DuckDB — is refused at start (exit 1, one line
 * naming both keys). Skipped without the PostgreSQL server binaries.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/gateway/index.js';
import { postgresAvailable, startPostgresServer } from '../harness/postgres-server.js';
import type { PostgresServer } from '../harness/postgres-server.js';
import {
  eventually, killSeamlessProcesses, processReport, startCoordinator, startSeamless, startWorkers, waitForLine,
} from '../harness/seamless-processes.js';
import type { SeamlessProcess } from '../harness/seamless-processes.js';
import { tempDir } from '../helpers/temp-dir.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2024, 2, 4);
/** Healthy read: 4 h = 4 shards of 60 bars. */
const NODE_A = 'ohlcv:scenario:A';
/** Read during which a worker dies: 4 h = 4 slow shards. */
const NODE_B = 'ohlcv:scenario:B';
const RANGE = { start: T0, end: T0 + 4 * HOUR };
const BARS = 240;
/** Long enough that a worker is killed well inside a fetch, short enough for the file to stay fast. */
const SHARD_LATENCY_MS = 2_500;
const LEASE_MS = 3_000;

interface ReadBody {
  data: { ts: number[] };
  metadata: { rows: number; partial: boolean; sources: { storage: number; backfill: number }; backfill: { jobId: string; state: string } | null };
  error?: { code: string; message: string };
}
interface JobBody { id: string; node: string; state: string; completionRatio: number; rowsWritten: number }
interface LeaseBody { key: string; state: string; holder: string | null; token: number }

describe.skipIf(!postgresAvailable())('a gateway with a remote coordinator on shared PostgreSQL', () => {
  let pg: PostgresServer;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let storageUrl: string;
  let secret: string;
  let coordinator: SeamlessProcess;
  let coordinatorUrl: string;
  let gatewayUrl: string;
  let workers: SeamlessProcess[];

  const auth = (): Record<string, string> => ({ authorization: `Bearer ${secret}` });

  function config(name: string, lines: readonly string[]): string {
    return [
      `dataDir: ${JSON.stringify(join(dir.path, name))}`,
      'logging: { level: warn }',
      'sources:',
      `  slow: { kind: synthetic, seed: 21, latencyMs: ${SHARD_LATENCY_MS} }`,
      '  quick: { kind: synthetic, seed: 22, latencyMs: 100 }',
      'datasets:',
      `  - { nodeId: "${NODE_A}", intervals: [1m], source: quick }`,
      `  - { nodeId: "${NODE_B}", intervals: [1m], source: slow }`,
      ...lines,
      '',
    ].join('\n');
  }

  let refused: SeamlessProcess;

  beforeAll(async () => {
    dir = await tempDir('seamless-scenario-remote-');
    // The refused gateway starts (and should exit) while the rest of the deployment comes up;
    // its endpoint need not answer: the refusal comes before anything is opened.
    const refusedFile = join(dir.path, 'refused.yml');
    await writeFile(refusedFile, config('refused', ['seamless: { backfill: { endpoint: "http://127.0.0.1:9" } }']));
    refused = startSeamless(['serve', '--port', '0', '--config', refusedFile], dir.path, 'refused-gateway');
    pg = await startPostgresServer();
    storageUrl = await pg.createDatabase('seamless_remote');
    const key = generateApiKey('cluster', ['read', 'backfill', 'worker']);
    secret = key.secret;

    const coordinatorFile = join(dir.path, 'coordinator.yml');
    await writeFile(coordinatorFile, config('coordinator', [
      `storage: { url: ${JSON.stringify(storageUrl)} }`,
      `auth: { keys: [${JSON.stringify(key.entry)}] }`,
      `seamless: { backfill: { barsPerShard: 60, leaseMs: ${LEASE_MS}, heartbeatMs: 500 } }`,
    ]));
    // One at a time: the coordinator and the gateway both migrate the database at start.
    ({ process: coordinator, url: coordinatorUrl } = await startCoordinator(coordinatorFile, dir.path));

    const gatewayFile = join(dir.path, 'gateway.yml');
    await writeFile(gatewayFile, config('gateway', [
      `storage: { url: ${JSON.stringify(storageUrl)} }`,
      // No response cache: a repeated read must come from PostgreSQL.
      'cache: { enabled: false }',
      `seamless: { backfill: { endpoint: ${JSON.stringify(coordinatorUrl)}, localWorkers: 0, barsPerShard: 60 } }`,
    ]));
    const gateway = startSeamless(['serve', '--port', '0', '--config', gatewayFile], dir.path, 'gateway', { SEAMLESS_API_KEY: secret });
    [gatewayUrl, workers] = await Promise.all([
      waitForLine(gateway, /listening on (http:\/\/\S+)/).then((m) => m[1]),
      startWorkers(coordinatorUrl, coordinatorFile, dir.path, ['w1', 'w2'], ['--key', secret, '--concurrency', '1']),
    ]);
  }, 90_000);

  afterAll(async () => {
    await killSeamlessProcesses();
    await pg?.stop();
    await dir?.remove();
  });

  async function read(node: string, query = ''): Promise<{ status: number; body: ReadBody }> {
    const res = await fetch(`${gatewayUrl}/v1/bars?node=${encodeURIComponent(node)}&interval=1m&start=${RANGE.start}&end=${RANGE.end}${query}`, { signal: AbortSignal.timeout(60_000) });
    return { status: res.status, body: (await res.json()) as ReadBody };
  }

  async function storedBars(node: string): Promise<number> {
    const rows = await pg.query<{ n: string }>(
      'SELECT count(*) AS n FROM bars_ohlcv b JOIN datasets d ON d.id = b.dataset_id WHERE d.node_id = $1 AND d.interval_ms = $2 AND b.ts >= $3 AND b.ts < $4',
      [node, MIN, RANGE.start, RANGE.end], decodeURIComponent(new URL(storageUrl).pathname.slice(1)),
    );
    return Number(rows[0]?.n ?? 0);
  }

  async function coordinatorJobs(node: string): Promise<JobBody[]> {
    const res = await fetch(`${coordinatorUrl}/v1/backfills`, { headers: auth() });
    expect(res.status).toBe(200);
    return ((await res.json()) as { jobs: JobBody[] }).jobs.filter((j) => j.node === node);
  }

  async function lease(key: string): Promise<LeaseBody> {
    const res = await fetch(`${coordinatorUrl}/v1/leases/inspect?key=${encodeURIComponent(key)}`, { headers: auth() });
    return (await res.json()) as LeaseBody;
  }

  it('refuses to start a gateway with the endpoint and bars in its own embedded DuckDB, naming both keys', async () => {
    const exit = await Promise.race([
      refused.exited,
      new Promise<'still running'>((resolve) => { setTimeout(() => resolve('still running'), 30_000).unref(); }),
    ]);
    if (exit === 'still running') await refused.kill();
    expect(exit, processReport(refused)).toEqual({ code: 1, signal: null });
    const lines = refused.stderr.split('\n').filter((l) => l.includes('seamless.backfill.endpoint') && l.includes('storage.url'));
    expect(lines, refused.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^seamless: invalid_request: /);
    expect(refused.stdout).not.toContain('listening on');
  }, 40_000);

  it('serves a never-stored range with every bar, stored in PostgreSQL, the job visible at the coordinator', async () => {
    expect(await storedBars(NODE_A)).toBe(0);
    const { status, body } = await read(NODE_A, '&strategy=auto_backfill');
    expect(status, JSON.stringify(body.error)).toBe(200);
    expect(body.metadata).toMatchObject({ rows: BARS, partial: false, backfill: { state: 'completed' } });
    expect(new Set(body.data.ts).size).toBe(BARS);
    expect(body.data.ts[0]).toBe(RANGE.start);
    expect(body.data.ts[BARS - 1]).toBe(RANGE.end - MIN);
    expect(await storedBars(NODE_A)).toBe(BARS);
    expect(await coordinatorJobs(NODE_A)).toMatchObject([{ state: 'completed', completionRatio: 1, rowsWritten: BARS }]);
    // The gateway follows the job under the id its read reported.
    const followed = await fetch(`${gatewayUrl}/v1/backfills/${encodeURIComponent(body.metadata.backfill?.jobId ?? '')}`);
    expect(followed.status).toBe(200);
  }, 60_000);

  it('completes the range through the other worker when one is killed with -9 holding a shard', async () => {
    const reading = read(NODE_B, '&strategy=auto_backfill');
    // The first shard w1 is seen holding: polled from the job's start, so it is killed early in that fetch.
    const victim = await eventually('a shard of node B leased by w1', async () => {
      const [job] = await coordinatorJobs(NODE_B);
      if (job === undefined) return undefined;
      const res = await fetch(`${coordinatorUrl}/v1/jobs/${encodeURIComponent(job.id)}`, { headers: auth() });
      const { job: detail } = (await res.json()) as { job: { shardList: { key: string; state: string }[] } };
      for (const s of detail.shardList) {
        if (s.state === 'completed') continue;
        const l = await lease(s.key);
        // A worker's lease holder is its id (`w1`), with `/<slot>` when it runs several at once.
        if (l.state === 'leased' && /^w1(\/|$)/.test(l.holder ?? '')) return l;
      }
      return undefined;
    }, 30_000, 50);
    const [w1, w2] = workers;
    expect(await w1.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    const { status, body } = await reading;
    expect(status, `${JSON.stringify(body.error)}\n${processReport(w2)}`).toBe(200);
    expect(body.metadata).toMatchObject({ rows: BARS, partial: false, backfill: { state: 'completed' } });
    expect(new Set(body.data.ts).size).toBe(BARS);
    expect(await storedBars(NODE_B)).toBe(BARS);
    // The dead worker's shard was granted again, after its lease expired, and w2 completed it.
    const after = await lease(victim.key);
    expect(after.state).toBe('completed');
    expect(after.token).toBeGreaterThan(victim.token);
    expect(after.holder).toMatch(/^w2(\/|$)/);
    expect(await coordinatorJobs(NODE_B)).toMatchObject([{ state: 'completed', completionRatio: 1 }]);
  }, 60_000);

  it('answers stored ranges from PostgreSQL once the coordinator is gone, and reports the coordinator down', async () => {
    coordinator.process.kill('SIGKILL');
    await coordinator.exited;
    const { status, body } = await read(NODE_A);
    expect(status, JSON.stringify(body.error)).toBe(200);
    expect(body.metadata).toMatchObject({ rows: BARS, partial: false, sources: { storage: BARS, backfill: 0 }, backfill: null });

    const health = await fetch(`${gatewayUrl}/healthz`);
    expect(health.status).toBe(503);
    const checks = ((await health.json()) as { checks: Record<string, { ok: boolean; detail: string }> }).checks;
    expect(checks.coordinator.ok).toBe(false);
    expect(checks.coordinator.detail).toContain(coordinatorUrl);
    expect(checks.storage).toMatchObject({ ok: true, detail: 'postgres' });
    const metrics = await (await fetch(`${gatewayUrl}/metrics`)).text();
    expect(metrics).toMatch(/^seamless_coordinator_up\{backend="remote"\} 0$/m);

    // A range never stored cannot be backfilled now: the read says why.
    const missing = await fetch(`${gatewayUrl}/v1/bars?node=${encodeURIComponent(NODE_A)}&interval=1m&start=${RANGE.end}&end=${RANGE.end + HOUR}&strategy=auto_backfill`);
    expect(missing.status).toBe(502);
    const refusal = (await missing.json()) as { error: { code: string; message: string } };
    expect(refusal.error).toMatchObject({ code: 'upstream_unavailable' });
    expect(refusal.error.message).toContain('coordinator unavailable');
  }, 60_000);
});
