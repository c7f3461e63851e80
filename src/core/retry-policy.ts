/**
 * Retry in one place: the backoff every retry in Seamless draws its pauses from, the named
 * policies the call sites pick, and one abortable retry loop.
 *
 * A policy is attempts plus a backoff: before attempt n+1 the cap is
 * min(maxDelayMs, baseDelayMs · factor^(n-1)) (factor 2 unless said), and the jitter draws the
 * pause under that cap: `full` in [0, cap] (spreads clients the most), `equal` in [cap/2, cap]
 * (never zero), `none` exactly the cap. Whether an error is retried is read only from its
 * `retryable` flag (SeamlessError) unless the call site names another test (PostgreSQL reads
 * the driver's connection-loss codes at its one translation boundary), never from a message.
 *
 * cockatiel (the etcd client's circuit breaker) is not used for the loop: its pause cannot be
 * aborted, and it cannot await a hook between a failure and the pause (the shard fetcher
 * records every failed attempt before waiting) nor give up early at a deadline.
 */
import { delay } from './delay.js';
import { isSeamlessError } from './errors.js';

export type Jitter = 'full' | 'equal' | 'none';

export interface Backoff {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Growth per attempt (default 2). */
  readonly factor?: number;
  /** How the pause is drawn under the cap (default `full`). */
  readonly jitter?: Jitter;
}

export interface RetryPolicy extends Backoff {
  /** Attempts in all, the first included (`Infinity`: until it succeeds or is aborted). */
  readonly maxAttempts: number;
}

/** The named policies. Each call site picks one (backfill's is configured, so it lives in config). */
export const RETRY_POLICIES = Object.freeze({
  /** An etcd call while the lease store is unavailable (leader election, a member down); also bounded by the call's deadline. */
  etcdUnavailable: Object.freeze({ maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 1_000, jitter: 'full' }),
  /** A PostgreSQL operation whose connection was lost: pauses 25, 100, 400 ms. */
  postgresConnectionLoss: Object.freeze({ maxAttempts: 4, baseDelayMs: 25, maxDelayMs: 400, factor: 4, jitter: 'none' }),
  /** A remote worker reaching its coordinator: until it answers (the worker adds a 100 ms floor). */
  coordinatorReconnect: Object.freeze({ maxAttempts: Number.POSITIVE_INFINITY, baseDelayMs: 250, maxDelayMs: 5_000, jitter: 'full' }),
} satisfies Record<string, RetryPolicy>);

/** Whether a retry may help: only a SeamlessError marked `retryable`. */
export function isRetryable(error: unknown): boolean {
  return isSeamlessError(error) && error.retryable;
}

/** The upper bound of the pause before attempt `attempt + 1` (attempt counts from 1). */
export function backoffCap(backoff: Backoff, attempt: number): number {
  // Past 2^60 every sane maxDelayMs is reached: cap the exponent so it never overflows.
  const exp = Math.min(Math.max(attempt, 1) - 1, 60);
  return Math.min(backoff.maxDelayMs, backoff.baseDelayMs * (backoff.factor ?? 2) ** exp);
}

/** The pause before attempt `attempt + 1` (attempt counts from 1), in whole ms, drawn by the jitter. */
export function backoffDelay(backoff: Backoff, attempt: number, random: () => number = Math.random): number {
  const cap = backoffCap(backoff, attempt);
  switch (backoff.jitter ?? 'full') {
    case 'full': return Math.floor(random() * cap);
    case 'equal': return Math.round(cap / 2 + random() * (cap / 2));
    case 'none': return cap;
  }
}

export interface RetryOptions {
  readonly policy: RetryPolicy;
  /** Which errors are retried (default `isRetryable`). */
  readonly retryOn?: (error: unknown) => boolean;
  /** Aborts the pause (rejecting with AbortedError); a failure after the abort is thrown as is. */
  readonly signal?: AbortSignal;
  /** Asked before a pause: false gives up now (say, the pause would run past a deadline). */
  readonly mayWait?: (delayMs: number, attempt: number) => boolean;
  /** Awaited after every failed attempt, before the pause; `final` when no attempt follows. */
  readonly onFailure?: (error: unknown, attempt: number, final: boolean, delayMs: number) => void | Promise<void>;
  /** What to throw when giving up (default the last error). */
  readonly giveUp?: (error: unknown, attempt: number) => unknown;
  readonly random?: () => number;
}

/** Runs `op(attempt)` until it succeeds, fails with an error not retried, runs out of attempts, or `mayWait` says no. */
export async function retry<T>(op: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy, signal } = options;
  const retryOn = options.retryOn ?? isRetryable;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (error) {
      if (signal?.aborted) throw error;
      let final = !retryOn(error) || attempt >= policy.maxAttempts;
      const delayMs = final ? 0 : backoffDelay(policy, attempt, options.random);
      if (!final && options.mayWait !== undefined && !options.mayWait(delayMs, attempt)) final = true;
      await options.onFailure?.(error, attempt, final, delayMs);
      if (final) throw options.giveUp === undefined ? error : options.giveUp(error, attempt);
      await delay(delayMs, signal);
    }
  }
}
