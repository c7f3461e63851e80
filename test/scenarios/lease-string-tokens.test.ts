/**
 * A client written against the original lease wire protocol, talking to a real
 * `seamless coordinator serve` process (embedded lease store, no workers of its own). The client
 * is plain `fetch` with a vendor content type (`application/json; charset=utf-8`) and keeps every
 * token as a string exactly as received (String() of the JSON value), and sends it back so.
 * What it must see: claim → heartbeat → complete lands; fail lands with its reason (inspect shows
 * it); an old grant after a re-claim past expiry, or garbage, is a stale claim (409 naming the
 * holder), never a 400; only a missing token is a 400 naming `token`. What is reported: the
 * lease record (inspect), the stale-claim counter and the `expired` event.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { collectEvents, eventually, killSeamlessProcesses, processReport, startCoordinator } from '../harness/seamless-processes.js';
import type { EventCollector, SeamlessProcess } from '../harness/seamless-processes.js';

type Json = Record<string, unknown>;

/** The original client: a token is a string, whatever JSON type it arrived as. */
interface OriginalLease { key: string; token: string; leaseUntilMs: number }

describe('a lease client that keeps tokens as strings (original wire protocol)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let coordinator: SeamlessProcess;
  let url = '';
  let events: EventCollector;

  beforeAll(async () => {
    dir = await tempDir('seamless-string-tokens-');
    const configFile = join(dir.path, 'seamless.yml');
    await writeFile(configFile, [
      `dataDir: ${JSON.stringify(join(dir.path, 'data'))}`,
      'logging: { level: info }',
      'seamless:',
      '  backfill: { leaseMs: 5000, heartbeatMs: 1000 }',
      '',
    ].join('\n'));
    const started = await startCoordinator(configFile, dir.path);
    coordinator = started.process;
    url = started.url;
    events = await collectEvents(url);
  }, 60_000);

  afterAll(async () => {
    events?.close();
    await killSeamlessProcesses();
    await dir?.remove();
  });

  async function post(path: string, body: Json): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${url}${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Json) };
  }

  async function claim(key: string, worker: string, leaseMs: number): Promise<{ status: number; lease?: OriginalLease; body: Json }> {
    const r = await post('/v1/leases/claim', { key, lease_ms: leaseMs, worker });
    if (r.status !== 200) return r;
    const lease = r.body.lease as Json;
    return { ...r, lease: { key: String(lease.key), token: String(lease.token), leaseUntilMs: Number(lease.lease_until_ms) } };
  }

  async function inspect(key: string): Promise<Json> {
    const res = await fetch(`${url}/v1/leases/inspect?key=${encodeURIComponent(key)}`);
    expect(res.status).toBe(200);
    return (await res.json()) as Json;
  }

  it('claims, heartbeats and completes with the token echoed back as a string', async () => {
    const key = 'orders/2024-02-01';
    const first = await claim(key, 'original-1', 5_000);
    expect(first.status, processReport(coordinator)).toBe(200);
    const lease = first.lease as OriginalLease;
    expect(lease.token).toBe('1');
    const beat = await post('/v1/leases/heartbeat', { key, token: lease.token, lease_ms: 5_000 });
    expect(beat.status).toBe(200);
    expect(beat.body.lease_until_ms).toBeGreaterThanOrEqual(lease.leaseUntilMs);
    const done = await post('/v1/leases/complete', { key, token: lease.token });
    expect(done).toEqual({ status: 200, body: { completion_ratio: 1 } });
    expect(await inspect(key)).toMatchObject({ key, state: 'completed', holder: 'original-1', token: 1, last_error: null });
  });

  it('fails with a reason that the lease record keeps', async () => {
    const key = 'orders/2024-02-02';
    const lease = (await claim(key, 'original-1', 5_000)).lease as OriginalLease;
    const failed = await post('/v1/leases/fail', { key, token: lease.token, reason: 'upstream answered 503' });
    expect(failed).toEqual({ status: 200, body: { completion_ratio: 0 } });
    expect(await inspect(key)).toMatchObject({ state: 'pending', attempts: 1, last_error: 'upstream answered 503' });
  });

  it('answers an old grant after a re-claim past expiry, and garbage, as a stale claim naming the holder', async () => {
    const key = 'orders/2024-02-03';
    const old = (await claim(key, 'crashed', 1_000)).lease as OriginalLease;
    // The crashed client never heartbeats: past its lease another client gets the shard.
    const next = await eventually('a re-claim past the lease', async () => {
      const r = await claim(key, 'original-2', 5_000);
      return r.status === 200 ? r.lease : undefined;
    }, 20_000, 100);
    expect(next.token).toBe('2');

    for (const [path, body] of [
      ['/v1/leases/complete', { key, token: old.token }],
      ['/v1/leases/fail', { key, token: old.token, reason: 'late' }],
      ['/v1/leases/heartbeat', { key, token: old.token, lease_ms: 5_000 }],
      ['/v1/leases/heartbeat', { key, token: 'abc', lease_ms: 5_000 }],
      ['/v1/leases/complete', { key, token: '1.5' }],
    ] as const) {
      const r = await post(path, body);
      expect(r.status, `${path} ${JSON.stringify(body)}`).toBe(409);
      expect(r.body).toMatchObject({
        error: { code: 'conflict', details: { reason: 'stale_lease', holder: 'original-2' } }, holder: 'original-2', current: 2, state: 'leased',
      });
    }
    const missing = await post('/v1/leases/complete', { key });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: { code: 'invalid_request', details: { field: 'token' } } });

    // The stale holder's answers changed nothing: the live lease completes with its own string token.
    expect((await post('/v1/leases/complete', { key, token: next.token })).status).toBe(200);
    expect(await inspect(key)).toMatchObject({ state: 'completed', holder: 'original-2', token: 2, attempts: 0, last_error: null });

    // Reported: the stale claim is counted and streamed.
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const stale = metrics.split('\n').filter((l) => l.startsWith('seamless_backfill_stale_claims_total'));
    expect(stale.reduce((n, l) => n + Number(l.split(' ').at(-1)), 0)).toBeGreaterThanOrEqual(1);
    await eventually('an expired event for the stale lease', () => (events.ofType('expired').some((e) => e.data.shard === key && e.data.holder === 'crashed') ? true : undefined), 10_000, 50);
    expect(coordinator.running()).toBe(true);
  }, 40_000);
});
