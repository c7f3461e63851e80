/**
 * Stopping the gateway is bounded whatever its clients do: a client that connected and sent
 * nothing (or half a request line) no longer holds the stop for the keep-alive timeout, and a
 * request still in flight is cut after `server.shutdownGraceMs`.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { serveGateway } from '../../src/gateway/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Far below the 60 s header/request timeouts configured below: a close that waits on them loses. */
const STALL_GUARD_MS = 8_000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

async function gateway(shutdownGraceMs: number) {
  const dir = await tempDir();
  const seamless = await createSeamless({
    overrides: { dataDir: dir.path, server: { headersTimeoutMs: 60_000, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 72_000, shutdownGraceMs } },
    env: {}, logger: silentLogger(),
  });
  const running = await serveGateway({ seamless, host: '127.0.0.1', port: 0 });
  cleanups.push(async () => { await seamless.close(); await dir.remove(); });
  return running;
}

async function socketTo(port: number, send?: string): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  if (send !== undefined) socket.write(send);
  cleanups.push(async () => { socket.destroy(); });
  return socket;
}

/** Sends headers with `Expect: 100-continue` and waits for the interim answer: the server has the request. */
async function requestInFlight(port: number, head: string): Promise<{ socket: Socket; answer: () => string }> {
  const socket = await socketTo(port, `${head}Expect: 100-continue\r\n\r\n`);
  let answer = '';
  const continued = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('utf8');
      if (answer.includes('100 Continue')) resolve();
    });
  });
  await continued;
  return { socket, answer: () => answer };
}

async function closeWithin(close: () => Promise<void>, ms: number): Promise<'closed' | 'stalled'> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<'stalled'>((resolve) => { timer = setTimeout(() => resolve('stalled'), ms); });
  try {
    return await Promise.race([close().then(() => 'closed' as const), stalled]);
  } finally {
    clearTimeout(timer);
  }
}

describe('stopping the gateway', () => {
  it('drops at once a client that connected and sent nothing, and one that sent half a request line', async () => {
    const running = await gateway(30_000);
    const silent = await socketTo(running.port);
    const dribbling = await socketTo(running.port, 'GET /v1/datasets HTTP/1.1\r\n');
    const ended = Promise.all([silent, dribbling].map((s) => new Promise<void>((resolve) => s.once('close', () => resolve()))));
    // The grace (30 s) is far above the guard: only dropping the silent sockets at once closes in time.
    expect(await closeWithin(() => running.close(), STALL_GUARD_MS)).toBe('closed');
    await ended;
  });

  it('cuts a request still in flight once server.shutdownGraceMs has passed', async () => {
    const running = await gateway(200);
    // Headers complete, body promised but never sent: the request is in flight until its 60 s timeout.
    const { socket: uploading } = await requestInFlight(running.port, 'POST /v1/backfills HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n');
    const ended = new Promise<void>((resolve) => uploading.once('close', () => resolve()));
    expect(await closeWithin(() => running.close(), STALL_GUARD_MS)).toBe('closed');
    await ended;
  });

  it('lets a request in flight finish within the grace, closing its connection after the answer', async () => {
    const running = await gateway(30_000);
    const body = JSON.stringify({ node: 'ohlcv:demo:BTC-USD', interval: '1h', start: '2024-01-01T00:00:00Z', end: '2024-01-01T02:00:00Z' });
    const { socket: uploading, answer } = await requestInFlight(running.port, `POST /v1/backfills HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n`);
    const ended = new Promise<void>((resolve) => uploading.once('close', () => resolve()));
    const closing = running.close();
    uploading.write(body);
    expect(await closeWithin(() => closing, STALL_GUARD_MS)).toBe('closed');
    await ended;
    expect(answer()).toMatch(/HTTP\/1\.1 202 /);
    expect(answer()).toMatch(/connection: close/i);
  });
});
