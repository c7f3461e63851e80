/**
 * Reconnect backoff: exponential with "equal jitter". The n-th attempt (n from 1) waits a delay
 * drawn from [cap/2, cap] with cap = min(maxDelayMs, initialDelayMs · 2^(n-1)): never zero (a
 * server that accepts and drops every connection is not hammered), spread so that many clients
 * dropped together do not come back in lockstep.
 */
import { InvalidRequestError } from '../../core/index.js';
import type { ReconnectPolicy } from './live-feed.js';

/** Throws InvalidRequestError naming `field` when the policy cannot work. */
export function checkReconnectPolicy(policy: ReconnectPolicy, field = 'reconnect'): void {
  if (!Number.isFinite(policy.initialDelayMs) || policy.initialDelayMs <= 0) {
    throw new InvalidRequestError(`${field}.initialDelayMs`, `must be a positive number of ms, got ${String(policy.initialDelayMs)}`);
  }
  if (!Number.isFinite(policy.maxDelayMs) || policy.maxDelayMs < policy.initialDelayMs) {
    throw new InvalidRequestError(`${field}.maxDelayMs`, `must be >= initialDelayMs (${policy.initialDelayMs}), got ${String(policy.maxDelayMs)}`);
  }
}

/** The upper bound of the delay before attempt `attempt` (from 1). */
export function reconnectCap(policy: ReconnectPolicy, attempt: number): number {
  // 2 ** 60 already exceeds every sane maxDelayMs: cap the exponent so it never overflows.
  const exp = Math.min(Math.max(attempt, 1) - 1, 60);
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** exp);
}

/** The delay before attempt `attempt` (from 1): an integer in [cap/2, cap]. */
export function reconnectDelay(policy: ReconnectPolicy, attempt: number, random: () => number = Math.random): number {
  const cap = reconnectCap(policy, attempt);
  return Math.round(cap / 2 + random() * (cap / 2));
}
