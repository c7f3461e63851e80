/**
 * The generic WebSocket feed against a real local WebSocket server speaking Binance's kline
 * stream: subscribe messages after each connect, mapping, malformed messages, reconnects with
 * backoff. (The hub and storage on top of it: live-hub.test.ts.)
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWebSocketFeed } from '../../src/sources/index.js';
import { reconnectCap } from '../../src/sources/internal.js';
import type { LiveEvent, LiveFeed } from '../../src/sources/index.js';
import type { MessageMapping } from '../../src/sources/internal.js';
import { binanceKline, liveBar, startLiveWsServer } from '../harness/live-ws-server.js';
import type { LiveWsServer } from '../harness/live-ws-server.js';
import { until } from '../helpers/until.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 5, 1, 12);
const at = (k: number): number => T0 + k * MIN;
const OHLCV = ['open', 'high', 'low', 'close', 'volume'];
const BINANCE: MessageMapping = {
  match: { 'e': 'kline', 's': '{symbol_upper}', 'k.i': '{interval}' },
  bar: 'k',
  fields: { ts: 't', open: 'o', high: 'h', low: 'l', close: 'c', volume: 'v' },
  closed: 'x',
};
const SUBSCRIBE = '{"method":"SUBSCRIBE","params":["{symbol_lower}@kline_{interval}"],"id":{id}}';
const RECONNECT = { initialDelayMs: 40, maxDelayMs: 320 };

let server: LiveWsServer;
let feed: LiveFeed | undefined;
beforeEach(async () => { server = await startLiveWsServer(); });
afterEach(async () => {
  await feed?.close();
  feed = undefined;
  await server.close();
});

function start(outcomes: string[] = [], warnings: { obj: object; msg: string }[] = [], reconnects: number[] = []) {
  feed = createWebSocketFeed({
    name: 'binance', url: `${server.url}/ws`, subscribe: SUBSCRIBE, mapping: BINANCE, reconnect: RECONNECT, closeGraceMs: 2_000, idleTimeoutMs: 0,
    hooks: { onMessage: (o) => outcomes.push(o), onReconnect: () => reconnects.push(Date.now()) },
    log: { info: () => undefined, warn: (obj, msg) => warnings.push({ obj, msg }) },
  });
  const events: LiveEvent[] = [];
  const ac = new AbortController();
  const done = (async () => {
    for await (const e of feed.subscribe({ symbol: 'btcusdt', intervalMs: MIN, columns: OHLCV }, ac.signal)) events.push(e);
  })();
  return { events, stop: async () => { ac.abort(); await done; } };
}

const kline = (k: number, closed: boolean) => binanceKline('BTCUSDT', '1m', MIN, at(k), liveBar(at(k)), closed);
const bars = (events: LiveEvent[]) => events.flatMap((e) => (e.type === 'bar' ? [[(e.ts - T0) / MIN, e.closed]] : []));

describe('WebSocket live feed (local server, Binance kline format)', () => {
  it('sends the rendered subscribe message after connecting and maps kline events to bar updates', async () => {
    const outcomes: string[] = [];
    const { events, stop } = start(outcomes);
    await until(() => server.received.length === 1, 'the subscribe message');
    expect(JSON.parse(server.received[0])).toEqual({ method: 'SUBSCRIBE', params: ['btcusdt@kline_1m'], id: 1 });
    server.send(kline(0, false));
    server.send(kline(0, true));
    server.send(binanceKline('ETHUSDT', '1m', MIN, at(0), liveBar(at(0)), true)); // another stream: ignored
    await until(() => bars(events).length === 2, 'two bar updates');
    expect(events[0]).toMatchObject({ type: 'connected', reconnect: false });
    expect(bars(events)).toEqual([[0, false], [0, true]]);
    const last = events.at(-1);
    expect(last?.type === 'bar' && Array.from(last.values)).toEqual(liveBar(at(0)));
    await until(() => outcomes.length === 4, 'every message counted');
    expect(outcomes).toEqual(['ignored', 'bar', 'bar', 'ignored']); // the subscribe ack, two klines, ETHUSDT
    await stop();
  });

  it('counts and logs a malformed message and keeps going', async () => {
    const outcomes: string[] = [];
    const warnings: { obj: object; msg: string }[] = [];
    const { events, stop } = start(outcomes, warnings);
    await until(() => server.received.length === 1, 'the subscribe message');
    server.send('{"e":"kline", not json');
    const bad = kline(1, true);
    server.send({ ...bad, k: { ...(bad.k as object), c: 'abc' } });
    server.send(kline(1, true));
    await until(() => bars(events).length === 1, 'the good bar after the bad messages');
    expect(outcomes.filter((o) => o === 'malformed')).toHaveLength(2);
    expect(warnings[0]).toMatchObject({ msg: 'live feed: malformed message skipped', obj: { feed: 'binance', reason: expect.stringMatching(/not JSON/) } });
    expect(events.some((e) => e.type === 'disconnected')).toBe(false);
    await stop();
  });

  it('reconnects after the server drops it, subscribing again, and reports the drop', async () => {
    const reconnects: number[] = [];
    const { events, stop } = start([], [], reconnects);
    await until(() => server.received.length === 1, 'the first subscribe message');
    server.send(kline(0, true));
    await until(() => bars(events).length === 1, 'the first bar');
    server.dropAll();
    await until(() => server.received.length === 2, 'the subscribe message after the reconnect');
    server.send(kline(3, true));
    await until(() => bars(events).length === 2, 'a bar after the reconnect');
    expect(events.map((e) => e.type)).toEqual(['connected', 'bar', 'disconnected', 'connected', 'bar']);
    expect(events[2]).toMatchObject({ type: 'disconnected', attempt: 1, reason: expect.stringMatching(/closed by the server \(code 1006\)/) });
    expect(events[3]).toMatchObject({ type: 'connected', reconnect: true });
    expect(reconnects).toHaveLength(1);
    await stop();
  });

  it('backs off exponentially (with jitter) while the server refuses it', async () => {
    const { events, stop } = start();
    await until(() => server.received.length === 1, 'the first subscribe message');
    server.refuse(true);
    server.dropAll();
    const base = server.connections.length;
    await until(() => server.connections.length >= base + 5, 'five reconnect attempts', 20_000);
    const attempts = server.connections.slice(base - 1, base + 5).map((c) => c.at);
    const waits = attempts.slice(1).map((t, i) => t - attempts[i]);
    // Attempt n waits at least cap(n)/2 — 20, 40, 80, 160, 160 ms — after the previous one ended.
    waits.forEach((w, i) => expect(w).toBeGreaterThanOrEqual(Math.floor(reconnectCap(RECONNECT, i + 1) / 2) - 1));
    console.log(`live feed backoff: waits between attempts ${waits.join(', ')} ms (caps ${waits.map((_, i) => reconnectCap(RECONNECT, i + 1)).join(', ')})`);
    const attemptsSeen = events.flatMap((e) => (e.type === 'disconnected' ? [e.attempt] : []));
    expect(attemptsSeen.slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
    server.refuse(false);
    await until(() => server.received.length === 2, 'the subscribe message once the server accepts again', 20_000);
    await stop();
  });
});
