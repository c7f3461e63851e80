/**
 * Retries an operation while the lease store is unavailable (a leader election, a member going
 * down): bounded attempts, exponential backoff with full jitter, and one absolute deadline for the
 * whole thing. Each attempt receives that deadline and passes it to every etcd call it makes, so
 * the etcd3 client's own retries cannot run past it either: the operation settles by the deadline
 * (plus one event-loop turn), never hangs.
 *
 * The loop and backoff are core's `retry` with the `etcdUnavailable` policy. Retryability is
 * read only from the error's `retryable` flag (LeaseStoreUnavailableError).
 * Deadlines are wall-clock epoch ms because gRPC deadlines are.
 */
import { RETRY_POLICIES, retry } from '../../core/index.js';
import { translateEtcdError } from './etcd-errors.js';

export interface UnavailableRetryOptions {
  /** Time budget for all attempts together, from the call. */
  readonly budgetMs: number;
  /** Attempts in all (default 4: RETRY_POLICIES.etcdUnavailable). */
  readonly maxAttempts?: number;
  /** Backoff before attempt n+1: random in [0, min(maxDelayMs, baseDelayMs·2^(n-1))]. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly signal?: AbortSignal;
  /** Called before each backoff sleep (logging, metrics). */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

export const DEFAULT_UNAVAILABLE_RETRY = RETRY_POLICIES.etcdUnavailable;

/** Below this much time left another attempt cannot finish a Raft round trip: give up instead. */
const MIN_ATTEMPT_MS = 25;

/**
 * Runs `op(deadline)` until it succeeds, throws a non-retryable error, runs out of attempts, or
 * the budget is spent (then the last retryable error is thrown).
 */
export function retryUnavailable<T>(op: (deadline: number) => Promise<T>, options: UnavailableRetryOptions): Promise<T> {
  const deadline = Date.now() + options.budgetMs;
  const base = RETRY_POLICIES.etcdUnavailable;
  const policy = {
    maxAttempts: options.maxAttempts ?? base.maxAttempts,
    baseDelayMs: options.baseDelayMs ?? base.baseDelayMs,
    maxDelayMs: options.maxDelayMs ?? base.maxDelayMs,
    jitter: base.jitter,
  };
  return retry(() => op(deadline), {
    policy,
    ...(options.signal ? { signal: options.signal } : {}),
    mayWait: (delayMs) => Date.now() + delayMs + MIN_ATTEMPT_MS < deadline,
    onFailure: (error, attempt, final, delayMs) => { if (!final) options.onRetry?.(error, attempt, delayMs); },
  });
}

/**
 * One etcd operation of a store: `op(deadline)` with etcd3's errors translated (named by
 * `what`) so retryUnavailable sees which are retryable, retried within `options.budgetMs`.
 */
export function retryEtcd<T>(what: string, op: (deadline: number) => Promise<T>, options: UnavailableRetryOptions): Promise<T> {
  return retryUnavailable(async (deadline) => {
    try {
      return await op(deadline);
    } catch (error) {
      throw translateEtcdError(error, what);
    }
  }, options);
}
