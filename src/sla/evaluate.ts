/**
 * Pure checks of one read against its policy: the read-level checks (freshness, coverage,
 * synchronous gap), what the policy decides about the violations found, and the error an
 * enforced `fail` raises. The read path calls these on every read, cache hits included.
 */
import { SeamlessSLAExceeded } from '../core/index.js';
import type { BudgetPhase, OnViolation, SlaMode, SlaPolicy } from './policy-schema.js';

/** `recovery`: a background backfill outran `recovery.maxBackfillMs` (reported after the read, never on it). */
export type ViolationPhase = BudgetPhase | 'freshness' | 'coverage' | 'sync_gap' | 'recovery';

/** One broken promise. Every field is always set (undefined when it does not apply). */
export interface Violation {
  readonly policy: string;
  readonly phase: ViolationPhase;
  /** Budget phases: how long the phase took, and its budget. */
  readonly elapsedMs: number | undefined;
  readonly budgetMs: number | undefined;
  /** Read checks: the observed value (staleness ms, coverage ratio, gap bars) and the limit. */
  readonly observed: number | undefined;
  readonly limit: number | undefined;
  readonly mode: SlaMode;
  /** True under a dry-run policy: reported, never acted upon. */
  readonly dryRun: boolean;
}

export interface ReadObservation {
  /** Wall clock minus the newest bar's close, ms (Infinity when there is no bar). */
  readonly stalenessMs: number;
  /** Whether the requested range ends at (or after) the present; freshness only applies then. */
  readonly rangeReachesPresent: boolean;
  /** Share of the requested bars present, 0..1. */
  readonly coverageRatio: number;
  /** Bars the read had to fetch synchronously (the synchronous gap). */
  readonly syncGapBars: number;
}

export type SlaDecision = 'serve' | OnViolation;

export function budgetViolation(policy: SlaPolicy, phase: BudgetPhase, elapsedMs: number, budgetMs: number): Violation {
  return { policy: policy.name, phase, elapsedMs, budgetMs, observed: undefined, limit: undefined, mode: policy.mode, dryRun: policy.mode === 'dry-run' };
}

function checkViolation(policy: SlaPolicy, phase: ViolationPhase, observed: number, limit: number): Violation {
  return { policy: policy.name, phase, elapsedMs: undefined, budgetMs: undefined, observed, limit, mode: policy.mode, dryRun: policy.mode === 'dry-run' };
}

/**
 * Freshness (only when the range reaches the present), coverage and the synchronous gap bound.
 *
 * @example
 * evaluateRead(policy, { stalenessMs: 600_000, rangeReachesPresent: true, coverageRatio: 1, syncGapBars: 0 });
 * // [{ phase: 'freshness', observed: 600000, limit: 180000, … }] when freshness.maxLagMs is 180000
 */
export function evaluateRead(policy: SlaPolicy, read: ReadObservation): Violation[] {
  const out: Violation[] = [];
  const { freshness, coverage, maxSyncGapBars } = policy;
  if (freshness && read.rangeReachesPresent && read.stalenessMs > freshness.maxLagMs) {
    out.push(checkViolation(policy, 'freshness', read.stalenessMs, freshness.maxLagMs));
  }
  if (coverage && read.coverageRatio < coverage.minRatio) {
    out.push(checkViolation(policy, 'coverage', read.coverageRatio, coverage.minRatio));
  }
  if (maxSyncGapBars !== undefined && read.syncGapBars > maxSyncGapBars) {
    out.push(checkViolation(policy, 'sync_gap', read.syncGapBars, maxSyncGapBars));
  }
  return out;
}

/**
 * What to do with the response: `serve` it unchanged when nothing is violated or the policy is
 * a dry run (dry-run never changes a response); otherwise the policy's `onViolation`.
 */
export function decide(policy: SlaPolicy, violations: readonly Violation[]): SlaDecision {
  if (policy.mode === 'dry-run') return 'serve';
  return violations.some((v) => !v.dryRun) ? policy.onViolation : 'serve';
}

/** The 504 an enforced `fail` raises for `violation`; `readElapsedMs` is the read's elapsed time. */
export function slaError(policy: SlaPolicy, violation: Violation, readElapsedMs: number, cause?: unknown): SeamlessSLAExceeded {
  if (violation.elapsedMs !== undefined && violation.budgetMs !== undefined) {
    return new SeamlessSLAExceeded(violation.phase, violation.elapsedMs, violation.budgetMs, policy.name, { cause, details: { mode: policy.mode } });
  }
  return new SeamlessSLAExceeded(violation.phase, readElapsedMs, policy.budgets.total ?? 0, policy.name, {
    cause,
    details: { mode: policy.mode, observed: violation.observed, limit: violation.limit },
    message: `${violation.phase} ${violation.observed ?? '?'} is outside its limit ${violation.limit ?? '?'}`,
  });
}
