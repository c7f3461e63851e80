import { describe, expect, it } from 'vitest';
import { AbortedError, InvalidRequestError, UpstreamUnavailableError } from '../../../src/core/index.js';
import { backoffDelay, isRetryable, sleep } from '../../../src/backfill/index.js';

const POLICY = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };

describe('retry policy', () => {
  it('doubles the backoff cap per attempt up to the maximum', () => {
    const top = () => 0.999999;
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(POLICY, a, top))).toEqual([99, 199, 399, 799, 999, 999]);
  });

  it('draws the delay with full jitter from zero', () => {
    expect(backoffDelay(POLICY, 3, () => 0)).toBe(0);
    expect(backoffDelay(POLICY, 3, () => 0.5)).toBe(200);
  });

  it('decides retryability from the error flag only', () => {
    expect(isRetryable(new UpstreamUnavailableError('x', 'timeout'))).toBe(true);
    expect(isRetryable(new UpstreamUnavailableError('x', 'timeout', { retryable: false }))).toBe(false);
    expect(isRetryable(new InvalidRequestError('start', 'bad'))).toBe(false);
    // A foreign error is never retried, whatever its message says.
    expect(isRetryable(Object.assign(new TypeError('ECONNRESET retryable'), { retryable: true }))).toBe(false);
  });

  it('rejects a sleep with AbortedError when its signal fires', async () => {
    const controller = new AbortController();
    const sleeping = sleep(3_600_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toBeInstanceOf(AbortedError);
    await expect(sleep(0, controller.signal)).rejects.toBeInstanceOf(AbortedError);
  });
});
