/**
 * The generic cell rate algorithm (GCRA) of one upstream budget, as pure functions over its
 * shared state, so the memory, etcd and coordinator stores all decide the same way.
 *
 * State: `tatMs`, the theoretical arrival time — when the budget would be back to empty if
 * requests kept arriving at exactly the rate — and `pausedUntilMs`, set when the upstream
 * answered "too many requests" (429 / Retry-After). With emission interval T = 1000 / rate and
 * tolerance τ = (burst − 1)·T, a request at `now` conforms when `max(tat, now) − now ≤ τ`; it
 * then moves `tat` to `max(tat, now) + T`. So in any closed window of t ms at most
 * `burst + rate·t/1000` requests are granted, and a budget with a queue of waiters grants
 * exactly `rate` per second. Both fields only ever grow, which is what lets a store cache the
 * last state it saw: a stale copy can only be more permissive, and its compare-and-set fails.
 */
import { InvalidRequestError } from '../../core/index.js';

export interface BudgetRate {
  /** Sustained requests per second (> 0). */
  readonly requestsPerSecond: number;
  /** Requests that may go at once when the budget has been idle (integer ≥ 1). */
  readonly burst: number;
}

export interface BudgetState {
  /** Theoretical arrival time, epoch ms. */
  readonly tatMs: number;
  /** No permit before this time (epoch ms); 0 when never paused. */
  readonly pausedUntilMs: number;
}

export type PermitVerdict =
  | { readonly granted: true; readonly next: BudgetState }
  | { readonly granted: false; readonly waitMs: number };

/** Milliseconds between two permits at the sustained rate (T). */
export function emissionIntervalMs(rate: BudgetRate): number {
  return 1000 / rate.requestsPerSecond;
}

/** How far ahead of `now` the theoretical arrival time may be for a permit to be granted (τ). */
export function toleranceMs(rate: BudgetRate): number {
  return (rate.burst - 1) * emissionIntervalMs(rate);
}

/** Throws InvalidRequestError naming `field` unless the rate is a positive finite number and burst an integer ≥ 1. */
export function checkRate(rate: BudgetRate, field = 'rateLimit'): BudgetRate {
  const { requestsPerSecond: r, burst: b } = rate;
  if (typeof r !== 'number' || !Number.isFinite(r) || r <= 0) {
    throw new InvalidRequestError(`${field}.requestsPerSecond`, `must be a positive number, got ${String(r)}`);
  }
  if (!Number.isSafeInteger(b) || b < 1) throw new InvalidRequestError(`${field}.burst`, `must be an integer ≥ 1, got ${String(b)}`);
  return rate;
}

/** Whether a request at `now` may go; if so, the state after it, else how long until one may. */
export function decidePermit(state: BudgetState | undefined, rate: BudgetRate, now: number): PermitVerdict {
  const paused = state?.pausedUntilMs ?? 0;
  if (now < paused) return { granted: false, waitMs: paused - now };
  const t = Math.max(state?.tatMs ?? now, now);
  const tau = toleranceMs(rate);
  if (t - now > tau) return { granted: false, waitMs: t - tau - now };
  return { granted: true, next: { tatMs: t + emissionIntervalMs(rate), pausedUntilMs: paused } };
}

/**
 * The state after the upstream asked us to stop for `pauseMs` from `now`: nobody gets a permit
 * before then, and the budget restarts empty (one permit per T, no burst) after it.
 */
export function decidePause(state: BudgetState | undefined, rate: BudgetRate, now: number, pauseMs: number): BudgetState {
  const pausedUntilMs = Math.max(state?.pausedUntilMs ?? 0, now + Math.max(0, pauseMs));
  return { tatMs: Math.max(state?.tatMs ?? 0, pausedUntilMs + toleranceMs(rate)), pausedUntilMs };
}

/** Time until the next permit could be granted (0 when one is free now). */
export function nextPermitInMs(state: BudgetState | undefined, rate: BudgetRate, now: number): number {
  const verdict = decidePermit(state, rate, now);
  return verdict.granted ? 0 : verdict.waitMs;
}
