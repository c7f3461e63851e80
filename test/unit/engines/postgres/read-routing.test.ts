/**
 * The read router of a gateway with a hot standby (src/engines/postgres/postgres-read-routing.ts)
 * against a scripted probe (our own ReplicaProbe interface) and a manual clock: read-your-writes
 * per dataset, the lag bound, a standby that fails or hangs, and the cached position. The same
 * rules against a real primary and standby: test/integration/postgres-read-replica.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../../src/core/internal.js';
import { POSITION_TTL_MS, createReadRouter } from '../../../../src/engines/postgres/internal.js';
import type { ReplicaPosition, ReplicaProbe } from '../../../../src/engines/postgres/internal.js';

const MAX_LAG_MS = 1_000;
const RETRY_MS = 2_000;
const A = '["a",60000]';
const B = '["b",60000]';

/** A probe answering what the test last set; counts its calls; `hang` makes the next ones never answer. */
function scriptedProbe(initial: ReplicaPosition) {
  let next: ReplicaPosition | Error | 'hang' = initial;
  let calls = 0;
  const probe: ReplicaProbe = {
    position() {
      calls += 1;
      const answer = next;
      if (answer === 'hang') return new Promise<ReplicaPosition>(() => undefined);
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
  };
  return {
    probe,
    set(answer: ReplicaPosition | Error | 'hang') { next = answer; },
    get calls() { return calls; },
  };
}

function setup(initial: ReplicaPosition = { primaryLsn: 100n, replayLsn: 100n, lagMs: 0 }, probeTimeoutMs = 5_000) {
  const clock = createManualClock(1_000_000);
  const script = scriptedProbe(initial);
  const reads: string[] = [];
  const lags: number[] = [];
  const router = createReadRouter({
    probe: script.probe, clock, maxLagMs: MAX_LAG_MS, retryMs: RETRY_MS, probeTimeoutMs,
    observer: { read: (target, reason) => reads.push(`${target}:${reason}`), lag: (s) => lags.push(s) },
  });
  return { clock, script, router, reads, lags };
}

describe('read router', () => {
  it('sends reads to the standby while it has replayed everything and lags within the bound', async () => {
    const { router, reads, lags } = setup();
    expect(await router.route([A])).toEqual({ target: 'standby', reason: 'current' });
    expect(await router.route(undefined)).toEqual({ target: 'standby', reason: 'current' });
    expect(reads).toEqual(['standby:current', 'standby:current']);
    expect(lags).toEqual([0]);
  });

  it('probes the standby at most once per position TTL, not once per read', async () => {
    const { router, script, clock } = setup();
    for (let i = 0; i < 10; i++) await router.route([A]);
    expect(script.calls).toBe(1);
    clock.advance(POSITION_TTL_MS);
    await router.route([A]);
    expect(script.calls).toBe(2);
  });

  it('reads a dataset this process wrote from the primary until a probe started after the write shows the standby replayed it', async () => {
    const { router, script, clock } = setup();
    await router.route([A]);
    router.wrote([A]);
    // The cached position predates the write: the primary, without waiting for a probe.
    expect(await router.route([A])).toEqual({ target: 'primary', reason: 'read_your_writes' });
    // Another dataset is not held back by this write.
    expect(await router.route([B])).toEqual({ target: 'standby', reason: 'current' });
    // Catalog reads see every write of this process.
    expect(await router.route(undefined)).toEqual({ target: 'primary', reason: 'read_your_writes' });
    // The next probe: the primary is at 200 (past the write's commit), the standby still at 100.
    script.set({ primaryLsn: 200n, replayLsn: 100n, lagMs: 10 });
    clock.advance(POSITION_TTL_MS);
    expect(await router.route([A])).toEqual({ target: 'primary', reason: 'read_your_writes' });
    // The primary moves on (other writers) but the standby reached 200: the write is replayed.
    script.set({ primaryLsn: 300n, replayLsn: 200n, lagMs: 10 });
    clock.advance(POSITION_TTL_MS);
    expect(await router.route([A])).toEqual({ target: 'standby', reason: 'current' });
    expect(await router.route(undefined)).toEqual({ target: 'standby', reason: 'current' });
  });

  it('keeps a write made while a probe was in flight pending until a later probe', async () => {
    const { router, script, clock } = setup();
    await router.route([A]);
    clock.advance(POSITION_TTL_MS);
    let release: (p: ReplicaPosition) => void = () => undefined;
    script.probe.position = () => new Promise<ReplicaPosition>((resolve) => { release = resolve; });
    const inFlight = router.route([B]);
    // Committed after the probe read the primary's LSN (150): that LSN does not cover it.
    router.wrote([A]);
    release({ primaryLsn: 150n, replayLsn: 150n, lagMs: 0 });
    expect(await inFlight).toEqual({ target: 'standby', reason: 'current' });
    expect(await router.route([A])).toEqual({ target: 'primary', reason: 'read_your_writes' });
  });

  it('falls back to the primary while the standby lags past the bound, and returns once it catches up', async () => {
    const { router, script, clock, lags } = setup();
    script.set({ primaryLsn: 500n, replayLsn: 100n, lagMs: MAX_LAG_MS + 1 });
    expect(await router.route([A])).toEqual({ target: 'primary', reason: 'lag' });
    expect((await router.health())).toMatchObject({ ok: true, state: 'lagging' });
    script.set({ primaryLsn: 500n, replayLsn: 500n, lagMs: 0 });
    clock.advance(POSITION_TTL_MS);
    expect(await router.route([A])).toEqual({ target: 'standby', reason: 'current' });
    expect(lags).toContain((MAX_LAG_MS + 1) / 1000);
  });

  it('marks a standby whose probe fails down, reads from the primary, and retries it after retryMs', async () => {
    const { router, script, clock, lags } = setup();
    script.set(new Error('connect ECONNREFUSED 127.0.0.1:5433'));
    expect(await router.route([A])).toEqual({ target: 'primary', reason: 'down' });
    expect(Number.isNaN(lags.at(-1))).toBe(true);
    const health = await router.health();
    expect(health).toMatchObject({ ok: true, state: 'down' });
    expect(health.detail).toContain('ECONNREFUSED');
    script.set({ primaryLsn: 100n, replayLsn: 100n, lagMs: 0 });
    const calls = script.calls;
    clock.advance(RETRY_MS - 1);
    expect(await router.route([A])).toEqual({ target: 'primary', reason: 'down' });
    expect(script.calls).toBe(calls);
    clock.advance(1);
    expect(await router.route([A])).toEqual({ target: 'standby', reason: 'current' });
  });

  it('marks the standby down when one of its reads fails, counting the fallback read as the primary\'s', async () => {
    const { router, reads } = setup();
    await router.route([A]);
    router.failed(new Error('Connection terminated unexpectedly'));
    expect(reads.at(-1)).toBe('primary:error');
    expect(await router.route([A])).toEqual({ target: 'primary', reason: 'down' });
  });

  it('treats a probe that does not answer within its timeout as a standby down', async () => {
    const { router, script } = setup(undefined, 20);
    script.set('hang');
    expect(await router.route([A])).toEqual({ target: 'primary', reason: 'down' });
    expect((await router.health()).detail).toContain('no answer within 20 ms');
  });
});
