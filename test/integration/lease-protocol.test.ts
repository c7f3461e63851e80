/**
 * The coordinator's lease API answers a client written against the original design's wire
 * protocol: plain fetch, snake_case fields, claim / heartbeat / complete / fail by key, 409 when
 * held or stale. A real gateway on an ephemeral port with the distributed coordinator on the
 * embedded lease store and no local workers, so the test is the only one taking leases.
 */
import { describe, expect, it } from 'vitest';
import { StaleLeaseError, createCoordinatorClient } from '../../src/backfill/index.js';
import { encodeShardUpload, prepareBatch } from '../../src/backfill/internal.js';
import { StaleFencingTokenError, UpstreamUnavailableError } from '../../src/core/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { createSyntheticSource } from '../../src/sources/index.js';
import { gatewayForSuite } from '../helpers/in-process-gateway.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const NODE = 'ohlcv:test:LEASES';

interface Lease { key: string; token: number; lease_until_ms: number }
interface ErrorJson { error: { code: string; message: string; details: Record<string, unknown> } }

describe('lease wire protocol (original design, snake_case)', () => {
  const gateway = gatewayForSuite((dataDir) => ({
    config: {
      dataDir,
      sources: { syn: { kind: 'synthetic', seed: 5 } },
      datasets: [{ nodeId: NODE, intervals: ['1m'], source: 'syn' }],
      seamless: { backfill: { store: 'embedded', localWorkers: 0, baseDelayMs: 0, barsPerShard: 60, maxAttempts: 5 } },
    },
  }));

  /** The original client: JSON in, status and JSON out. */
  async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  }
  async function inspect(key: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${gateway.url}/v1/leases/inspect?key=${encodeURIComponent(key)}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('grants a claim by key, refuses a second claimant with the holder, and completes', async () => {
    const key = 'orders/2024-01-01';
    const first = await post('/v1/leases/claim', { key, lease_ms: 5_000, worker: 'w1' });
    expect(first.status).toBe(200);
    const lease = first.body.lease as Lease;
    expect(lease).toMatchObject({ key, token: 1 });
    expect(lease.lease_until_ms).toBeGreaterThan(Date.now());
    expect(first.body.completion_ratio).toBe(0);

    const second = await post('/v1/leases/claim', { key, lease_ms: 5_000, worker: 'w2' });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ holder: 'w1', lease_until_ms: lease.lease_until_ms, state: 'leased' });

    const beat = await post('/v1/leases/heartbeat', { key, token: 1, lease_ms: 10_000 });
    expect(beat.status).toBe(200);
    expect(beat.body.lease_until_ms).toBeGreaterThan(lease.lease_until_ms);

    const done = await post('/v1/leases/complete', { key, token: 1 });
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ completion_ratio: 1 });

    const again = await post('/v1/leases/claim', { key, lease_ms: 5_000, worker: 'w2' });
    expect(again.status).toBe(409);
    expect(again.body.state).toBe('completed');

    const seen = await inspect(key);
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ key, state: 'completed', holder: 'w1', token: 1, attempts: 0, last_error: null });
  });

  it('re-queues a failed lease with its reason; the old token is stale after the next grant', async () => {
    const key = 'orders/2024-01-02';
    const first = await post('/v1/leases/claim', { key, lease_ms: 5_000, worker: 'w1' });
    expect((first.body.lease as Lease).token).toBe(1);
    const failed = await post('/v1/leases/fail', { key, token: 1, reason: 'upstream answered 503' });
    expect(failed.status).toBe(200);
    expect(failed.body).toEqual({ completion_ratio: 0 });
    expect((await inspect(key)).body).toMatchObject({ state: 'pending', attempts: 1, last_error: 'upstream answered 503' });

    const retry = await post('/v1/leases/claim', { key, lease_ms: 5_000, worker: 'w2' });
    expect(retry.status).toBe(200);
    expect((retry.body.lease as Lease).token).toBe(2);

    const staleBeat = await post('/v1/leases/heartbeat', { key, token: 1, lease_ms: 5_000 });
    expect(staleBeat.status).toBe(409);
    expect(staleBeat.body).toMatchObject({ error: { code: 'conflict' }, current: 2 });
    expect((await post('/v1/leases/complete', { key, token: 1 })).status).toBe(409);
    expect((await post('/v1/leases/fail', { key, token: 1, reason: 'late' })).status).toBe(409);

    const final = await post('/v1/leases/fail', { key, token: 2, reason: 'no such symbol', retryable: false });
    expect(final.status).toBe(200);
    expect((await inspect(key)).body).toMatchObject({ state: 'failed', holder: 'w2', token: 2, attempts: 2, last_error: 'no such symbol' });
  });

  it('takes the token back as the string a client kept, and answers any token that is no grant as stale with the holder', async () => {
    const key = 'orders/2024-01-04';
    const claim = await post('/v1/leases/claim', { key, lease_ms: 5_000, worker: 'w1' });
    expect(claim.status).toBe(200);
    const kept = String((claim.body.lease as Lease).token);
    const beat = await post('/v1/leases/heartbeat', { key, token: kept, lease_ms: 5_000 });
    expect(beat.status).toBe(200);
    for (const garbage of ['abc', '1.5', '', ' 1', '-1', 0, 1.5, 2, '2', '99999999999999999999']) {
      const r = await post('/v1/leases/heartbeat', { key, token: garbage, lease_ms: 5_000 });
      expect(r.status, JSON.stringify(garbage)).toBe(409);
      expect(r.body, JSON.stringify(garbage)).toMatchObject({ error: { code: 'conflict', details: { reason: 'stale_lease', holder: 'w1' } }, holder: 'w1', current: 1, state: 'leased' });
    }
    const done = await post('/v1/leases/complete', { key, token: kept });
    expect(done.status).toBe(200);
    expect((await inspect(key)).body).toMatchObject({ state: 'completed', token: 1 });

    const key2 = 'orders/2024-01-05';
    const second = await post('/v1/leases/claim', { key: key2, lease_ms: 5_000, worker: 'w1' });
    const failed = await post('/v1/leases/fail', { key: key2, token: String((second.body.lease as Lease).token), reason: 'upstream answered 503' });
    expect(failed.status).toBe(200);
    expect((await inspect(key2)).body).toMatchObject({ state: 'pending', attempts: 1, last_error: 'upstream answered 503' });
  });

  it('hands an expired lease to the next claimant with a greater token', async () => {
    const key = 'orders/2024-01-03';
    const first = await post('/v1/leases/claim', { key, lease_ms: 1_000, worker: 'crashed' });
    expect(first.status).toBe(200);
    const deadline = Date.now() + 10_000;
    let next = await post('/v1/leases/claim', { key, lease_ms: 5_000, worker: 'w2' });
    while (next.status === 409 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      next = await post('/v1/leases/claim', { key, lease_ms: 5_000, worker: 'w2' });
    }
    expect(next.status).toBe(200);
    expect((next.body.lease as Lease).token).toBe(2);
    expect((await post('/v1/leases/complete', { key, token: 1 })).status).toBe(409);
  });

  it('refuses each bad lease body naming the field, nested evidence fields included', async () => {
    const cases: [string, unknown, string, string][] = [
      ['/v1/leases/claim', [1], 'body', 'must be a JSON object {key, worker, lease_ms}'],
      ['/v1/leases/claim', { key: '', lease_ms: 5_000 }, 'key', 'must be a non-empty string'],
      ['/v1/leases/claim', { key: 'k', worker: 7, lease_ms: 5_000 }, 'worker', 'must be a non-empty string'],
      ['/v1/leases/claim', { key: 'k', lease_ms: 1.5 }, 'lease_ms', 'must be an integer'],
      ['/v1/leases/heartbeat', { key: 'k', token: [1], lease_ms: 5_000 }, 'token', 'must be the token of your lease as a number or a string, got an array'],
      ['/v1/leases/complete', { key: 'k', token: 1, state: 'done' }, 'state', 'must be completed or known_empty, got "done"'],
      ['/v1/leases/complete', { key: 'k', token: 1, rows_written: -1 }, 'rows_written', `must be from 0 to ${Number.MAX_SAFE_INTEGER}`],
      ['/v1/leases/complete', { key: 'k', token: 1, state: 'known_empty', evidence: 'yes' }, 'evidence', 'must be a JSON object {source, start, end, checked_at_ms}'],
      ['/v1/leases/complete', { key: 'k', token: 1, state: 'known_empty', evidence: { source: 'x', start: 0, end: 1, checked_at_ms: 2, by: 'me' } }, 'evidence.by', 'unknown field; expected source, start, end, checked_at_ms'],
      ['/v1/leases/complete', { key: 'k', token: 1, state: 'known_empty', evidence: { start: 0, end: 1, checked_at_ms: 2 } }, 'evidence.source', 'is required: the name of the source that answered (1-256 characters), e.g. binance'],
      ['/v1/leases/complete', { key: 'k', token: 1, state: 'known_empty', evidence: { source: 'x', start: '0', end: 1, checked_at_ms: 2 } }, 'evidence.start', 'must be an integer epoch ms'],
      ['/v1/leases/complete', { key: 'k', token: 1, evidence: { source: 'x', start: 0, end: 1, checked_at_ms: 2 } }, 'evidence', 'is only for state known_empty'],
      ['/v1/leases/fail', { key: 'k', token: 1, reason: 'down', retryable: 'yes' }, 'retryable', 'must be true or false'],
      ['/v1/shards/next', { lease_ms: 5_000 }, 'worker', 'is required (the worker\'s name, held in the lease)'],
      ['/v1/shards/next', { worker: 'w', wait_ms: 600_000 }, 'wait_ms', 'must be from 0 to 60000'],
    ];
    for (const [path, body, field, message] of cases) {
      const r = await post(path, body);
      expect(r.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect((r.body as unknown as ErrorJson).error, `${path} ${JSON.stringify(body)}`).toMatchObject({ code: 'invalid_request', details: { field } });
      expect((r.body as unknown as ErrorJson).error.message, `${path} ${JSON.stringify(body)}`).toContain(message);
    }
  });

  it('names the bad field of a request and answers 404 for an unknown key', async () => {
    const cases: [unknown, string][] = [
      [{ lease_ms: 5_000 }, 'key'],
      [{ key: 'k', lease_ms: 'soon' }, 'lease_ms'],
      [{ key: 'k', lease_ms: 10 }, 'lease_ms'],
      [{ key: 'k', lease_ms: 5_000, ttl: 5 }, 'ttl'],
    ];
    for (const [body, field] of cases) {
      const r = await post('/v1/leases/claim', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect((r.body as unknown as ErrorJson).error).toMatchObject({ code: 'invalid_request', details: { field } });
    }
    const noReason = await post('/v1/leases/fail', { key: 'k', token: 1 });
    expect((noReason.body as unknown as ErrorJson).error.details.field).toBe('reason');
    const noToken = await post('/v1/leases/heartbeat', { key: 'k', lease_ms: 5_000 });
    expect(noToken.status).toBe(400);
    expect((noToken.body as unknown as ErrorJson).error.details.field).toBe('token');
    const objectToken = await post('/v1/leases/complete', { key: 'k', token: { n: 1 } });
    expect(objectToken.status).toBe(400);
    expect((objectToken.body as unknown as ErrorJson).error.details.field).toBe('token');
    const unknown = await inspect('never-claimed');
    expect(unknown.status).toBe(404);
    expect((unknown.body as unknown as ErrorJson).error.code).toBe('not_found');
  });

  it('serves jobs to a worker through shards/next and takes its fenced Arrow upload', async () => {
    const job = await post('/v1/jobs', { node: NODE, interval: '1m', start: T0, end: T0 + 60 * MIN });
    expect(job.status).toBe(202);
    const jobId = (job.body.job as { id: string }).id;

    // The job's shards reach the lease store asynchronously; a long-poll waits for them.
    const next = await post('/v1/shards/next', { worker: 'remote-1', lease_ms: 5_000, wait_ms: 5_000 });
    expect(next.status).toBe(200);
    const shard = next.body.shard as { key: string; node: string; interval_ms: number; start: number; end: number };
    const lease = next.body.lease as Lease;
    expect(shard).toMatchObject({ node: NODE, interval_ms: MIN, start: T0, end: T0 + 60 * MIN });
    expect(lease).toMatchObject({ key: shard.key, token: 1 });

    const source = createSyntheticSource({ seed: 5 });
    const range = { start: shard.start, end: shard.end };
    const batch = await source.fetch({ nodeId: NODE, intervalMs: MIN, range });
    const prepared = prepareBatch(batch, range, { nodeId: NODE, intervalMs: MIN }, Date.now(), silentLogger(), shard.key);
    const upload = (token: number) => fetch(`${gateway.url}/v1/shards/rows?key=${encodeURIComponent(shard.key)}&token=${token}`, {
      method: 'POST', headers: { 'content-type': 'application/vnd.apache.arrow.stream' }, body: encodeShardUpload(prepared),
    });
    const written = await upload(1);
    expect(written.status).toBe(200);
    expect(await written.json()).toEqual({ rows_written: 60 });
    const done = await post('/v1/leases/complete', { key: shard.key, token: 1, rows_written: 60 });
    expect(done.body).toEqual({ completion_ratio: 1 });

    const status = await (await fetch(`${gateway.url}/v1/jobs/${jobId}`)).json() as { job: { state: string; completionRatio: number; rowsWritten: number } };
    expect(status.job).toMatchObject({ state: 'completed', completionRatio: 1, rowsWritten: 60 });
    const bars = await fetch(`${gateway.url}/v1/bars?node=${encodeURIComponent(NODE)}&interval=1m&start=${T0}&end=${T0 + 60 * MIN}&strategy=fail_fast`);
    expect(bars.status).toBe(200);
    expect(((await bars.json()) as { metadata: { rows: number } }).metadata.rows).toBe(60);

    // Nothing left: a short long-poll answers 204.
    expect((await post('/v1/shards/next', { worker: 'remote-1', wait_ms: 200 })).status).toBe(204);
  });

  it('refuses an upload whose fencing token is older than the newest grant', async () => {
    await post('/v1/jobs', { node: NODE, interval: '1m', start: T0 + 120 * MIN, end: T0 + 180 * MIN });
    const first = await post('/v1/shards/next', { worker: 'slow', lease_ms: 5_000, wait_ms: 5_000 });
    const shard = first.body.shard as { key: string; start: number; end: number };
    expect((await post('/v1/leases/fail', { key: shard.key, token: 1, reason: 'timeout' })).status).toBe(200);
    const second = await post('/v1/shards/next', { worker: 'fast', lease_ms: 5_000, wait_ms: 5_000 });
    expect((second.body.lease as Lease)).toMatchObject({ key: shard.key, token: 2 });

    const source = createSyntheticSource({ seed: 5 });
    const range = { start: shard.start, end: shard.end };
    const prepared = prepareBatch(await source.fetch({ nodeId: NODE, intervalMs: MIN, range }), range, { nodeId: NODE, intervalMs: MIN }, Date.now(), silentLogger(), shard.key);
    const late = await fetch(`${gateway.url}/v1/shards/rows?key=${encodeURIComponent(shard.key)}&token=1`, {
      method: 'POST', headers: { 'content-type': 'application/vnd.apache.arrow.stream' }, body: encodeShardUpload(prepared),
    });
    expect(late.status).toBe(409);
    expect(((await late.json()) as ErrorJson).error).toMatchObject({ code: 'conflict', details: { reason: 'stale_fencing_token' } });
    const cov = await (await fetch(`${gateway.url}/v1/coverage?node=${encodeURIComponent(NODE)}&interval=1m&start=${shard.start}&end=${shard.end}`)).json() as { ranges: { state: string }[] };
    expect(cov.ranges.filter((r) => r.state === 'stored')).toEqual([]);

    const bad = await fetch(`${gateway.url}/v1/shards/rows?key=${encodeURIComponent(shard.key)}&token=2`, {
      method: 'POST', headers: { 'content-type': 'application/vnd.apache.arrow.stream' }, body: new Uint8Array([1, 2, 3]),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorJson).error.details.field).toBe('arrow');
  });

  it('gives the worker client typed errors: stale lease, stale fence, unreachable coordinator', async () => {
    const client = createCoordinatorClient(gateway.url);
    await post('/v1/jobs', { node: NODE, interval: '1m', start: T0 + 240 * MIN, end: T0 + 300 * MIN });
    const first = await client.nextShard('c1', 5_000, 5_000);
    if (first === undefined) throw new Error('no shard');
    expect(first).toMatchObject({ token: 1, shard: { nodeId: NODE, intervalMs: MIN, start: T0 + 240 * MIN } });
    await client.fail(first.key, first.token, 'timeout', true);
    const second = await client.nextShard('c2', 5_000, 5_000);
    expect(second?.token).toBe(2);

    await expect(client.heartbeat(first.key, 1, 5_000)).rejects.toMatchObject({ name: 'StaleLeaseError', current: 2 });
    await expect(client.complete(first.key, 1)).rejects.toBeInstanceOf(StaleLeaseError);
    const range = { start: first.shard.start, end: first.shard.end };
    const source = createSyntheticSource({ seed: 5 });
    const prepared = prepareBatch(await source.fetch({ nodeId: NODE, intervalMs: MIN, range }), range, { nodeId: NODE, intervalMs: MIN }, Date.now(), silentLogger(), first.key);
    await expect(client.writeShard(first.key, 1, prepared)).rejects.toBeInstanceOf(StaleFencingTokenError);
    expect(await client.writeShard(first.key, 2, prepared)).toEqual({ rowsWritten: 60 });
    expect(await client.complete(first.key, 2, { rowsWritten: 60, state: 'completed' })).toEqual({ completionRatio: 1 });

    const dead = createCoordinatorClient('http://127.0.0.1:9', undefined, { timeoutMs: 2_000 });
    const error = await dead.heartbeat('k', 1, 5_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error).toMatchObject({ retryable: true, upstream: 'coordinator' });
  });
});

describe('opaque lease keys on the wire are bounded and expire', () => {
  const gateway = gatewayForSuite((dataDir) => ({
    config: {
      dataDir,
      sources: { syn: { kind: 'synthetic', seed: 5 } },
      datasets: [{ nodeId: NODE, intervals: ['1m'], source: 'syn' }],
      seamless: { backfill: { store: 'embedded', localWorkers: 0, baseDelayMs: 0, opaqueLeases: { maxKeys: 2, graceMs: 1_000 } } },
    },
  }));

  async function post(path: string, body: unknown): Promise<{ status: number; retryAfter: string | null; body: Record<string, unknown> }> {
    const res = await fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  }
  const inspectStatus = async (key: string): Promise<number> => (await fetch(`${gateway.url}/v1/leases/inspect?key=${encodeURIComponent(key)}`)).status;

  it('refuses a key beyond seamless.backfill.opaqueLeases.maxKeys naming the limit, and deletes released keys after the grace period', async () => {
    // k1 is granted twice (tokens 1 and 2) before it is released.
    expect((await post('/v1/leases/claim', { key: 'k1', lease_ms: 5_000, worker: 'w1' })).status).toBe(200);
    expect((await post('/v1/leases/fail', { key: 'k1', token: 1, reason: 'retry me' })).status).toBe(200);
    const again = await post('/v1/leases/claim', { key: 'k1', lease_ms: 5_000, worker: 'w1' });
    expect((again.body.lease as Lease).token).toBe(2);
    expect((await post('/v1/leases/claim', { key: 'k2', lease_ms: 5_000, worker: 'w2' })).status).toBe(200);

    const refused = await post('/v1/leases/claim', { key: 'k3', lease_ms: 5_000, worker: 'w3' });
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe('1');
    expect((refused.body as unknown as ErrorJson).error).toMatchObject({
      code: 'overloaded', details: { field: 'key', limit: 2, reason: 'opaque_lease_limit' },
    });
    expect((refused.body as unknown as ErrorJson).error.message).toContain('seamless.backfill.opaqueLeases.maxKeys = 2');
    expect(await inspectStatus('k3')).toBe(404);

    // Released: k1 and k2 are deleted one grace period later, and new keys fit again.
    expect((await post('/v1/leases/complete', { key: 'k1', token: 2 })).status).toBe(200);
    expect((await post('/v1/leases/complete', { key: 'k2', token: 1 })).status).toBe(200);
    let k3 = refused;
    const deadline = Date.now() + 15_000;
    while (k3.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      k3 = await post('/v1/leases/claim', { key: 'k3', lease_ms: 5_000, worker: 'w3' });
    }
    expect(k3.status).toBe(200);
    // k3 fit as soon as one of them was gone; the coordinator's sweep deletes the other one too.
    while ((await inspectStatus('k1')) !== 404 || (await inspectStatus('k2')) !== 404) {
      if (Date.now() > deadline) throw new Error('released keys k1 and k2 were not deleted within 15 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // k1 created again starts over at token 1; storage's fence of the old k1 (token 2) is no obstacle.
    const reborn = await post('/v1/leases/claim', { key: 'k1', lease_ms: 5_000, worker: 'w4' });
    expect(reborn.status).toBe(200);
    expect((reborn.body.lease as Lease).token).toBe(1);
  });
});
