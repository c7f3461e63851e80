import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileMessageMapping, createMessageRouter } from '../../../../src/sources/internal.js';
import type { MessageMapping } from '../../../../src/sources/internal.js';

const MIN = 60_000;
const FIELDS = { ts: 't', close: 'c' };
const PATHS = ['e', 's', 'k.i', 'data.0'];
const scalar = fc.oneof(fc.constantFrom('kline', 'BTCUSDT', 'btcusdt', '1m', '60000', 'x', ''), fc.constantFrom(60_000, 1, 0), fc.boolean());

/** A message holding some of the rule paths (a value, null, or nothing) and other noise. */
const message = fc.record({
  e: fc.option(scalar, { nil: undefined }),
  s: fc.option(fc.oneof(scalar, fc.constant(null)), { nil: undefined }),
  k: fc.option(fc.record({ i: fc.option(scalar, { nil: undefined }), t: fc.constant(0) }), { nil: undefined }),
  data: fc.option(fc.array(scalar, { maxLength: 2 }), { nil: undefined }),
}, { requiredKeys: [] });

/** A subscription: match rules over a subset of the paths, templates or literals. */
const subscription = fc.record({
  symbol: fc.constantFrom('BTCUSDT', 'btcusdt', 'X'),
  rules: fc.dictionary(fc.constantFrom(...PATHS), fc.oneof(fc.constantFrom('{symbol}', '{symbol_upper}', '{interval}', '{interval_ms}'), scalar.map(String)), { maxKeys: 3 }),
});

describe('message router of the WebSocket feed', () => {
  it('routes a message to exactly the subscriptions whose rules it meets, in the order they were added', () => {
    fc.assert(fc.property(fc.array(subscription, { minLength: 1, maxLength: 12 }), fc.array(message, { maxLength: 20 }), fc.array(fc.nat(11), { maxLength: 4 }), (subs, messages, removed) => {
      const router = createMessageRouter<number>();
      const compiled = subs.map((s, i) => {
        const mapping: MessageMapping = { match: s.rules, fields: FIELDS };
        const m = compileMessageMapping(mapping, { symbol: s.symbol, intervalMs: MIN, columns: ['close'] });
        router.add(i, m.matchKey);
        return m;
      });
      for (const r of removed) router.remove(r);
      for (const msg of messages) {
        const expected = compiled.map((m, i) => (m.matches(msg) && !removed.includes(i) ? i : -1)).filter((i) => i >= 0);
        expect(router.route(msg).sort((a, b) => a - b)).toEqual(expected);
      }
    }), { numRuns: 500 });
  });

  it('keeps the order subscriptions were added in among those sharing rule paths', () => {
    const router = createMessageRouter<string>();
    const binance = (): MessageMapping => ({ match: { 's': '{symbol_upper}', 'k.i': '{interval}' }, fields: FIELDS });
    for (const name of ['b', 'a', 'c']) router.add(name, compileMessageMapping(binance(), { symbol: 'btcusdt', intervalMs: MIN, columns: ['close'] }).matchKey);
    expect(router.route({ s: 'BTCUSDT', k: { i: '1m' } })).toEqual(['b', 'a', 'c']);
    expect(router.route({ s: 'ETHUSDT', k: { i: '1m' } })).toEqual([]);
    router.remove('a');
    expect(router.route({ s: 'BTCUSDT', k: { i: '1m' } })).toEqual(['b', 'c']);
    expect(router.size).toBe(2);
  });
});
