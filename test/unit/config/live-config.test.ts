import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import type { SeamlessConfigInput } from '../../../src/config/index.js';

const BINANCE = {
  kind: 'websocket' as const,
  url: 'wss://stream.binance.com:9443/ws',
  subscribe: '{"method":"SUBSCRIBE","params":["{symbol_lower}@kline_{interval}"],"id":{id}}',
  mapping: { bar: 'k', fields: { ts: 't', open: 'o', high: 'h', low: 'l', close: 'c', volume: 'v' }, closed: 'x' },
};

function load(extra: Partial<SeamlessConfigInput>) {
  return loadConfig({
    input: {
      sources: { synth: { kind: 'synthetic' } },
      datasets: [{ nodeId: 'ohlcv:binance:BTC/USDT', intervals: ['1m'], source: 'synth', live: 'binance', liveSymbol: 'BTCUSDT' }],
      ...extra,
    },
    env: {},
  }).config;
}

describe('live feed configuration', () => {
  it('fills the defaults of feeds and of the live section', () => {
    const config = load({ live: { feeds: { binance: BINANCE } } });
    expect(config.live).toMatchObject({ bufferBars: 10_000, writeThrough: true, flushMs: 250, flushBars: 100, maxGapBars: 10_000 });
    expect(config.live.feeds.binance).toMatchObject({
      reconnect: { initialDelayMs: 500, maxDelayMs: 30_000 }, closeGraceMs: 2_000, idleTimeoutMs: 60_000,
      mapping: { match: {}, batch: false, tsUnit: 'ms' },
    });
    expect(loadConfig({ env: {} }).config.live.feeds).toEqual({});
  });

  it('refuses at start a dataset naming a feed that does not exist, naming the key', () => {
    expect(() => load({ live: { feeds: {} } })).toThrow(/datasets\.0\.live: unknown live feed "binance"; defined in live\.feeds: \(none\)/);
  });

  it('refuses a websocket mapping that lacks a column of the dataset schema, naming the key', () => {
    const { close: _close, ...fields } = BINANCE.mapping.fields;
    expect(() => load({ live: { feeds: { binance: { ...BINANCE, mapping: { ...BINANCE.mapping, fields } } } } }))
      .toThrow(/live\.feeds\.binance\.mapping\.fields\.close: is required/);
  });

  it('refuses a ccxt-pro feed for a dataset that is not OHLCV, or a symbol outside its declared markets', () => {
    const pro = { kind: 'ccxt-pro' as const, exchange: 'binance', markets: { 'ETH/USDT': { id: 'ETHUSDT' } } };
    expect(() => load({ live: { feeds: { binance: pro } } })).toThrow(/datasets\.0\.liveSymbol: "BTCUSDT" is not among live\.feeds\.binance\.markets/);
    expect(() => load({
      live: { feeds: { binance: { kind: 'ccxt-pro', exchange: 'binance' } } },
      datasets: [{ nodeId: 't', intervals: ['1m'], schema: 'tick', live: 'binance' }],
    })).toThrow(/datasets\.0\.live: feed "binance" \(ccxt-pro\) gives OHLCV bars/);
  });

  it('refuses a typo, a non-WebSocket URL and an inverted backoff, naming the key', () => {
    const typo = { ...BINANCE, idleTimoutMs: 5 }; // not a literal here, so only the loader can object
    expect(() => load({ live: { feeds: { binance: typo } } })).toThrow(/live\.feeds\.binance: .*idleTimoutMs/);
    expect(() => load({ live: { feeds: { binance: { ...BINANCE, url: 'https://x' } } } })).toThrow(/live\.feeds\.binance\.url/);
    expect(() => load({ live: { feeds: { binance: { ...BINANCE, reconnect: { initialDelayMs: 1_000, maxDelayMs: 10 } } } } }))
      .toThrow(/live\.feeds\.binance\.reconnect\.maxDelayMs/);
  });
});
