/**
 * The WebSocket sink of subscriptions over a real loopback socket: the frames of one burst (a
 * minute's closes fanned out in one tick) leave in one socket write instead of one write each,
 * and arrive whole and in order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { webSocketSink } from '../../../src/gateway/internal.js';
import { until } from '../../helpers/until.js';

const message = (i: number) => ({ type: 'bars' as const, bytes: Buffer.from(`{"type":"bars","i":${i}}`), bars: 1 });

describe('webSocketSink', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('sends the frames of one tick in one socket write, whole and in order', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    cleanup.push(() => new Promise((resolve) => { wss.close(() => resolve(undefined)); }));
    const address = wss.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const accepted = new Promise<{ ws: WebSocket; raw: Socket }>((resolve) => wss.once('connection', (ws, req) => resolve({ ws, raw: req.socket })));
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    cleanup.push(async () => { client.terminate(); });
    const received: string[] = [];
    client.on('message', (data) => received.push(String(data)));
    const { ws, raw } = await accepted;
    cleanup.push(async () => { ws.terminate(); });
    await new Promise((resolve) => { if (client.readyState === WebSocket.OPEN) resolve(undefined); else client.once('open', resolve); });

    // Count what reaches the socket's own write path (one call per write or writev).
    let writes = 0;
    const own = raw as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    const write = own._write.bind(raw);
    const writev = own._writev.bind(raw);
    own._write = (...a) => { writes++; write(...a); };
    own._writev = (...a) => { writes++; writev(...a); };

    const sink = webSocketSink(ws, raw);
    for (let i = 0; i < 200; i++) sink.send(message(i), () => '');
    await until(() => received.length === 200, 'the 200 frames');

    expect(received).toEqual(Array.from({ length: 200 }, (_, i) => `{"type":"bars","i":${i}}`));
    expect(writes).toBe(1);
  });
});
