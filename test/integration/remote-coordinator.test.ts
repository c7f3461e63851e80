/**
 * A gateway whose backfill coordinator is another process (`seamless.backfill.endpoint`): both
 * read and write the same PostgreSQL database (`storage.url`), since the coordinator writes the
 * rows its workers fetch into its own storage. Skipped without the PostgreSQL server binaries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, serveGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { createLogger, silentLogger } from '../../src/observability/index.js';
import type { Logger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';
import type { Seamless } from '../../src/app/index.js';
import { postgresAvailable, startPostgresServer } from '../harness/postgres-server.js';
import type { PostgresServer } from '../harness/postgres-server.js';
import { tempDir } from '../helpers/temp-dir.js';

interface ErrorJson { error: { code: string; message: string; details: Record<string, unknown> } }
const READ = '/v1/bars?node=ohlcv:demo:BTC-USD&interval=1m&start=2023-06-01T00:00:00Z&end=2023-06-01T02:00:00Z';

let pg: PostgresServer | undefined;
/** A fresh database on the file's PostgreSQL server, started at first use. */
async function database(): Promise<string> {
  pg ??= await startPostgresServer();
  return pg.createDatabase('seamless_remote');
}
afterAll(async () => { await pg?.stop(); });

describe.skipIf(!postgresAvailable())('a gateway whose backfill coordinator is another process', () => {
  let coordinatorSide: { seamless: Seamless; gateway: RunningGateway; remove: () => Promise<void> };
  let readerSide: { seamless: Seamless; gateway: RunningGateway; remove: () => Promise<void> };

  /** The coordinator's log lines (JSON), read for the jobs it creates. */
  const coordinatorLog: string[] = [];
  function submittedJobs(nodeId: string): { priority: string; requestedBy: string }[] {
    return coordinatorLog.map((l) => JSON.parse(l) as { msg: string; nodeId?: string; priority: string; requestedBy: string })
      .filter((l) => l.msg === 'backfill job submitted' && l.nodeId === nodeId);
  }

  async function start(url: string, overrides: Record<string, unknown>, logger: Logger = silentLogger()) {
    const dir = await tempDir();
    const seamless = await createSeamless({ overrides: { dataDir: dir.path, storage: { url }, ...overrides }, env: {}, logger });
    const gateway = await serveGateway({ seamless, host: '127.0.0.1', port: 0 });
    return { seamless, gateway, remove: async () => { await gateway.close(); await seamless.close(); await dir.remove(); } };
  }

  beforeAll(async () => {
    const url = await database();
    // One at a time: both migrate the same database at start.
    coordinatorSide = await start(url, { seamless: { backfill: { localWorkers: 0 } } }, createLogger({ level: 'info', destination: { write: (line: string) => { coordinatorLog.push(line); } } }));
    readerSide = await start(url, { seamless: { backfill: { endpoint: coordinatorSide.gateway.url, localWorkers: 2 } } });
  });
  afterAll(async () => {
    await readerSide?.remove();
    await coordinatorSide?.remove();
  });

  it('creates its jobs at the coordinator and lends it workers that complete them', async () => {
    const res = await fetch(`${readerSide.gateway.url}/v1/backfills`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ node: 'ohlcv:demo:ETH-USD', interval: '1m', start: '2023-06-01T00:00:00Z', end: '2023-06-01T06:00:00Z' }),
    });
    expect(res.status).toBe(202);
    const { job } = await res.json() as { job: { id: string } };
    const done = await readerSide.seamless.waitBackfill(job.id);
    expect(done).toMatchObject({ state: 'completed', completionRatio: 1 });
    // The coordinator holds the job and its rows (its workers are the reader's).
    const jobs = coordinatorSide.seamless.backfillJobs();
    expect(jobs.some((j) => j.nodeId === 'ohlcv:demo:ETH-USD' && j.completionRatio === 1)).toBe(true);
    const coverage = await coordinatorSide.seamless.coverage('ohlcv:demo:ETH-USD', '1m');
    expect(coverage.some((c) => c.state === 'stored' && c.start <= Date.UTC(2023, 5, 1) && c.end >= Date.UTC(2023, 5, 1, 6))).toBe(true);
  });

  it('serves a read of a never-stored range with the rows the coordinator wrote, in one job', async () => {
    const res = await fetch(`${readerSide.gateway.url}${READ}&strategy=auto_backfill`);
    const body = await res.json() as { metadata: { rows: number; partial: boolean; backfill: { jobId: string; state: string } | null } };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.metadata).toMatchObject({ rows: 120, partial: false, backfill: { state: 'completed' } });
    // One job at the coordinator; the gateway follows it under the id it reported.
    const jobs = coordinatorSide.seamless.backfillJobs().filter((j) => j.nodeId === 'ohlcv:demo:BTC-USD');
    expect(jobs).toMatchObject([{ state: 'completed', completionRatio: 1 }]);
    const followed = await fetch(`${readerSide.gateway.url}/v1/backfills/${body.metadata.backfill?.jobId ?? ''}`);
    expect(followed.status).toBe(200);
    // The next read is answered from storage and starts no job.
    const again = await fetch(`${readerSide.gateway.url}${READ}&strategy=auto_backfill`);
    expect(await again.json()).toMatchObject({ metadata: { rows: 120, backfill: null } });
    expect(coordinatorSide.seamless.backfillJobs().filter((j) => j.nodeId === 'ohlcv:demo:BTC-USD')).toHaveLength(1);
  });

  it('creates the job of a waiting read at read priority and an asked-for backfill at background priority', async () => {
    // The read above waited on its job; the POST of the first case waited on nobody.
    expect(submittedJobs('ohlcv:demo:BTC-USD')).toMatchObject([{ priority: 'read' }]);
    expect(submittedJobs('ohlcv:demo:ETH-USD')).toMatchObject([{ priority: 'background' }]);
  });

  it('refuses a job whose priority is neither read nor background, naming the field', async () => {
    const res = await fetch(`${coordinatorSide.gateway.url}/v1/jobs`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ node: 'ohlcv:demo:ETH-USD', interval: '1m', start: '2023-06-03T00:00:00Z', end: '2023-06-03T01:00:00Z', priority: 'urgent' }),
    });
    expect(res.status).toBe(400);
    const body = await res.json() as ErrorJson;
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.message).toContain('priority');
    expect(submittedJobs('ohlcv:demo:ETH-USD')).toHaveLength(1);
  });

  it('reports the coordinator healthy while it answers', async () => {
    const res = await fetch(`${readerSide.gateway.url}/healthz`);
    expect(res.status).toBe(200);
    // The coordinator's own check (its lease store) is passed on.
    const body = (await res.json()) as { checks: { coordinator: { detail: string } } };
    expect(body.checks.coordinator.detail).toMatch(/^coordinator at http:\/\/127\.0\.0\.1:\d+ answers: embedded lease store answers/);
  });
});

describe.skipIf(!postgresAvailable())('a gateway whose coordinator cannot be reached', () => {
  let side: { seamless: Seamless; gateway: RunningGateway; remove: () => Promise<void> };
  beforeAll(async () => {
    const dir = await tempDir();
    const url = await database();
    // Port 9 (discard) on loopback: nothing listens, connections are refused at once.
    const seamless = await createSeamless({ overrides: { dataDir: dir.path, storage: { url }, seamless: { backfill: { endpoint: 'http://127.0.0.1:9', localWorkers: 0 } } }, env: {}, logger: silentLogger() });
    const gateway = await serveGateway({ seamless, host: '127.0.0.1', port: 0 });
    side = { seamless, gateway, remove: async () => { await gateway.close(); await seamless.close(); await dir.remove(); } };
  });
  afterAll(async () => { await side?.remove(); });

  it('answers reads from storage under the strategy, never fetching on its own', async () => {
    const res = await fetch(`${side.gateway.url}${READ}&strategy=auto_backfill`);
    expect(res.status).toBe(502);
    const body = await res.json() as ErrorJson;
    expect(body.error.code).toBe('upstream_unavailable');
    expect(body.error.message).toContain('coordinator unavailable');
    const partial = await fetch(`${side.gateway.url}${READ}&strategy=auto_backfill&partial_ok=true`);
    expect(partial.status).toBe(200);
    expect(await partial.json()).toMatchObject({ metadata: { rows: 0, partial: true, coverageRatio: 0 } });
    expect(await side.seamless.coverage('ohlcv:demo:BTC-USD', '1m')).toEqual([]);
  });

  it('says so in the health check', async () => {
    const res = await fetch(`${side.gateway.url}/healthz`);
    expect(res.status).toBe(503);
    const body = await res.json() as { checks: { coordinator: { ok: boolean; detail: string } } };
    expect(body.checks.coordinator.ok).toBe(false);
    expect(body.checks.coordinator.detail).toContain('127.0.0.1:9');
  });
});

describe.skipIf(!postgresAvailable())('a gateway whose coordinator requires API keys', () => {
  it('authenticates with SEAMLESS_API_KEY (backfill and worker scopes) and completes its jobs there', async () => {
    const { secret, entry } = generateApiKey('reader', ['read', 'backfill', 'worker']);
    const coordinatorDir = await tempDir();
    const readerDir = await tempDir();
    const url = await database();
    const coordinator = await createSeamless({ overrides: { dataDir: coordinatorDir.path, storage: { url }, auth: { keys: [entry] }, seamless: { backfill: { localWorkers: 0 } } }, env: {}, logger: silentLogger() });
    const coordinatorGateway = await serveGateway({ seamless: coordinator, host: '127.0.0.1', port: 0 });
    const reader = await createSeamless({
      overrides: { dataDir: readerDir.path, storage: { url }, seamless: { backfill: { endpoint: coordinatorGateway.url, localWorkers: 1 } } },
      env: { SEAMLESS_API_KEY: secret }, logger: silentLogger(),
    });
    try {
      const job = await reader.backfill({ nodeId: 'ohlcv:demo:ETH-USD', interval: '1m', start: '2023-06-02T00:00:00Z', end: '2023-06-02T02:00:00Z' });
      expect(await reader.waitBackfill(job.id)).toMatchObject({ state: 'completed', completionRatio: 1 });
      expect((await reader.health()).coordinator.ok).toBe(true);
    } finally {
      await reader.close();
      await coordinatorGateway.close();
      await coordinator.close();
      await readerDir.remove();
      await coordinatorDir.remove();
    }
  });
});
