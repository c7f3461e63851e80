import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../../src/core/index.js';
import { checkReconnectPolicy, reconnectCap, reconnectDelay } from '../../../../src/sources/internal.js';

const POLICY = { initialDelayMs: 500, maxDelayMs: 30_000 };

describe('reconnect backoff', () => {
  it('doubles the cap per attempt from the initial delay up to the maximum', () => {
    const caps = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => reconnectCap(POLICY, n));
    expect(caps).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect(reconnectCap(POLICY, 10_000)).toBe(30_000);
  });

  it('draws each delay from [cap/2, cap]: never zero, the bounds reached at the ends of the random range', () => {
    expect(reconnectDelay(POLICY, 1, () => 0)).toBe(250);
    expect(reconnectDelay(POLICY, 1, () => 0.999_999)).toBe(500);
    expect(reconnectDelay(POLICY, 3, () => 0.5)).toBe(1_500);
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 80 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (initial, extra, attempt, r) => {
        const policy = { initialDelayMs: initial, maxDelayMs: initial + extra };
        const cap = reconnectCap(policy, attempt);
        const d = reconnectDelay(policy, attempt, () => r);
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(Math.floor(cap / 2));
        expect(d).toBeLessThanOrEqual(Math.ceil(cap));
        expect(d).toBeGreaterThan(0);
      },
    ));
  });

  it('refuses a policy that cannot work, naming the key', () => {
    expect(() => checkReconnectPolicy({ initialDelayMs: 0, maxDelayMs: 10 })).toThrow(InvalidRequestError);
    expect(() => checkReconnectPolicy({ initialDelayMs: 100, maxDelayMs: 10 })).toThrow(/reconnect\.maxDelayMs/);
  });
});
