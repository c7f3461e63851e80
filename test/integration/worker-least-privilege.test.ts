/**
 * Least privilege at the coordinator (issue 12): scopes read / backfill / worker / admin with
 * admin implying every scope; RFC 7235 bearer scheme in any case and WWW-Authenticate on 401;
 * a known-empty completion needs the upstream's evidence and the uploaded known-empty coverage;
 * uploads stay inside their shard's dataset; a worker cannot change an upstream's rate or pause
 * it for longer than MAX_WORKER_PAUSE_MS. A real Seamless (distributed coordinator, embedded
 * lease store, no local workers) behind the gateway, driven with app.inject.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeShardUpload, prepareBatch } from '../../src/backfill/internal.js';
import type { BackfillEvent } from '../../src/backfill/index.js';
import type { ShardUpload } from '../../src/backfill/internal.js';
import { generateApiKey } from '../../src/gateway/index.js';
import { MAX_WORKER_PAUSE_MS, buildGateway, legacyWorkerKeyWarnings } from '../../src/gateway/internal.js';
import type { Gateway } from '../../src/gateway/internal.js';
import { silentLogger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';
import type { Seamless } from '../../src/app/index.js';
import { createSyntheticSource } from '../../src/sources/index.js';
import { tempDir } from '../helpers/temp-dir.js';

const MIN = 60_000;
const MONDAY = Date.UTC(2024, 0, 1);
const SATURDAY = Date.UTC(2024, 0, 6);
const NODE = 'ohlcv:test:AUTHZ';
const READ_FROM = Date.UTC(2024, 0, 2, 10);
const SOURCE = { kind: 'synthetic', seed: 7, knownEmpty: 'weekends' } as const;

interface Grant { shard: { key: string; start: number; end: number }; lease: { key: string; token: number } }
interface ErrorBody { error: { code: string; message: string; details: Record<string, unknown> } }

describe('least privilege for workers (issue 12)', () => {
  const reader = generateApiKey('reader', ['read']);
  const requester = generateApiKey('scheduler', ['backfill']);
  const worker = generateApiKey('worker-1', ['worker']);
  const admin = generateApiKey('ops', ['admin']);
  let seamless: Seamless;
  let gateway: Gateway;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const events: BackfillEvent[] = [];

  beforeAll(async () => {
    dir = await tempDir('seamless-authz-');
    seamless = await createSeamless({
      config: {
        dataDir: dir.path,
        sources: { syn: SOURCE },
        datasets: [{ nodeId: NODE, intervals: ['1m'], source: 'syn' }],
        auth: { keys: [reader.entry, requester.entry, worker.entry, admin.entry] },
        seamless: { backfill: { store: 'embedded', localWorkers: 0, baseDelayMs: 0, barsPerShard: 60, maxAttempts: 5 } },
      },
      env: {},
      logger: silentLogger(),
    });
    seamless.events.subscribe((event) => events.push(event));
    // Stored bars to read, so reads answer from storage and start no backfill.
    const csv = join(dir.path, 'bars.csv');
    const rows = [0, 1, 2, 3, 4].map((i) => `${new Date(READ_FROM + i * MIN).toISOString()},10,11,9,10,${i + 1}`);
    await writeFile(csv, `ts,open,high,low,close,volume\n${rows.join('\n')}\n`);
    await seamless.import({ path: csv, nodeId: NODE, interval: '1m' });
    gateway = await buildGateway({ seamless });
  });

  afterAll(async () => {
    await gateway?.app.close();
    await seamless?.close();
    await dir?.remove();
  });

  const auth = (secret: string, scheme = 'Bearer'): Record<string, string> => ({ authorization: `${scheme} ${secret}` });

  async function post(path: string, secret: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await gateway.app.inject({ method: 'POST', url: path, headers: auth(secret), payload: body as Record<string, unknown> });
    return { status: res.statusCode, body: res.body === '' ? {} : (res.json() as Record<string, unknown>) };
  }

  /** A job over [start, start + 60 min) and the worker's grant of its one shard. */
  async function leaseShard(start: number): Promise<Grant> {
    const job = await post('/v1/jobs', requester.secret, { node: NODE, interval: '1m', start, end: start + 60 * MIN });
    expect(job.status).toBe(202);
    const next = await post('/v1/shards/next', worker.secret, { worker: 'w1', lease_ms: 30_000, wait_ms: 5_000 });
    expect(next.status).toBe(200);
    return next.body as unknown as Grant;
  }

  async function upload(grant: Grant, body: ShardUpload): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await gateway.app.inject({
      method: 'POST', url: `/v1/shards/rows?key=${encodeURIComponent(grant.lease.key)}&token=${grant.lease.token}`,
      headers: { ...auth(worker.secret), 'content-type': 'application/vnd.apache.arrow.stream' }, payload: Buffer.from(encodeShardUpload(body)),
    });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> };
  }

  async function fetched(grant: Grant): Promise<ShardUpload> {
    const range = { start: grant.shard.start, end: grant.shard.end };
    const batch = await createSyntheticSource(SOURCE).fetch({ nodeId: NODE, intervalMs: MIN, range });
    return prepareBatch(batch, range, { nodeId: NODE, intervalMs: MIN }, Date.now(), silentLogger(), grant.shard.key);
  }

  describe('bearer authentication (RFC 7235, RFC 6750)', () => {
    const bars = `/v1/bars?node=${encodeURIComponent(NODE)}&interval=1m&start=${READ_FROM}&end=${READ_FROM + 5 * MIN}`;

    it('takes the scheme in any case: bearer and BEARER are Bearer', async () => {
      for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
        const res = await gateway.app.inject({ method: 'GET', url: bars, headers: auth(reader.secret, scheme) });
        expect(res.statusCode, scheme).toBe(200);
      }
    });

    it('answers 401 with WWW-Authenticate: Bearer realm="seamless", and error="invalid_token" for a bad key', async () => {
      const none = await gateway.app.inject({ method: 'GET', url: bars });
      expect(none.statusCode).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="seamless"');
      const bad = await gateway.app.inject({ method: 'GET', url: bars, headers: auth('sk_seamless_not-a-key') });
      expect(bad.statusCode).toBe(401);
      expect(bad.headers['www-authenticate']).toBe('Bearer realm="seamless", error="invalid_token"');
      const basic = await gateway.app.inject({ method: 'GET', url: bars, headers: auth(reader.secret, 'Basic') });
      expect(basic.statusCode).toBe(401);
    });

    it('lets an admin key read bars: admin implies every scope', async () => {
      const res = await gateway.app.inject({ method: 'GET', url: bars, headers: auth(admin.secret) });
      expect(res.statusCode).toBe(200);
    });
  });

  describe('scopes', () => {
    it('keeps lease, shard and permit endpoints to worker keys, and asking for jobs to backfill keys', async () => {
      const refused = await post('/v1/shards/next', requester.secret, { worker: 'w9', wait_ms: 0 });
      expect(refused.status).toBe(403);
      const error = (refused.body as unknown as ErrorBody).error;
      expect(error.details).toMatchObject({ scope: 'worker', identity: 'scheduler' });
      expect(error.message).toMatch(/add worker to this key's scopes in auth\.keys/);
      for (const path of ['/v1/leases/claim', '/v1/upstreams/testex/permits', '/v1/upstreams/testex/pause']) {
        expect((await post(path, requester.secret, {})).status, path).toBe(403);
      }
      expect((await post('/v1/jobs', worker.secret, { node: NODE, interval: '1m', start: MONDAY, end: MONDAY + MIN })).status).toBe(403);
      expect((await post('/v1/shards/next', worker.secret, { worker: 'w9', wait_ms: 0 })).status).toBe(204);
      expect((await post('/v1/shards/next', admin.secret, { worker: 'w9', wait_ms: 0 })).status).toBe(204);
    });

    it('names, at start-up, each key that has backfill but not worker and the fix', () => {
      const lines = legacyWorkerKeyWarnings([reader.entry, requester.entry, worker.entry, admin.entry]);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('"scheduler" (auth.keys[1])');
      expect(lines[0]).toContain('add worker to auth.keys[1].scopes');
    });
  });

  describe('known-empty completions', () => {
    it('refuses a known_empty completion without evidence, or with evidence of nothing uploaded; the shard stays leased', async () => {
      const grant = await leaseShard(MONDAY);
      const { key, token } = grant.lease;
      const bare = await post('/v1/leases/complete', worker.secret, { key, token, state: 'known_empty' });
      expect(bare.status).toBe(400);
      expect((bare.body as unknown as ErrorBody).error.details.field).toBe('evidence');

      const evidence = { source: 'syn', start: grant.shard.start, end: grant.shard.end, checked_at_ms: Date.now() };
      const unbacked = await post('/v1/leases/complete', worker.secret, { key, token, state: 'known_empty', evidence });
      expect(unbacked.status).toBe(400);
      expect((unbacked.body as unknown as ErrorBody).error).toMatchObject({ details: { field: 'evidence' } });
      expect((unbacked.body as unknown as ErrorBody).error.message).toMatch(/not recorded as known empty/);

      const early = await post('/v1/leases/complete', worker.secret, { key, token, state: 'known_empty', evidence: { ...evidence, checked_at_ms: grant.shard.start } });
      expect((early.body as unknown as ErrorBody).error.details.field).toBe('evidence.checked_at_ms');

      const shard = await gateway.app.inject({ method: 'GET', url: `/v1/leases/inspect?key=${encodeURIComponent(key)}`, headers: auth(worker.secret) });
      expect(shard.json()).toMatchObject({ state: 'leased', token });
      // The honest way still works for the weekday shard: rows, then completed.
      expect((await upload(grant, await fetched(grant))).status).toBe(200);
      expect((await post('/v1/leases/complete', worker.secret, { key, token, rows_written: 60 })).status).toBe(200);
    });

    it('takes a known_empty completion with the upstream evidence after the known-empty upload, and publishes its provenance', async () => {
      const grant = await leaseShard(SATURDAY);
      const prepared = await fetched(grant);
      expect(prepared.coverage).toEqual([{ start: grant.shard.start, end: grant.shard.end, state: 'known_empty' }]);
      expect((await upload(grant, prepared)).status).toBe(200);
      const checkedAt = Date.now();
      const evidence = { source: 'synthetic', start: grant.shard.start, end: grant.shard.end, checked_at_ms: checkedAt };
      const done = await post('/v1/leases/complete', worker.secret, { key: grant.lease.key, token: grant.lease.token, state: 'known_empty', evidence });
      expect(done.status).toBe(200);
      const completed = events.find((e) => e.type === 'completed' && e.shard === grant.lease.key);
      expect(completed).toMatchObject({
        state: 'known_empty',
        evidence: { source: 'synthetic', start: grant.shard.start, end: grant.shard.end, checkedAt, worker: 'w1' },
      });
    });
  });

  describe('known-empty provenance in the shard record', () => {
    it('shows who decided a known-empty shard, from which source and when, in GET /v1/leases/inspect and the job\'s shard list', async () => {
      const sunday = SATURDAY + 24 * 60 * MIN;
      const job = await post('/v1/jobs', requester.secret, { node: NODE, interval: '1m', start: sunday, end: sunday + 60 * MIN });
      expect(job.status).toBe(202);
      const jobId = (job.body.job as { id: string }).id;
      const next = await post('/v1/shards/next', worker.secret, { worker: 'w-sunday', lease_ms: 30_000, wait_ms: 5_000 });
      const grant = next.body as unknown as Grant;
      expect((await upload(grant, await fetched(grant))).status).toBe(200);
      const checkedAt = Date.now();
      const evidence = { source: 'synthetic', start: grant.shard.start, end: grant.shard.end, checked_at_ms: checkedAt };
      const before = Date.now();
      expect((await post('/v1/leases/complete', worker.secret, { key: grant.lease.key, token: grant.lease.token, state: 'known_empty', evidence })).status).toBe(200);

      const inspect = await gateway.app.inject({ method: 'GET', url: `/v1/leases/inspect?key=${encodeURIComponent(grant.lease.key)}`, headers: auth(worker.secret) });
      const record = inspect.json() as { state: string; known_empty: Record<string, unknown> };
      expect(record).toMatchObject({ state: 'known_empty', known_empty: { ...evidence, worker: 'w-sunday' } });
      expect(record.known_empty.decided_at_ms).toBeGreaterThanOrEqual(before);

      const status = await gateway.app.inject({ method: 'GET', url: `/v1/jobs/${jobId}`, headers: auth(requester.secret) });
      const shardList = (status.json() as { job: { shardList: Record<string, unknown>[] } }).job.shardList;
      expect(shardList).toEqual([expect.objectContaining({
        key: grant.lease.key, state: 'known_empty',
        knownEmpty: { source: 'synthetic', worker: 'w-sunday', start: grant.shard.start, end: grant.shard.end, checkedAt, decidedAt: record.known_empty.decided_at_ms },
      })]);
    });
  });

  describe('shard uploads', () => {
    it('refuses findings of another dataset and rows off the grid or outside the shard; nothing is written', async () => {
      const grant = await leaseShard(MONDAY + 120 * MIN);
      const good = await fetched(grant);
      const finding = { nodeId: 'ohlcv:other:VICTIM', intervalMs: MIN, flag: 'duplicate_ts' as const, ts: MONDAY, count: 1, at: Date.now(), detail: 'forged' };
      const foreign = await upload(grant, { ...good, findings: [finding] });
      expect(foreign.status).toBe(400);
      expect((foreign.body as unknown as ErrorBody).error.details.field).toBe('seamless.upload.findings[0].nodeId');

      const shifted = { ...good, frame: { ...good.frame, ts: good.frame.ts.map((t) => t + 1) } };
      const offGrid = await upload(grant, shifted);
      expect(offGrid.status).toBe(400);
      expect((offGrid.body as unknown as ErrorBody).error.details.field).toBe('frame.ts');

      const outside = await upload(grant, { ...good, coverage: [{ start: grant.shard.start, end: grant.shard.end + 60 * MIN, state: 'stored' }] });
      expect(outside.status).toBe(400);
      expect((outside.body as unknown as ErrorBody).error.details.field).toBe('seamless.upload.coverage[0]');

      expect(await seamless.coverage(NODE, '1m', { start: grant.shard.start, end: grant.shard.end })).toEqual([]);
      await expect(seamless.coverage('ohlcv:other:VICTIM', '1m')).rejects.toThrow(/no dataset/);
    });
  });

  describe('upstream budgets', () => {
    it('keeps the coordinator\'s rate against a worker\'s request and lets an admin change it', async () => {
      const configured = { requestsPerSecond: 50, burst: 5 };
      seamless.upstreams.budget('ratex', configured);
      const asked = await post('/v1/upstreams/ratex/permits', worker.secret, { requests_per_second: 1e-9, burst: 1, wait_ms: 0 });
      expect(asked.status).toBe(200);
      expect(asked.body).toMatchObject({ granted: true, requests_per_second: 50, burst: 5 });
      expect((await seamless.upstreams.budget('ratex', configured).snapshot()).requestsPerSecond).toBe(50);
      expect(seamless.upstreams.list().find((b) => b.upstream === 'ratex')?.rate).toEqual(configured);

      const changed = await post('/v1/upstreams/ratex/permits', admin.secret, { requests_per_second: 20, burst: 2, wait_ms: 0 });
      expect(changed.body).toMatchObject({ requests_per_second: 20, burst: 2 });
      expect(seamless.upstreams.list().find((b) => b.upstream === 'ratex')?.rate).toEqual({ requestsPerSecond: 20, burst: 2 });
    });

    it('caps a worker\'s pause at MAX_WORKER_PAUSE_MS; an admin may pause for longer', async () => {
      const rate = { requests_per_second: 10, burst: 1 };
      const capped = await post('/v1/upstreams/pausex/pause', worker.secret, { ...rate, pause_ms: 3_600_000 });
      expect(capped.status).toBe(200);
      expect(capped.body.pause_ms).toBe(MAX_WORKER_PAUSE_MS);
      expect(Number(capped.body.paused_until_ms) - Number(capped.body.now_ms)).toBeLessThanOrEqual(MAX_WORKER_PAUSE_MS);

      const long = await post('/v1/upstreams/pausex/pause', admin.secret, { ...rate, pause_ms: 3_600_000 });
      expect(long.body.pause_ms).toBe(3_600_000);
      expect(Number(long.body.paused_until_ms) - Number(long.body.now_ms)).toBeGreaterThan(MAX_WORKER_PAUSE_MS);
    });
  });
});
