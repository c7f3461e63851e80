/**
 * The coordinator's upstream permits API over HTTP, with the client `seamless worker`s use
 * (createRemotePermitAuthority): permits, waits with hints, pauses shared with the coordinator's
 * own budgets, the shared state, validation and the `worker` scope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForbiddenError, InvalidRequestError, UnauthorizedError, UpstreamUnavailableError } from '../../src/core/index.js';
import { createRemotePermitAuthority } from '../../src/backfill/index.js';
import { generateApiKey, serveGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';
import type { Seamless } from '../../src/app/index.js';
import { createUpstreamBudgets } from '../../src/sources/index.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('upstream permits API (coordinator service)', () => {
  const worker = generateApiKey('worker', ['worker']);
  const reader = generateApiKey('reader', ['read']);
  let seamless: Seamless;
  let gateway: RunningGateway;
  let remove: () => Promise<void>;

  beforeAll(async () => {
    const dir = await tempDir('seamless-permits-');
    remove = dir.remove;
    seamless = await createSeamless({
      config: { dataDir: dir.path, logging: { level: 'silent' }, auth: { keys: [worker.entry, reader.entry] } },
      logger: silentLogger(),
    });
    gateway = await serveGateway({ seamless, host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await gateway?.close();
    await seamless?.close();
    await remove?.();
  });

  it('grants permits at the rate, answers "not yet" with a hint after the wait, and shares pauses with the coordinator', async () => {
    // Slow enough that a loaded machine cannot turn the third permit into a granted one (2 s apart).
    const rate = { requestsPerSecond: 0.5, burst: 2 };
    const remote = createRemotePermitAuthority(gateway.url, worker.secret, { waitMs: 50 });
    expect(remote.kind).toBe('coordinator');
    expect(await remote.tryAcquire('testex', rate)).toEqual({ granted: true, waitMs: 0 });
    expect(await remote.tryAcquire('testex', rate)).toEqual({ granted: true, waitMs: 0 });
    const third = await remote.tryAcquire('testex', rate);
    expect(third.granted).toBe(false);
    expect(third.waitMs).toBeGreaterThan(0);
    expect(third.waitMs).toBeLessThanOrEqual(2_000);

    const before = await remote.view('testex');
    const pausedUntil = await remote.pause('testex', rate, 5_000);
    expect(pausedUntil).toBeGreaterThanOrEqual(before.nowMs + 5_000);
    // The coordinator's own budget of that upstream is the same one: paused too.
    const local = await seamless.upstreams.budget('testex', rate).snapshot();
    expect(local.pausedForMs).toBeGreaterThan(4_000);
    expect(local).toMatchObject({ authority: 'memory', pauses: 1 });
    const held = await remote.tryAcquire('testex', rate);
    expect(held.granted).toBe(false);
    expect(held.waitMs).toBeGreaterThan(4_000);
    const view = await remote.view('testex');
    expect(view.state?.pausedUntilMs).toBe(pausedUntil);

    // A worker's budget over the remote authority sees the same state.
    const budget = createUpstreamBudgets(remote).budget('testex', rate);
    expect((await budget.snapshot()).pausedForMs).toBeGreaterThan(4_000);
    const listing = (await (await fetch(`${gateway.url}/v1/upstreams`, { headers: { authorization: `Bearer ${worker.secret}` } })).json()) as { upstreams: { upstream: string; granted: number }[] };
    expect(listing.upstreams).toEqual([expect.objectContaining({ upstream: 'testex', granted: 2 })]);
  });

  it('refuses bad rates and names, and callers without the worker scope', async () => {
    const remote = createRemotePermitAuthority(gateway.url, worker.secret);
    await expect(remote.tryAcquire('testex', { requestsPerSecond: -1, burst: 1 })).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(remote.tryAcquire('bad name!', { requestsPerSecond: 1, burst: 1 })).rejects.toMatchObject({ field: 'name' });
    await expect(createRemotePermitAuthority(gateway.url).tryAcquire('testex', { requestsPerSecond: 1, burst: 1 })).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(createRemotePermitAuthority(gateway.url, reader.secret).tryAcquire('testex', { requestsPerSecond: 1, burst: 1 })).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('reports an unreachable coordinator as a retryable upstream failure', async () => {
    const remote = createRemotePermitAuthority('http://127.0.0.1:9', worker.secret, { timeoutMs: 1_000 });
    const failure = remote.tryAcquire('testex', { requestsPerSecond: 1, burst: 1 });
    await expect(failure).rejects.toBeInstanceOf(UpstreamUnavailableError);
    await expect(failure).rejects.toMatchObject({ retryable: true, upstream: 'coordinator' });
  });
});
