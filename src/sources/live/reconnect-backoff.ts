/**
 * Reconnect backoff: exponential with "equal jitter". The n-th attempt (n from 1) waits a delay
 * drawn from [cap/2, cap] with cap = min(maxDelayMs, initialDelayMs · 2^(n-1)): never zero (a
 * server that accepts and drops every connection is not hammered), spread so that many clients
 * dropped together do not come back in lockstep. The arithmetic is core's `backoffDelay`
 * (jitter `equal`), the one backoff of Seamless.
 */
import { InvalidRequestError, backoffCap, backoffDelay } from '../../core/index.js';
import type { Backoff } from '../../core/index.js';
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

/** The policy as core's backoff: exponential, doubling, equal jitter. */
function asBackoff(policy: ReconnectPolicy): Backoff {
  return { baseDelayMs: policy.initialDelayMs, maxDelayMs: policy.maxDelayMs, jitter: 'equal' };
}

/** The upper bound of the delay before attempt `attempt` (from 1). */
export function reconnectCap(policy: ReconnectPolicy, attempt: number): number {
  return backoffCap(asBackoff(policy), attempt);
}

/** The delay before attempt `attempt` (from 1): an integer in [cap/2, cap]. */
export function reconnectDelay(policy: ReconnectPolicy, attempt: number, random: () => number = Math.random): number {
  return backoffDelay(asBackoff(policy), attempt, random);
}
