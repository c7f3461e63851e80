/**
 * Subscriptions through a real gateway (HTTP on loopback) with a live WebSocket feed (a local
 * server speaking Binance's kline stream): a `ws` client and an SSE client replay stored bars then
 * get live ones with no gap and no duplicate, an SSE client resumes with Last-Event-ID, a client
 * that stops reading is closed with 4008 and counted, a bad key is a 401 and a bad parameter a 400
 * naming the field, both before any upgrade. With `encoding=arrow` live bursts arrive as binary
 * Arrow frames that apache-arrow's `tableFromIPC` reads, and a client resumes from a position
 * taken from them.
 */
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import WebSocket from 'ws';
import { SEAMLESS_CLI } from '../harness/seamless-cli.js';
import { createManualClock } from '../../src/core/internal.js';
import { generateApiKey, serveGateway, subscribe } from '../../src/gateway/index.js';
import { decodeResumeToken, encodeResumeToken, positionKey } from '../../src/provider/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';
import type { Seamless } from '../../src/app/index.js';
import { binanceKline, binanceKlineFeedConfig, liveBar, startLiveWsServer } from '../harness/live-ws-server.js';
import type { LiveWsServer } from '../harness/live-ws-server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 6, 1, 9);
const NODE = 'ohlcv:binance:ETH/USDT';
const FLOOD = 'ohlcv:binance:SOL/USDT';
const DATASET = { nodeId: NODE, intervalMs: MIN };
const at = (k: number): number => T0 + k * MIN;
const kline = (k: number, closed: boolean, symbol = 'ETHUSDT') => binanceKline(symbol, '1m', MIN, at(k), liveBar(at(k)), closed);
const reader = generateApiKey('strategy', ['read']);

interface Message { type: string; messages?: Message[]; node?: string; phase?: string; final?: boolean; data?: Record<string, number[]>; resume?: string; lastTs?: number | null; error?: { code: string; message: string; details: Record<string, unknown> } }

/** A WebSocket subscriber collecting messages. */
function wsClient(url: string, protocols: string[] = ['seamless.v1', `bearer.${reader.secret}`]) {
  const messages: Message[] = [];
  const ws = new WebSocket(url, protocols);
  const state = { closeCode: undefined as number | undefined, status: undefined as number | undefined, body: '' };
  ws.on('message', (data) => messages.push(JSON.parse(String(data)) as Message));
  ws.on('close', (code) => { state.closeCode = code; });
  ws.on('error', () => undefined);
  ws.on('unexpected-response', (_req, res) => {
    state.status = res.statusCode;
    res.on('data', (chunk: Buffer) => { state.body += chunk.toString(); });
    res.on('end', () => ws.terminate());
  });
  return { ws, messages, state };
}

/** Server-Sent Events read with fetch: events parsed as they arrive. */
function sseClient(url: string, headers: Record<string, string> = {}) {
  const events: { event: string; id: string | undefined; data: Message }[] = [];
  const abort = new AbortController();
  const state = { status: 0, body: '' };
  const done = (async () => {
    const res = await fetch(url, { headers, signal: abort.signal });
    state.status = res.status;
    if (res.status !== 200) {
      state.body = await res.text();
      return;
    }
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let event = 'message';
        let id: string | undefined;
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('id: ')) id = line.slice(4);
          else if (line.startsWith('data: ')) data += line.slice(6);
        }
        if (data !== '') events.push({ event, id, data: JSON.parse(data) as Message });
      }
    }
  })().catch((error: unknown) => {
    if (!abort.signal.aborted) throw error;
  });
  return { events, state, done, close: () => abort.abort() };
}

const closedBars = (messages: readonly Message[], node = NODE): number[] =>
  messages.flatMap((m) => (m.type === 'batch' ? m.messages ?? [] : [m])).filter((m) => m.type === 'bars' && m.node === node && m.final === true).flatMap((m) => m.data?.ts ?? []);

describe('subscriptions through the gateway', () => {
  let server: LiveWsServer;
  let seamless: Seamless;
  let gateway: RunningGateway;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const clock = createManualClock(at(60) + 20_000);
  let wsUrl: string;

  beforeAll(async () => {
    server = await startLiveWsServer();
    dir = await tempDir();
    seamless = await createSeamless({
      config: {
        dataDir: dir.path,
        auth: { keys: [reader.entry] },
        seamless: { backfill: { barsPerShard: 5 } },
        sources: { synth: { kind: 'synthetic', seed: 9, basePrice: liveBar(at(50))[3], volatility: 0.001 } },
        datasets: [
          { nodeId: NODE, intervals: ['1m'], source: 'synth', live: 'binance', liveSymbol: 'ETHUSDT' },
          { nodeId: FLOOD, intervals: ['1m'], live: 'binance', liveSymbol: 'SOLUSDT' },
        ],
        live: { flushMs: 20, feeds: { binance: binanceKlineFeedConfig(server.url) } },
        stream: { maxBufferedBytes: 65_536, heartbeatMs: 60_000 },
      },
      env: {}, clock, logger: silentLogger(),
    });
    gateway = await serveGateway({ seamless, host: '127.0.0.1', port: 0 });
    wsUrl = gateway.url.replace(/^http/, 'ws');
    await until(() => server.received.length === 2, 'the subscribe messages');
    const job = await seamless.backfill({ nodeId: NODE, interval: '1m', start: at(0), end: at(50) });
    expect(await seamless.waitBackfill(job.id)).toMatchObject({ state: 'completed' });
    for (let k = 45; k < 60; k++) server.send(kline(k, true));
    await seamless.live?.waitForClosed(DATASET, at(59), AbortSignal.timeout(10_000));
  });

  afterAll(async () => {
    await gateway?.close();
    await seamless?.close();
    await server?.close();
    await dir?.remove();
  });

  it('replays stored bars over a WebSocket, then sends live bars as they close: no gap, no duplicate', async () => {
    const c = wsClient(`${wsUrl}/v1/stream?node=${encodeURIComponent(NODE)}&interval=1m&start=${at(0)}`);
    await until(() => c.messages.some((m) => m.type === 'caught_up'), 'the seam');
    expect(c.messages[0]).toMatchObject({ type: 'subscribed' });
    expect(c.ws.protocol).toBe('seamless.v1');
    expect(closedBars(c.messages)).toEqual(Array.from({ length: 60 }, (_, k) => at(k)));
    clock.set(at(61) + 1_000);
    server.send(kline(60, true));
    await until(() => closedBars(c.messages).length === 61, 'the live bar');
    const live = c.messages.filter((m) => m.type === 'bars').at(-1);
    expect(live).toMatchObject({ phase: 'live', final: true, data: { ts: [at(60)], close: [liveBar(at(60))[3]] } });
    expect(typeof live?.resume).toBe('string');
    c.ws.close();
    await until(() => c.state.closeCode !== undefined, 'the close');
  });

  it('serves the same subscription as SSE (key in access_token) and resumes after Last-Event-ID exactly', async () => {
    const url = `${gateway.url}/v1/stream/sse?node=${encodeURIComponent(NODE)}&interval=1m&start=${at(50)}&access_token=${reader.secret}`;
    const first = sseClient(url);
    await until(() => first.events.some((e) => e.event === 'caught_up'), 'the SSE seam');
    const seen = closedBars(first.events.map((e) => e.data));
    expect(seen[0]).toBe(at(50));
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => at(50 + i)));
    const lastId = first.events.filter((e) => e.id !== undefined).at(-1)?.id;
    expect(lastId).toBeDefined();
    first.close();
    await first.done;
    // Bars close while the client is away; it comes back with the last id EventSource kept.
    clock.set(at(63) + 1_000);
    server.send(kline(61, true));
    server.send(kline(62, true));
    await seamless.live?.waitForClosed(DATASET, at(62), AbortSignal.timeout(10_000));
    const again = sseClient(url, { 'last-event-id': lastId as string });
    await until(() => again.events.some((e) => e.event === 'caught_up'), 'the resumed seam');
    const after = closedBars(again.events.map((e) => e.data));
    expect([...seen, ...after]).toEqual(Array.from({ length: seen.length + after.length }, (_, i) => at(50 + i)));
    expect(after.at(-1)).toBe(at(62));
    again.close();
    await again.done;
  });

  it('gives library callers typed columnar batches and reconnects with the resume token after the server ends the stream', async () => {
    const abort = new AbortController();
    const got: number[] = [];
    let caughtUp = 0;
    const reading = (async () => {
      for await (const event of subscribe({ url: gateway.url, key: reader.secret, nodes: [NODE], interval: '1m', start: at(55), signal: abort.signal, reconnectDelayMs: 50 })) {
        if (event.type === 'bars' && event.final) {
          expect(event.data.ts).toBeInstanceOf(Float64Array);
          got.push(...event.data.ts);
        }
        if (event.type === 'caught_up') caughtUp++;
      }
    })();
    await until(() => caughtUp === 1, 'the first seam');
    const before = got.length;
    // The gateway ends every subscription (as on shutdown, close 1001); a bar closes meanwhile.
    seamless.stream?.closeAll();
    clock.set(at(64) + 1_000);
    server.send(kline(63, true));
    await until(() => caughtUp === 2, 'the seam after the reconnect');
    await until(() => got.at(-1) === at(63), 'the bar that closed across the reconnect');
    abort.abort();
    await reading;
    expect(before).toBeGreaterThan(0);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => at(55 + i)));
  });

  it('prints bars as NDJSON lines with `seamless stream` and ends cleanly on Ctrl-C', async () => {
    const child = spawn(process.execPath, [SEAMLESS_CLI, 'stream', '--url', gateway.url, '--node', NODE, '--interval', '1m', '--start', String(at(58))], {
      env: { ...process.env, SEAMLESS_API_KEY: reader.secret }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await until(() => out.split('\n').filter((l) => l !== '').length >= 3, 'three bars printed', 60_000);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    const rows = out.trim().split('\n').map((l) => JSON.parse(l) as { node: string; ts: number; final: boolean });
    expect(rows.slice(0, 3).map((r) => r.ts)).toEqual([at(58), at(59), at(60)]);
    expect(rows[0]).toMatchObject({ node: NODE, final: true });
  });

  it('closes a client that stops reading with 4008 and counts the drop', async () => {
    const c = wsClient(`${wsUrl}/v1/stream?node=${encodeURIComponent(FLOOD)}&interval=1m&building=true`);
    await until(() => c.messages.some((m) => m.type === 'caught_up'), 'the seam');
    const socket = (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    const drops = async (): Promise<number> => {
      const text = await (await fetch(`${gateway.url}/metrics`)).text();
      return Number(/seamless_stream_drops_total\{reason="slow_consumer"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    // Building updates until the kernel's buffers and then the 64 KiB bound are full.
    await until(async () => {
      for (let i = 0; i < 500; i++) server.send(kline(100, false, 'SOLUSDT')); // one building bar, updated
      return (await drops()) >= 1;
    }, 'the slow consumer drop', 60_000);
    socket.resume();
    await until(() => c.state.closeCode !== undefined, 'the close frame');
    expect(c.state.closeCode).toBe(4008);
    expect(c.messages.at(-1)).toMatchObject({ type: 'error', error: { code: 'overloaded', details: { reason: 'slow_consumer' } } });
  });

  it('refuses a bad key with 401 and a bad parameter with 400 naming the field, before any upgrade', async () => {
    const badKey = wsClient(`${wsUrl}/v1/stream?node=${encodeURIComponent(NODE)}&interval=1m`, ['seamless.v1', 'bearer.sk_seamless_nope']);
    await until(() => badKey.state.status !== undefined, 'the refusal');
    expect(badKey.state.status).toBe(401);
    const badParam = wsClient(`${wsUrl}/v1/stream?node=${encodeURIComponent(NODE)}&interval=7x`);
    await until(() => badParam.state.body.includes('}'), 'the 400 body');
    expect(badParam.state.status).toBe(400);
    expect(JSON.parse(badParam.state.body)).toMatchObject({ error: { code: 'invalid_request', details: { field: 'interval' } } });
    const sse = await fetch(`${gateway.url}/v1/stream/sse?node=${encodeURIComponent(NODE)}&interval=1m&start=yesterday`, { headers: { authorization: `Bearer ${reader.secret}` } });
    expect(sse.status).toBe(400);
    expect(await sse.json()).toMatchObject({ error: { details: { field: 'start' } } });
    const noKey = await fetch(`${gateway.url}/v1/stream/sse?node=${encodeURIComponent(NODE)}&interval=1m`);
    expect(noKey.status).toBe(401);
    const resume = await fetch(`${gateway.url}/v1/stream/sse?node=${encodeURIComponent(NODE)}&interval=1m&resume=garbage!`, { headers: { authorization: `Bearer ${reader.secret}` } });
    expect(await resume.json()).toMatchObject({ error: { details: { field: 'resume' } } });
  });

  it('with batch=true sends a burst of closes as batch frames (WebSocket) and batch events with the position as id (SSE)', async () => {
    const query = `node=${encodeURIComponent(NODE)}&interval=1m&batch=true`;
    const ws = wsClient(`${wsUrl}/v1/stream?${query}`);
    const sse = sseClient(`${gateway.url}/v1/stream/sse?${query}&access_token=${reader.secret}`);
    await until(() => ws.messages.some((m) => m.type === 'caught_up') && sse.events.some((e) => e.event === 'caught_up'), 'both seams');
    clock.set(at(94) + 1_000);
    // Thirty closes written back to back: the feed reads them in one or a few chunks, each one event-loop turn.
    for (let k = 64; k < 94; k++) server.send(kline(k, true));
    const expected = Array.from({ length: 30 }, (_, i) => at(64 + i));
    await until(() => closedBars(ws.messages).length === 30 && closedBars(sse.events.map((e) => e.data)).length === 30, 'the thirty bars');
    expect(closedBars(ws.messages)).toEqual(expected);
    expect(closedBars(sse.events.map((e) => e.data))).toEqual(expected);
    const frames = ws.messages.filter((m) => m.type === 'batch' || m.type === 'bars');
    expect(frames.length).toBeLessThan(30);
    const batch = sse.events.filter((e) => e.event === 'batch').at(-1);
    expect(batch?.data.messages?.length).toBeGreaterThan(1);
    const lastBar = batch?.data.messages?.at(-1)?.data?.ts[0];
    expect([...decodeResumeToken(batch?.id ?? '', 'id')]).toEqual([[positionKey(NODE, MIN), lastBar]]);
    ws.ws.close();
    sse.close();
    await sse.done;
  });

  it('with encoding=arrow sends live bursts as binary Arrow frames (read by tableFromIPC) and resumes exactly after a position taken from them', async () => {
    const query = `node=${encodeURIComponent(NODE)}&interval=1m&batch=true&encoding=arrow`;
    const arrowClient = (url: string) => {
      const frames: Buffer[] = [];
      const texts: Message[] = [];
      const ws = new WebSocket(url, ['seamless.v1', `bearer.${reader.secret}`]);
      ws.on('message', (data: Buffer, isBinary: boolean) => { if (isBinary) frames.push(data); else texts.push(JSON.parse(String(data)) as Message); });
      const rows = (): { node: string; ts: number; close: number; final: boolean }[] =>
        frames.flatMap((f) => tableFromIPC(f).toArray().map((r) => (r as { toJSON(): { node: string; ts: number; close: number; final: boolean } }).toJSON()));
      return { ws, frames, texts, rows };
    };
    const first = arrowClient(`${wsUrl}/v1/stream?${query}`);
    await until(() => first.texts.some((m) => m.type === 'caught_up'), 'the seam');
    clock.set(at(104) + 1_000);
    for (let k = 94; k < 104; k++) server.send(kline(k, true));
    await until(() => first.rows().length === 10, 'ten rows');
    expect(first.rows().map((r) => [r.node, r.ts, r.final])).toEqual(Array.from({ length: 10 }, (_, i) => [NODE, at(94 + i), true]));
    expect(first.rows()[0].close).toBe(liveBar(at(94))[3]);
    expect(first.texts.filter((m) => m.type === 'bars' || m.type === 'batch')).toEqual([]);
    first.ws.close();

    // The client stopped after the fifth bar: its position is that row's (node, interval, ts).
    const token = encodeResumeToken(new Map([[positionKey(NODE, MIN), at(98)]]));
    const again = arrowClient(`${wsUrl}/v1/stream?${query}&resume=${token}`);
    await until(() => again.texts.some((m) => m.type === 'caught_up'), 'the seam after resuming');
    clock.set(at(105) + 1_000);
    server.send(kline(104, true));
    await until(() => again.rows().length === 1, 'the live bar after the seam');
    const replayed = closedBars(again.texts);
    expect([...replayed, ...again.rows().map((r) => r.ts)]).toEqual(Array.from({ length: 6 }, (_, i) => at(99 + i)));
    again.ws.close();
  });

  it('refuses encoding=arrow on SSE and without batch=true with 400 naming encoding', async () => {
    const sse = await fetch(`${gateway.url}/v1/stream/sse?node=${encodeURIComponent(NODE)}&interval=1m&batch=true&encoding=arrow`, { headers: { authorization: `Bearer ${reader.secret}` } });
    expect(sse.status).toBe(400);
    expect(await sse.json()).toMatchObject({ error: { code: 'invalid_request', details: { field: 'encoding' } } });
    const unbatched = wsClient(`${wsUrl}/v1/stream?node=${encodeURIComponent(NODE)}&interval=1m&encoding=arrow`);
    await until(() => unbatched.state.body.includes('}'), 'the 400 body');
    expect(unbatched.state.status).toBe(400);
    expect(JSON.parse(unbatched.state.body)).toMatchObject({ error: { details: { field: 'encoding' } } });
    const unknown = wsClient(`${wsUrl}/v1/stream?node=${encodeURIComponent(NODE)}&interval=1m&batch=true&encoding=msgpack`);
    await until(() => unknown.state.body.includes('}'), 'the 400 body');
    expect(JSON.parse(unknown.state.body)).toMatchObject({ error: { details: { field: 'encoding' } } });
  });
});
