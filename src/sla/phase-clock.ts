/**
 * Per-read deadlines. A phase clock starts when the read starts; each phase (`storage`,
 * `backfill`, `live`) gets an AbortSignal that fires when the phase's budget OR the read's total
 * budget runs out, or when the parent signal (the client went away) aborts. Under a dry-run
 * policy budgets never fire a signal, but elapsed time and violations are still measured.
 *
 * Timers are owned: a phase's `end()` clears its timer and listener, the clock's `end()` or
 * `dispose()` clears everything still open. Timers are unref'd: a deadline alone never keeps
 * the process alive.
 */
import { SeamlessSLAExceeded } from '../core/index.js';
import { budgetViolation } from './evaluate.js';
import type { Violation } from './evaluate.js';
import type { BudgetPhase, ReadPhase, SlaPolicy } from './policy-schema.js';

export interface PhaseResult {
  readonly phase: BudgetPhase;
  readonly elapsedMs: number;
  readonly budgetMs: number | undefined;
  /** The phase outlasted its budget (measured in every mode). */
  readonly violated: boolean;
}

export interface PhaseHandle {
  /** Fires at the phase's or the total deadline (enforced only), or when the parent aborts. Its reason is a SeamlessSLAExceeded for deadlines. */
  readonly signal: AbortSignal;
  readonly budgetMs: number | undefined;
  elapsed(): number;
  /** Stops the phase (idempotent): clears its timer and returns what it measured. */
  end(): PhaseResult;
}

export interface ClockResult {
  readonly elapsedMs: number;
  /** The total budget was exceeded. */
  readonly violated: boolean;
  /** Every phase that outlasted its budget, then `total` if it did. */
  readonly violations: readonly Violation[];
}

export interface PhaseClock {
  readonly policy: SlaPolicy;
  /** The whole read's signal: the total deadline (enforced) or the parent. */
  readonly signal: AbortSignal;
  phase(name: ReadPhase): PhaseHandle;
  elapsed(): number;
  /** Ends open phases and the read (idempotent) and returns its violations. */
  end(): ClockResult;
  /** Clears every timer and listener without measuring (idempotent). */
  dispose(): void;
}

/**
 * @example
 * const clock = createPhaseClock(policy, () => Date.now(), request.signal);
 * const storage = clock.phase('storage');
 * try { await store.read(range, { signal: storage.signal }); } finally { storage.end(); }
 * const { violations } = clock.end();
 */
export function createPhaseClock(policy: SlaPolicy, now: () => number = Date.now, parent?: AbortSignal): PhaseClock {
  const enforced = policy.mode === 'enforced';
  const startedAt = now();
  const elapsed = (): number => now() - startedAt;
  const total = new AbortController();
  /** Open phases: `end` measures and closes, `close` only clears. */
  const open = new Set<{ end(): PhaseResult; close(): void }>();
  const results: PhaseResult[] = [];
  let totalTimer: NodeJS.Timeout | undefined;
  let totalFired = false;
  let finished: ClockResult | undefined;

  const onParent = (): void => { total.abort(parent?.reason); };
  if (parent?.aborted) total.abort(parent.reason);
  else parent?.addEventListener('abort', onParent, { once: true });

  const totalBudget = policy.budgets.total;
  if (enforced && totalBudget !== undefined && !total.signal.aborted) {
    totalTimer = setTimeout(() => {
      totalFired = true;
      total.abort(new SeamlessSLAExceeded('total', elapsed(), totalBudget, policy.name, { details: { mode: policy.mode } }));
    }, totalBudget);
    totalTimer.unref();
  }

  const dispose = (): void => {
    for (const handle of [...open]) handle.close();
    clearTimeout(totalTimer);
    parent?.removeEventListener('abort', onParent);
  };

  const phase = (name: ReadPhase): PhaseHandle => {
    const budgetMs = policy.budgets[name];
    const ctrl = new AbortController();
    const phaseStart = now();
    const phaseElapsed = (): number => now() - phaseStart;
    let timer: NodeJS.Timeout | undefined;
    let fired = false;
    let result: PhaseResult | undefined;
    const onTotal = (): void => { ctrl.abort(total.signal.reason); };
    if (total.signal.aborted) ctrl.abort(total.signal.reason);
    else total.signal.addEventListener('abort', onTotal, { once: true });
    if (enforced && budgetMs !== undefined && !ctrl.signal.aborted) {
      timer = setTimeout(() => {
        fired = true;
        ctrl.abort(new SeamlessSLAExceeded(name, phaseElapsed(), budgetMs, policy.name, { details: { mode: policy.mode } }));
      }, budgetMs);
      timer.unref();
    }
    const entry = {
      close(): void {
        clearTimeout(timer);
        total.signal.removeEventListener('abort', onTotal);
        open.delete(entry);
      },
      end(): PhaseResult {
        if (result) return result;
        entry.close();
        const elapsedMs = phaseElapsed();
        result = { phase: name, elapsedMs, budgetMs, violated: budgetMs !== undefined && (fired || elapsedMs > budgetMs) };
        if (finished === undefined) results.push(result);
        return result;
      },
    };
    open.add(entry);
    return { signal: ctrl.signal, budgetMs, elapsed: phaseElapsed, end: entry.end };
  };

  return {
    policy,
    signal: total.signal,
    phase,
    elapsed,
    dispose,
    end(): ClockResult {
      if (finished) return finished;
      for (const handle of [...open]) handle.end();
      const elapsedMs = elapsed();
      const violated = totalBudget !== undefined && (totalFired || elapsedMs > totalBudget);
      dispose();
      const violations: Violation[] = [];
      for (const r of results) if (r.violated && r.budgetMs !== undefined) violations.push(budgetViolation(policy, r.phase, r.elapsedMs, r.budgetMs));
      if (violated) violations.push(budgetViolation(policy, 'total', elapsedMs, totalBudget));
      finished = { elapsedMs, violated, violations };
      return finished;
    },
  };
}
