// subscribe() against a stand-in server (a real `ws` server on loopback): what it asks for, the
// binary batches it unpacks into the events JSON batches give, and an unreadable frame ending the
// iterator with an error instead of throwing inside the socket's handler.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { OHLCV_SCHEMA, createFrame, createUniverseFrame, encodeLiveBatchArrow } from '../../../src/core/index.js';
import { GatewayStreamError, subscribe } from '../../../src/gateway/index.js';
import type { StreamEvent } from '../../../src/gateway/index.js';
import { decodeResumeToken, positionKey } from '../../../src/provider/index.js';

const MIN = 60_000;
const T = Date.UTC(2024, 6, 1, 9);
const servers: WebSocketServer[] = [];
afterEach(async () => { for (const s of servers.splice(0)) await new Promise((resolve) => { s.close(resolve); }); });

/** A server that answers each connection with `frames` (binary when a Uint8Array); resolves its URL and the request URLs seen. */
async function standIn(frames: readonly (string | Uint8Array)[]) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.push(wss);
  const urls: string[] = [];
  wss.on('connection', (ws, req) => {
    urls.push(req.url ?? '');
    for (const f of frames) ws.send(f, { binary: typeof f !== 'string' });
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const addr = wss.address();
  return { url: `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`, urls };
}

describe('subscribe()', () => {
  it('asks for binary batches and yields their rows as one bars event each, with the resume token of the position', async () => {
    const nodes = ['ohlcv:x:A', 'ohlcv:x:B'];
    const values = OHLCV_SCHEMA.columns.map((_, c) => Float64Array.of(1 + c, 2 + c, 3 + c));
    const frame = encodeLiveBatchArrow({
      bars: createUniverseFrame(createFrame(OHLCV_SCHEMA, Float64Array.of(T, T + MIN, T), values), nodes, Int32Array.of(0, 2, 3)),
      final: Uint8Array.of(1, 0, 1), intervalMs: MIN,
    });
    const server = await standIn([JSON.stringify({ type: 'subscribed', datasets: [] }), frame]);
    const abort = new AbortController();
    const events: StreamEvent[] = [];
    for await (const e of subscribe({ url: server.url, nodes, interval: '1m', signal: abort.signal })) {
      events.push(e);
      if (events.length === 4) abort.abort();
    }
    expect(server.urls[0]).toContain('batch=true');
    expect(server.urls[0]).toContain('encoding=arrow');
    const bars = events.filter((e) => e.type === 'bars');
    expect(bars.map((b) => [b.node, b.interval, b.phase, b.final, b.data.ts[0], b.data.close[0]])).toEqual([
      ['ohlcv:x:A', '1m', 'live', true, T, 4], ['ohlcv:x:A', '1m', 'live', false, T + MIN, 5], ['ohlcv:x:B', '1m', 'live', true, T, 6],
    ]);
    expect(bars[0].data.close).toBeInstanceOf(Float64Array);
    expect(bars[1].resume).toBeUndefined();
    expect([...decodeResumeToken(bars[2].resume ?? '', 'resume')]).toEqual([[positionKey('ohlcv:x:B', MIN), T]]);
  });

  it('asks for JSON batches when told encoding json', async () => {
    const server = await standIn([JSON.stringify({ type: 'subscribed', datasets: [] })]);
    const abort = new AbortController();
    for await (const e of subscribe({ url: server.url, nodes: ['ohlcv:x:A'], interval: '1m', signal: abort.signal, encoding: 'json' })) {
      if (e.type === 'subscribed') abort.abort();
    }
    expect(server.urls[0]).toContain('encoding=json');
  });

  it('ends with a GatewayStreamError when a binary frame is not a live batch', async () => {
    const server = await standIn([Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)]);
    const run = async (): Promise<void> => { for await (const e of subscribe({ url: server.url, nodes: ['ohlcv:x:A'], interval: '1m', reconnectDelayMs: 10 })) void e; };
    await expect(run()).rejects.toThrow(GatewayStreamError);
    await expect(run()).rejects.toThrow(/cannot read/);
  });
});
