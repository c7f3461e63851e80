/**
 * A real `seamless serve` (API keys on, short timeouts and a small connection limit in its YAML)
 * attacked over raw sockets (node:net): a slowloris dribbling headers, one dribbling a body
 * without a key, one dribbling a body with a key, more sockets than the limit. What the user
 * sees: the attackers' sockets closed within the configured timeouts (figures printed) while a
 * normal client keeps being served; framework-level rejections (huge headers, a huge path
 * segment, a bad `%` escape, a `__proto__` body, a 900 kB node id) answered with the documented
 * `{"error":{code,message,details}}` body and a small size. What is reported: a client hanging
 * up mid-read is one short log line, never an error with a stack.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../src/gateway/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { eventually, killSeamlessProcesses, processReport, startSeamless, waitForLine } from '../harness/seamless-processes.js';
import type { SeamlessProcess } from '../harness/seamless-processes.js';

const HEADERS_TIMEOUT_MS = 1_500;
const REQUEST_TIMEOUT_MS = 3_000;
const MAX_CONNECTIONS = 24;

interface ErrorJson { error: { code: string; message: string; details: Record<string, unknown> } }

/** A raw socket that records what it received and when it was closed. */
interface RawSocket {
  readonly socket: Socket;
  readonly openedAt: number;
  received: string;
  closedAt: number | undefined;
}

describe('a gateway under slowloris and malformed requests', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let gateway: SeamlessProcess;
  let url = '';
  let port = 0;
  const key = generateApiKey('abuse-test', ['read', 'backfill']);
  const auth = { authorization: `Bearer ${key.secret}` };
  const sockets: RawSocket[] = [];

  beforeAll(async () => {
    dir = await tempDir('seamless-abuse-');
    const configFile = join(dir.path, 'seamless.yml');
    await writeFile(configFile, [
      `dataDir: ${JSON.stringify(join(dir.path, 'data'))}`,
      'logging: { level: debug }',
      `server: { headersTimeoutMs: ${HEADERS_TIMEOUT_MS}, requestTimeoutMs: ${REQUEST_TIMEOUT_MS}, maxConnections: ${MAX_CONNECTIONS} }`,
      'auth:',
      `  keys: [${JSON.stringify(key.entry)}]`,
      '',
    ].join('\n'));
    gateway = startSeamless(['serve', '--config', configFile, '--port', '0'], dir.path, 'gateway');
    url = (await waitForLine(gateway, /listening on (http:\/\/\S+)/))[1] ?? '';
    port = Number(new URL(url).port);
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.socket.destroy();
    await killSeamlessProcesses();
    await dir?.remove();
  });

  function open(): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      const raw: RawSocket = { socket, openedAt: Date.now(), received: '', closedAt: undefined };
      sockets.push(raw);
      socket.on('data', (chunk: Buffer) => { raw.received += chunk.toString('latin1'); });
      socket.on('close', () => { raw.closedAt = Date.now(); });
      socket.on('error', () => undefined); // a reset is one way of being closed: 'close' follows
      socket.once('connect', () => resolve(raw));
      socket.once('error', reject);
    });
  }

  /** Writes one byte of `text` every `everyMs` until the server closes the socket (or the text ends). */
  function dribble(raw: RawSocket, text: string, everyMs: number): void {
    let i = 0;
    const timer = setInterval(() => {
      if (raw.closedAt !== undefined || raw.socket.destroyed || i >= text.length) { clearInterval(timer); return; }
      raw.socket.write(text[i++] ?? '');
    }, everyMs);
  }

  /** One whole request over a fresh socket: the raw answer (status line, headers, body). */
  async function rawRequest(request: string | Buffer): Promise<{ status: number; headers: string; body: string; bytes: number }> {
    const raw = await open();
    raw.socket.write(request);
    await eventually('the server to answer and close', () => (raw.closedAt !== undefined ? true : undefined), 30_000, 20);
    const [head = '', body = ''] = raw.received.split('\r\n\r\n', 2);
    return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body, bytes: raw.received.length };
  }

  async function normalClientServed(): Promise<void> {
    const res = await fetch(`${url}/v1/datasets`, { headers: auth });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }

  it('closes a socket dribbling its headers within the headers timeout while a normal client is served', async () => {
    const slow = await open();
    dribble(slow, 'GET /v1/datasets HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(500), 200);
    while (slow.closedAt === undefined && Date.now() - slow.openedAt < 20_000) {
      await normalClientServed();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(slow.closedAt, 'the header-dribbling socket is still open after 20 s').toBeDefined();
    const heldMs = (slow.closedAt ?? 0) - slow.openedAt;
    console.log(`header-dribbling socket closed after ${heldMs} ms (headersTimeoutMs ${HEADERS_TIMEOUT_MS})`);
    expect(heldMs).toBeLessThan(HEADERS_TIMEOUT_MS + 5_000);
    expect(slow.received).toMatch(/^HTTP\/1\.1 400 /);
    expect((JSON.parse(slow.received.split('\r\n\r\n')[1] ?? '') as ErrorJson).error.code).toBe('invalid_request');
  });

  it('answers a body dribbled without a key with 401 and closes the connection at once', async () => {
    const slow = await open();
    slow.socket.write('POST /v1/backfills HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{');
    dribble(slow, '"node":"' + 'a'.repeat(4000), 200);
    await eventually('the unauthenticated socket to be closed', () => (slow.closedAt !== undefined ? true : undefined), 20_000, 20);
    console.log(`unauthenticated body-dribbling socket closed after ${(slow.closedAt ?? 0) - slow.openedAt} ms`);
    expect(slow.received).toMatch(/^HTTP\/1\.1 401 /);
    expect(slow.received.toLowerCase()).toContain('connection: close');
    await normalClientServed();
  });

  it('closes a socket dribbling its body with a valid key within the request timeout', async () => {
    const slow = await open();
    slow.socket.write(`POST /v1/backfills HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key.secret}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{`);
    dribble(slow, '"node":"' + 'a'.repeat(4000), 200);
    while (slow.closedAt === undefined && Date.now() - slow.openedAt < 25_000) {
      await normalClientServed();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(slow.closedAt, 'the body-dribbling socket is still open after 25 s').toBeDefined();
    const heldMs = (slow.closedAt ?? 0) - slow.openedAt;
    console.log(`authenticated body-dribbling socket closed after ${heldMs} ms (requestTimeoutMs ${REQUEST_TIMEOUT_MS})`);
    expect(heldMs).toBeLessThan(REQUEST_TIMEOUT_MS + 5_000);
  });

  it('refuses connections over server.maxConnections and serves again once they are gone', async () => {
    const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS + 6 }, () => open()));
    // Over the limit the server closes new sockets at once; the ones under it stay open.
    await eventually('sockets over the limit to be closed', () => (held.filter((s) => s.closedAt !== undefined).length >= 6 ? true : undefined), 10_000, 20);
    const refused = held.filter((s) => s.closedAt !== undefined).length;
    console.log(`${refused} of ${held.length} sockets refused with server.maxConnections ${MAX_CONNECTIONS}`);
    expect(refused).toBeLessThanOrEqual(6 + 3); // this test's own pooled keep-alive sockets hold a few slots
    for (const s of held) s.socket.destroy();
    await eventually('a normal client to be served again', async () => {
      const res = await fetch(`${url}/healthz`);
      await res.arrayBuffer();
      return res.status === 200 ? true : undefined;
    }, 20_000);
    await eventually('the gateway to log the refused connections', () => (/connection limit reached/.test(gateway.stderr) ? true : undefined), 10_000);
  });

  it('answers headers over the size limit with the documented error body', async () => {
    const r = await rawRequest(`GET /v1/datasets HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(r.status).toBe(400);
    const body = JSON.parse(r.body) as ErrorJson;
    expect(body.error).toMatchObject({ code: 'invalid_request', details: { field: 'headers' } });
  });

  it('answers a path segment over the length limit with the documented error body, not echoing it', async () => {
    const r = await rawRequest(`GET /v1/backfills/${'a'.repeat(5_000)} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key.secret}\r\nConnection: close\r\n\r\n`);
    expect(r.status).toBe(400);
    const body = JSON.parse(r.body) as ErrorJson;
    expect(body.error).toMatchObject({ code: 'invalid_request', details: { field: 'url' } });
    expect(r.bytes).toBeLessThan(2_000);
  });

  it('answers a bad % escape in the path with the documented error body', async () => {
    const r = await rawRequest(`GET /v1/backfills/%zz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key.secret}\r\nConnection: close\r\n\r\n`);
    expect(r.status).toBe(400);
    const body = JSON.parse(r.body) as ErrorJson;
    expect(body.error).toMatchObject({ code: 'invalid_request', details: { field: 'url' } });
    expect(body.error.message).toMatch(/%/);
  });

  it('answers a __proto__ key in a JSON body with a 400 naming it, not "not valid JSON"', async () => {
    const res = await fetch(`${url}/v1/backfills`, {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
      body: '{"__proto__":{"polluted":true},"node":"ohlcv:demo:BTC-USD","interval":"1m","start":0,"end":60000}',
    });
    expect(res.status).toBe(400);
    const body = await res.json() as ErrorJson;
    expect(body.error).toMatchObject({ code: 'invalid_request', details: { field: '__proto__' } });
    expect(body.error.message).not.toMatch(/not valid JSON/);
  });

  it('still calls a body that is not JSON "not valid JSON", naming the body', async () => {
    const res = await fetch(`${url}/v1/backfills`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"node": ' });
    expect(res.status).toBe(400);
    expect((await res.json() as ErrorJson).error).toMatchObject({ code: 'invalid_request', details: { field: 'body' } });
  });

  it('refuses a 900 kB node id in POST /v1/backfills with a small 400 naming node', async () => {
    const res = await fetch(`${url}/v1/backfills`, {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ node: 'a'.repeat(900_000), interval: '1m', start: 0, end: 60_000 }),
    });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text.length).toBeLessThan(1_000);
    expect((JSON.parse(text) as ErrorJson).error).toMatchObject({ code: 'invalid_request', details: { field: 'node' } });
  });

  it('logs a client hanging up mid-read as one short line without a stack', async () => {
    const raw = await open();
    // A year of 1m bars not yet stored: the read waits on its backfill when the client hangs up.
    raw.socket.write(`GET /v1/bars?node=ohlcv:demo:ETH-USD&interval=1m&start=2022-01-01T00:00:00Z&end=2022-12-01T00:00:00Z HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key.secret}\r\n\r\n`);
    await eventually('the read to start its backfill', () => (/backfill job submitted[^\n]*ETH-USD|ETH-USD[^\n]*backfill job submitted/.test(gateway.stderr) ? true : undefined), 20_000, 20);
    raw.socket.destroy();
    const line = await eventually('the hang-up to be logged', () => gateway.stderr.split('\n').find((l) => l.includes('client closed the connection')), 20_000);
    expect(line, processReport(gateway)).not.toContain('stack');
    expect(gateway.stderr).not.toMatch(/"level":50[^\n]*AbortedError/);
  });
});
