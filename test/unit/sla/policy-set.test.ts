import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../src/core/index.js';
import { createSlaPolicySet } from '../../../src/sla/index.js';
import { policy } from './fixtures.js';

const MINUTE = 60_000;

describe('SLA policy precedence', () => {
  const set = createSlaPolicySet([
    policy({ name: 'catch-all', node: '*' }),
    policy({ name: 'ohlcv', node: 'ohlcv:*' }),
    policy({ name: 'demo', node: 'ohlcv:demo:*' }),
    policy({ name: 'demo-1m', node: 'ohlcv:demo:*', interval: '1m' }),
    policy({ name: 'btc', node: 'ohlcv:demo:BTC-USD' }),
    policy({ name: 'demo-b', node: 'ohlcv:demo:B?' }),
  ]);
  const winner = (node: string, intervalMs = MINUTE): string | undefined => set.resolve(node, intervalMs)?.policy.name;

  it('lets an exact node beat any glob, even one naming the interval', () => {
    expect(winner('ohlcv:demo:BTC-USD')).toBe('btc');
  });

  it('prefers the glob with more literal characters', () => {
    expect(winner('ohlcv:demo:BX')).toBe('demo-b');
    expect(winner('ohlcv:demo:ETH-USD', 5 * MINUTE)).toBe('demo');
    expect(winner('ohlcv:binance:BTCUSDT')).toBe('ohlcv');
    expect(winner('trades:x')).toBe('catch-all');
  });

  it('prefers a policy naming the interval over an equally specific one without', () => {
    expect(winner('ohlcv:demo:ETH-USD', MINUTE)).toBe('demo-1m');
    expect(winner('ohlcv:demo:ETH-USD', 3_600_000)).toBe('demo');
  });

  it('says why a policy applies', () => {
    expect(set.resolve('ohlcv:demo:ETH-USD', MINUTE)?.reason).toBe('glob "ohlcv:demo:*" (11 literal characters), interval 1m');
    expect(set.resolve('ohlcv:demo:BTC-USD', MINUTE)?.reason).toBe('exact node "ohlcv:demo:BTC-USD", any interval');
  });

  it('lists the policies most specific first', () => {
    expect(set.policies.map((p) => p.name)).toEqual(['btc', 'demo-b', 'demo-1m', 'demo', 'ohlcv', 'catch-all']);
  });

  it('returns undefined when no policy applies', () => {
    const only = createSlaPolicySet([policy({ name: 'demo', node: 'ohlcv:demo:*', interval: '1m' })]);
    expect(only.resolve('ohlcv:demo:X', 5 * MINUTE)).toBeUndefined();
  });

  it('explains every candidate, the winner and why the others lost', () => {
    const ex = set.explain('ohlcv:demo:ETH-USD', MINUTE);
    expect(ex.winner?.name).toBe('demo-1m');
    expect(ex.candidates.map((c) => [c.policy.name, c.matched, c.winner, c.reason])).toEqual([
      ['btc', false, false, 'node "ohlcv:demo:ETH-USD" does not match "ohlcv:demo:BTC-USD"'],
      ['demo-b', false, false, 'node "ohlcv:demo:ETH-USD" does not match "ohlcv:demo:B?"'],
      ['demo-1m', true, true, 'glob "ohlcv:demo:*" (11 literal characters), interval 1m: the most specific match'],
      ['demo', true, false, 'glob "ohlcv:demo:*" (11 literal characters), any interval: outranked by "demo-1m"'],
      ['ohlcv', true, false, 'glob "ohlcv:*" (6 literal characters), any interval: outranked by "demo-1m"'],
      ['catch-all', true, false, 'glob "*" (0 literal characters), any interval: outranked by "demo-1m"'],
    ]);
    const other = set.explain('ohlcv:demo:ETH-USD', 5 * MINUTE).candidates.find((c) => c.policy.name === 'demo-1m');
    expect(other).toMatchObject({ matched: false, reason: 'interval 5m is not 1m' });
  });

  it('refuses equally specific policies that can match the same read, naming both files', () => {
    const a = policy({ name: 'a', node: 'ohlcv:x*', source: 'sla/a.yml' });
    const b = policy({ name: 'b', node: 'ohlcv:*x', source: 'sla/b.yml' });
    expect(() => createSlaPolicySet([a, b])).toThrow(InvalidRequestError);
    expect(() => createSlaPolicySet([a, b])).toThrow(/ambiguous: "a" \(sla\/a\.yml\) and "b" \(sla\/b\.yml\) are equally specific/);
  });

  it('refuses the same exact node and interval twice', () => {
    expect(() => createSlaPolicySet([
      policy({ name: 'a', node: 'n', interval: '1m' }), policy({ name: 'b', node: 'n', interval: '1m' }),
    ])).toThrow(/ambiguous/);
  });

  it('counts "?" as a wildcard: "ohlcv:demo:?" ties with "ohlcv:demo:*" and is refused', () => {
    expect(() => createSlaPolicySet([policy({ name: 'a', node: 'ohlcv:demo:*' }), policy({ name: 'b', node: 'ohlcv:demo:?' })])).toThrow(/ambiguous/);
  });

  it('accepts equally specific policies that can never match the same read', () => {
    expect(() => createSlaPolicySet([
      policy({ name: 'binance', node: 'ohlcv:binance:*' }), policy({ name: 'bitstamp', node: 'ohlcv:bitstamp:*' }),
      policy({ name: 'n-1m', node: 'n', interval: '1m' }), policy({ name: 'n-5m', node: 'n', interval: '5m' }),
    ])).not.toThrow();
  });
});
