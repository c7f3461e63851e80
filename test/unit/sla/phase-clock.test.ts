import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SeamlessSLAExceeded } from '../../../src/core/index.js';
import { createManualClock } from '../../../src/core/internal.js';
import { createPhaseClock } from '../../../src/sla/index.js';
import { policy } from './fixtures.js';

const enforced = policy({ name: 'enf', node: '*', mode: 'enforced', budgets: { storage: 500, backfill: 2000, total: 2500 } });
const dryRun = policy({ name: 'dry', node: '*', mode: 'dry-run', budgets: { storage: 500, backfill: 2000, total: 2500 } });

function aborted(signal: AbortSignal): Promise<number> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(performance.now());
    else signal.addEventListener('abort', () => { resolve(performance.now()); }, { once: true });
  });
}

describe('phase clock with a manual clock', () => {
  it('measures each phase and the total against their budgets', () => {
    const clock = createManualClock(1_000);
    const pc = createPhaseClock(dryRun, clock.now);
    const storage = pc.phase('storage');
    clock.advance(700);
    expect(storage.elapsed()).toBe(700);
    expect(storage.end()).toEqual({ phase: 'storage', elapsedMs: 700, budgetMs: 500, violated: true });
    const backfill = pc.phase('backfill');
    clock.advance(1_500);
    expect(backfill.end()).toMatchObject({ elapsedMs: 1_500, violated: false });
    clock.advance(400);
    const result = pc.end();
    expect(result.elapsedMs).toBe(2_600);
    expect(result.violated).toBe(true);
    expect(result.violations.map((v) => [v.phase, v.elapsedMs, v.budgetMs, v.mode, v.dryRun])).toEqual([
      ['storage', 700, 500, 'dry-run', true],
      ['total', 2_600, 2_500, 'dry-run', true],
    ]);
  });

  it('ends open phases when the read ends, and end() is idempotent', () => {
    const clock = createManualClock();
    const pc = createPhaseClock(enforced, clock.now);
    const live = pc.phase('live'); // no live budget: measured, never violated
    const storage = pc.phase('storage');
    clock.advance(600);
    const first = pc.end();
    expect(first.violations.map((v) => v.phase)).toEqual(['storage']);
    expect(storage.end()).toMatchObject({ elapsedMs: 600, violated: true });
    expect(live.end()).toMatchObject({ budgetMs: undefined, violated: false });
    clock.advance(10_000);
    expect(pc.end()).toBe(first);
  });
});

describe('phase clock deadlines (fake timers)', () => {
  afterEach(() => { vi.useRealTimers(); });

  it('owns its timers: ending phases and the read leaves none behind', () => {
    vi.useFakeTimers();
    const pc = createPhaseClock(enforced, Date.now);
    const storage = pc.phase('storage');
    pc.phase('backfill');
    expect(vi.getTimerCount()).toBe(3); // total + storage + backfill
    storage.end();
    expect(vi.getTimerCount()).toBe(2);
    pc.end();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('dispose() clears every timer without measuring', () => {
    vi.useFakeTimers();
    const pc = createPhaseClock(enforced, Date.now);
    const storage = pc.phase('storage');
    pc.dispose();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(storage.signal.aborted).toBe(false);
  });

  it('fires the phase signal at its budget with a SeamlessSLAExceeded reason', () => {
    vi.useFakeTimers();
    const pc = createPhaseClock(enforced, Date.now);
    const storage = pc.phase('storage');
    vi.advanceTimersByTime(499);
    expect(storage.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(storage.signal.aborted).toBe(true);
    const reason = storage.signal.reason as SeamlessSLAExceeded;
    expect(reason).toBeInstanceOf(SeamlessSLAExceeded);
    expect(reason).toMatchObject({ code: 'sla_exceeded', httpStatus: 504, phase: 'storage', budgetMs: 500, policy: 'enf' });
    expect(storage.end()).toMatchObject({ violated: true });
    pc.end();
  });

  it('aborts a phase started after the total budget ran out at once', () => {
    vi.useFakeTimers();
    const pc = createPhaseClock(enforced, Date.now);
    vi.advanceTimersByTime(2_500);
    expect(pc.signal.aborted).toBe(true);
    const live = pc.phase('live');
    expect(live.signal.aborted).toBe(true);
    expect((live.signal.reason as SeamlessSLAExceeded).phase).toBe('total');
    expect(pc.end().violations.map((v) => v.phase)).toEqual(['total']);
  });

  it('never fires a dry-run signal, but still reports the violations', () => {
    vi.useFakeTimers();
    const pc = createPhaseClock(dryRun, Date.now);
    const storage = pc.phase('storage');
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(3_000);
    expect(storage.signal.aborted).toBe(false);
    expect(pc.signal.aborted).toBe(false);
    expect(pc.end().violations.map((v) => [v.phase, v.dryRun])).toEqual([['storage', true], ['total', true]]);
  });
});

describe('phase clock deadlines (real timers)', () => {
  const short = policy({ name: 'short', node: '*', mode: 'enforced', budgets: { storage: 30, total: 60 } });

  // Unit tests assert no upper time bound (a loaded machine may run timers late); the figure is
  // measured by test/integration/sla-read.test.ts and the benches.
  it('fires the phase signal once its budget has run out, with the phase as the reason', async () => {
    const pc = createPhaseClock(short);
    const t0 = performance.now();
    const storage = pc.phase('storage');
    const firedAt = await aborted(storage.signal);
    expect(firedAt - t0).toBeGreaterThanOrEqual(29);
    expect((storage.signal.reason as SeamlessSLAExceeded).phase).toBe('storage');
    expect(storage.end().violated).toBe(true);
    pc.end();
  });

  it('fires a phase signal when the total budget runs out first', async () => {
    const pc = createPhaseClock(short);
    const t0 = performance.now();
    const live = pc.phase('live'); // no live budget of its own
    const firedAt = await aborted(live.signal);
    expect(firedAt - t0).toBeGreaterThanOrEqual(59);
    expect((live.signal.reason as SeamlessSLAExceeded).phase).toBe('total');
    expect(live.end().violated).toBe(false);
    expect(pc.end().violations.map((v) => v.phase)).toEqual(['total']);
  });

  it('passes the parent signal on, in either mode', async () => {
    for (const p of [short, dryRun]) {
      const parent = new AbortController();
      const pc = createPhaseClock(p, Date.now, parent.signal);
      const storage = pc.phase('storage');
      const gone = new Error('client went away');
      parent.abort(gone);
      await aborted(storage.signal);
      expect(storage.signal.reason).toBe(gone);
      pc.end();
    }
  });
});
