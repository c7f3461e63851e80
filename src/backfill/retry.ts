/**
 * Exponential backoff with full jitter, abortable. Whether to retry is read only from the
 * error's `retryable` flag (SeamlessError), never from its message.
 */
import { delay, isSeamlessError } from '../core/index.js';

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export function isRetryable(error: unknown): boolean {
  return isSeamlessError(error) && error.retryable;
}

/** Delay before attempt `attempt + 1` (attempt counts from 1): random in [0, min(max, base·2^(attempt-1))]. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * cap);
}

/** Waits `ms`, rejecting with AbortedError when `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, signal);
}
