import { describe, expect, it } from 'vitest';
import {
  AbortedError, InvalidRequestError, RETRY_POLICIES, UpstreamUnavailableError, backoffDelay, delay, isRetryable, retry,
} from '../../../src/core/index.js';

const POLICY = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };
const retryable = (): UpstreamUnavailableError => new UpstreamUnavailableError('x', 'timeout');

describe('retry policy', () => {
  it('doubles the backoff cap per attempt up to the maximum', () => {
    const top = () => 0.999999;
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(POLICY, a, top))).toEqual([99, 199, 399, 799, 999, 999]);
  });

  it('draws the delay with full jitter from zero', () => {
    expect(backoffDelay(POLICY, 3, () => 0)).toBe(0);
    expect(backoffDelay(POLICY, 3, () => 0.5)).toBe(200);
  });

  it('draws equal jitter from half the cap to the cap', () => {
    const equal = { ...POLICY, jitter: 'equal' as const };
    expect(backoffDelay(equal, 3, () => 0)).toBe(200);
    expect(backoffDelay(equal, 3, () => 1)).toBe(400);
    expect(backoffDelay(equal, 10_000, () => 1)).toBe(1000);
  });

  it('waits 25, 100 and 400 ms between PostgreSQL attempts after a lost connection', () => {
    const pg = RETRY_POLICIES.postgresConnectionLoss;
    expect(pg.maxAttempts).toBe(4);
    expect([1, 2, 3].map((a) => backoffDelay(pg, a, () => 0.5))).toEqual([25, 100, 400]);
  });

  it('decides retryability from the error flag only', () => {
    expect(isRetryable(new UpstreamUnavailableError('x', 'timeout'))).toBe(true);
    expect(isRetryable(new UpstreamUnavailableError('x', 'timeout', { retryable: false }))).toBe(false);
    expect(isRetryable(new InvalidRequestError('start', 'bad'))).toBe(false);
    // A foreign error is never retried, whatever its message says.
    expect(isRetryable(Object.assign(new TypeError('ECONNRESET retryable'), { retryable: true }))).toBe(false);
  });

  it('rejects a wait with AbortedError when its signal fires', async () => {
    const controller = new AbortController();
    const sleeping = delay(3_600_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toBeInstanceOf(AbortedError);
    await expect(delay(0, controller.signal)).rejects.toBeInstanceOf(AbortedError);
  });
});

describe('retry', () => {
  const fast = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 };

  it('runs the attempts of the policy and then throws the last error', async () => {
    const seen: Array<[number, boolean]> = [];
    let calls = 0;
    const run = retry(() => { calls++; return Promise.reject(retryable()); }, { policy: fast, onFailure: (_e, attempt, final) => { seen.push([attempt, final]); } });
    await expect(run).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect(calls).toBe(3);
    expect(seen).toEqual([[1, false], [2, false], [3, true]]);
  });

  it('returns the first success', async () => {
    const value = await retry((attempt) => (attempt < 2 ? Promise.reject(retryable()) : Promise.resolve(attempt)), { policy: fast });
    expect(value).toBe(2);
  });

  it('does not retry an error not marked retryable', async () => {
    let calls = 0;
    const run = retry(() => { calls++; return Promise.reject(new InvalidRequestError('start', 'bad')); }, { policy: fast });
    await expect(run).rejects.toBeInstanceOf(InvalidRequestError);
    expect(calls).toBe(1);
  });

  it('gives up when the pause is refused, and throws what giveUp makes of the error', async () => {
    let calls = 0;
    const run = retry(() => { calls++; return Promise.reject(retryable()); }, {
      policy: fast,
      mayWait: () => false,
      giveUp: (_error, attempt) => new InvalidRequestError('attempt', `gave up after ${attempt}`),
    });
    await expect(run).rejects.toThrow('gave up after 1');
    expect(calls).toBe(1);
  });

  it('stops the pause with AbortedError when the signal fires', async () => {
    const controller = new AbortController();
    const run = retry(() => Promise.reject(retryable()), {
      policy: { maxAttempts: 5, baseDelayMs: 3_600_000, maxDelayMs: 3_600_000, jitter: 'none' },
      signal: controller.signal,
      onFailure: () => { controller.abort(new Error('stop')); },
    });
    await expect(run).rejects.toBeInstanceOf(AbortedError);
  });
});
