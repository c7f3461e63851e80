/**
 * The upstream budget: GCRA decisions (pure), and acquirers sharing budgets over a store, run in
 * virtual time (the authority's clock and the budget's sleep are both driven by the test), so
 * rates are exact and nothing depends on how loaded the machine is.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AbortedError, InvalidRequestError } from '../../../src/core/index.js';
import { createMemoryBudgetStore, createStorePermitAuthority, createUpstreamBudgets } from '../../../src/sources/index.js';
import { decidePause, decidePermit } from '../../../src/sources/internal.js';
import type { BudgetRate, BudgetState, PermitAuthority, UpstreamBudgetStore } from '../../../src/sources/index.js';

/** The most requests in any closed window [g_i, g_j] minus what burst + rate·t allows (≤ 0 means never exceeded). */
function worstExcess(grants: readonly number[], rate: BudgetRate): number {
  const g = [...grants].sort((a, b) => a - b);
  let worst = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < g.length; i++) {
    for (let j = i; j < g.length; j++) {
      worst = Math.max(worst, (j - i + 1) - (rate.burst + rate.requestsPerSecond * (g[j] - g[i]) / 1000));
    }
  }
  return worst;
}

/** Virtual time: sleeping tasks wake in time order as `advance` moves the clock. */
function virtualTime() {
  let now = 0;
  const timers: { at: number; wake: () => void }[] = [];
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    now: () => now,
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
      if (signal?.aborted === true) return Promise.reject(new AbortedError(signal.reason));
      return new Promise<void>((resolve, reject) => {
        const timer = { at: now + ms, wake: () => { signal?.removeEventListener('abort', onAbort); resolve(); } };
        const onAbort = (): void => {
          timers.splice(timers.indexOf(timer), 1);
          reject(new AbortedError(signal?.reason));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        timers.push(timer);
      });
    },
    /** Runs every task due up to `until` (virtual ms), in order. */
    async advance(until: number): Promise<void> {
      for (;;) {
        await settle();
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (next === undefined || next.at > until) break;
        timers.shift();
        now = Math.max(now, next.at);
        next.wake();
      }
      now = until;
      await settle();
    },
  };
}

/** `workers` loops per process, each acquiring permits forever; returns the virtual grant times. */
function startAcquirers(time: ReturnType<typeof virtualTime>, store: UpstreamBudgetStore, rate: BudgetRate, processes: number, workers: number): number[] {
  const grants: number[] = [];
  for (let p = 0; p < processes; p++) {
    const budget = createUpstreamBudgets(createStorePermitAuthority(store, { now: time.now }), { sleep: time.sleep }).budget('binance', rate);
    for (let w = 0; w < workers; w++) {
      void (async () => {
        for (;;) {
          await budget.acquire();
          grants.push(time.now());
        }
      })();
    }
  }
  return grants;
}

describe('GCRA decisions', () => {
  it('never grants more than burst + rate·t in any window, whatever the arrival times', () => {
    fc.assert(fc.property(
      fc.double({ min: 0.5, max: 200, noNaN: true }), fc.integer({ min: 1, max: 10 }),
      fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 300 }),
      (rps, burst, arrivals) => {
        const rate = { requestsPerSecond: rps, burst };
        let state: BudgetState | undefined;
        const grants: number[] = [];
        for (const at of [...arrivals].sort((a, b) => a - b)) {
          const verdict = decidePermit(state, rate, at);
          if (verdict.granted) { state = verdict.next; grants.push(at); }
        }
        expect(worstExcess(grants, rate)).toBeLessThanOrEqual(1e-9);
      },
    ), { numRuns: 200 });
  });

  it('grants a full burst after idling, then one permit per emission interval, and says how long to wait', () => {
    const rate = { requestsPerSecond: 10, burst: 3 };
    let state: BudgetState | undefined;
    for (let i = 0; i < 3; i++) {
      const v = decidePermit(state, rate, 1_000);
      expect(v.granted).toBe(true);
      if (v.granted) state = v.next;
    }
    expect(decidePermit(state, rate, 1_000)).toEqual({ granted: false, waitMs: 100 });
    expect(decidePermit(state, rate, 1_100).granted).toBe(true);
  });

  it('pauses everybody until Retry-After has passed, then restarts at the sustained rate without a burst', () => {
    const rate = { requestsPerSecond: 10, burst: 5 };
    const paused = decidePause(undefined, rate, 1_000, 2_000);
    expect(paused.pausedUntilMs).toBe(3_000);
    expect(decidePermit(paused, rate, 2_999)).toEqual({ granted: false, waitMs: 1 });
    const first = decidePermit(paused, rate, 3_000);
    expect(first.granted).toBe(true);
    if (first.granted) expect(decidePermit(first.next, rate, 3_000)).toEqual({ granted: false, waitMs: 100 });
    // A shorter pause never shortens a longer one.
    expect(decidePause(paused, rate, 1_500, 10).pausedUntilMs).toBe(3_000);
  });
});

describe('upstream budgets', () => {
  it('grants N acquirers across processes sharing one store exactly the rate, never more than burst + rate·t', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }),
      async (rps, burst, processes, workers) => {
        const rate = { requestsPerSecond: rps, burst };
        const time = virtualTime();
        const grants = startAcquirers(time, createMemoryBudgetStore(), rate, processes, workers);
        const durationMs = 3_000;
        await time.advance(durationMs);
        expect(worstExcess(grants, rate)).toBeLessThanOrEqual(1e-9);
        // Demand exceeds the budget throughout, so it is used in full: the burst, then one per 1000/rps ms.
        expect(grants.length).toBeGreaterThanOrEqual(Math.min(burst, processes * workers) + Math.floor(rps * durationMs / 1000) - 1);
      },
    ), { numRuns: 40 });
  });

  it('serves the waiters of one process first in, first out', async () => {
    const time = virtualTime();
    const budget = createUpstreamBudgets(createStorePermitAuthority(createMemoryBudgetStore(), { now: time.now }), { sleep: time.sleep })
      .budget('binance', { requestsPerSecond: 10, burst: 1 });
    const order: number[] = [];
    for (let i = 0; i < 5; i++) void budget.acquire().then(() => order.push(i));
    await time.advance(1_000);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('lets an aborted waiter leave the queue without holding up the others or taking a permit', async () => {
    const time = virtualTime();
    const budget = createUpstreamBudgets(createStorePermitAuthority(createMemoryBudgetStore(), { now: time.now }), { sleep: time.sleep })
      .budget('binance', { requestsPerSecond: 1, burst: 1 });
    await budget.acquire();
    const controller = new AbortController();
    const aborted = budget.acquire(controller.signal);
    const later = budget.acquire();
    let laterAt = -1;
    void later.then(() => { laterAt = time.now(); });
    await time.advance(100);
    controller.abort(new Error('shard lost'));
    await expect(aborted).rejects.toBeInstanceOf(AbortedError);
    await time.advance(2_000);
    expect(laterAt).toBe(1_000);
    expect((await budget.snapshot()).granted).toBe(2);
  });

  it('holds every process of the store during a pause, and reports it in the snapshot', async () => {
    const time = virtualTime();
    const store = createMemoryBudgetStore();
    const rate = { requestsPerSecond: 100, burst: 1 };
    const a = createUpstreamBudgets(createStorePermitAuthority(store, { now: time.now }), { sleep: time.sleep }).budget('binance', rate);
    const b = createUpstreamBudgets(createStorePermitAuthority(store, { now: time.now }), { sleep: time.sleep }).budget('binance', rate);
    await a.pause(1_500);
    let grantedAt = -1;
    void b.acquire().then(() => { grantedAt = time.now(); });
    await time.advance(1_000);
    expect(grantedAt).toBe(-1);
    expect(await b.snapshot()).toMatchObject({ upstream: 'binance', authority: 'memory', pausedForMs: 500, waiting: 1, requestsPerSecond: 100, burst: 1 });
    await time.advance(2_000);
    expect(grantedAt).toBe(1_500);
  });

  it('keeps one budget per upstream name and refuses impossible rates', () => {
    const budgets = createUpstreamBudgets(createStorePermitAuthority(createMemoryBudgetStore()));
    const first = budgets.budget('binance', { requestsPerSecond: 20, burst: 1 });
    expect(budgets.budget('binance', { requestsPerSecond: 10, burst: 2 })).toBe(first);
    expect(first.rate).toEqual({ requestsPerSecond: 10, burst: 2 });
    expect(budgets.list().map((b) => b.upstream)).toEqual(['binance']);
    expect(() => budgets.budget('kraken', { requestsPerSecond: 0, burst: 1 })).toThrow(InvalidRequestError);
    expect(() => budgets.budget('kraken', { requestsPerSecond: 1, burst: 1.5 })).toThrow(/burst/);
  });

  it('lets every waiter of a process ask an authority that queues askers itself at once, so its round trip costs no throughput', async () => {
    let asking = 0;
    let most = 0;
    const answers: (() => void)[] = [];
    const authority: PermitAuthority = {
      kind: 'coordinator',
      queuesWaiters: true,
      tryAcquire: async () => {
        asking++;
        most = Math.max(most, asking);
        await new Promise<void>((resolve) => answers.push(resolve));
        asking--;
        return { granted: true, waitMs: 0 };
      },
      pause: async () => 0,
      view: async () => ({ state: undefined, nowMs: 0 }),
      close: async () => undefined,
    };
    const budget = createUpstreamBudgets(authority).budget('binance', { requestsPerSecond: 10, burst: 1 });
    const granted = Promise.all([budget.acquire(), budget.acquire(), budget.acquire()]);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(most).toBe(3);
    for (const answer of answers.splice(0)) answer();
    await granted;
    expect((await budget.snapshot()).granted).toBe(3);
  });
});
