/**
 * The scenarios' fault-injection fixture (test/scenarios/fault-injection.ts): its schedules hit
 * exactly the counted events they name, on local servers and child processes of this test, and
 * teardown undoes what is still in place.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { connect, createServer as createTcpServer } from 'node:net';
import type { Server as TcpServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFaults, inWindow, windowOf } from '../../scenarios/fault-injection.js';
import type { Faults } from '../../scenarios/fault-injection.js';
import { until } from '../../helpers/until.js';

let faults: Faults;
const servers: Array<Server | TcpServer> = [];
beforeEach(() => { faults = createFaults(); });
afterEach(async () => {
  await faults.teardown();
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
});

async function listening(server: Server | TcpServer): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  return typeof a === 'object' && a !== null ? a.port : 0;
}

/** `T` when the process is stopped (SIGSTOP), from /proc. */
function state(pid: number): string {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0];
}

describe('fault schedules', () => {
  it('covers events at … at + times − 1, defaulting to the next event once', () => {
    expect(windowOf({ at: 3, times: 3 }, 0)).toEqual({ from: 3, to: 5 });
    expect(windowOf({}, 7)).toEqual({ from: 8, to: 8 });
    expect([1, 2, 3, 4, 5, 6].filter((n) => inWindow(windowOf({ at: 3, times: 3 }, 0), n))).toEqual([3, 4, 5]);
  });

  it('rejects a schedule that is not bounded, naming the field', () => {
    expect(() => windowOf({ at: 0 }, 0)).toThrow(/schedule\.at/);
    expect(() => windowOf({ times: Number.POSITIVE_INFINITY }, 0)).toThrow(/schedule\.times/);
  });
});

describe('HTTP fault proxy', () => {
  it('delays requests 3–5 by the given time and fails the next 2 with 429, forwarding the rest', async () => {
    const port = await listening(createServer((req, res) => res.end(`upstream ${req.url}`)));
    const proxy = await faults.httpProxy(`http://127.0.0.1:${port}`);
    proxy.delay({ path: '/k', at: 3, times: 3, ms: 300 });
    proxy.fail({ path: '/k', at: 6, times: 2, status: 429, headers: { 'retry-after': '1' } });
    const answers: Array<{ status: number; body: string; tookMs: number }> = [];
    for (let i = 1; i <= 8; i++) {
      const t0 = Date.now();
      const res = await fetch(`${proxy.url}/k?i=${i}`);
      answers.push({ status: res.status, body: await res.text(), tookMs: Date.now() - t0 });
    }
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 429, 429, 200]);
    expect(answers[7].body).toBe('upstream /k?i=8');
    expect(proxy.requests.map((r) => r.fault)).toEqual(['none', 'none', 'delay', 'delay', 'delay', 'fail', 'fail', 'none']);
    // A delay holds a request at least its time (a lower bound only: never how fast the rest were).
    for (const i of [2, 3, 4]) expect(answers[i].tookMs).toBeGreaterThanOrEqual(290);
  });

  it('counts a schedule without `at` from the requests already seen', async () => {
    const port = await listening(createServer((_req, res) => res.end('ok')));
    const proxy = await faults.httpProxy(`http://127.0.0.1:${port}`);
    await fetch(`${proxy.url}/a`);
    proxy.fail({ times: 2, status: 500 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${proxy.url}/a`)).status);
    expect(statuses).toEqual([500, 500, 200]);
  });
});

describe('TCP fault proxy', () => {
  async function exchange(port: number, messages: readonly string[]): Promise<string> {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (c: Buffer) => { received += c.toString('latin1'); });
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => undefined); // a cut connection ends the exchange; `closed` reports it
    for (const m of messages) {
      const before = received.length;
      socket.write(m);
      await until(() => received.length > before || socket.destroyed, `echo of ${m}`);
    }
    socket.end();
    await closed;
    return received;
  }

  it('flips the bytes of the scheduled chunk from the server and passes the others', async () => {
    const port = await listening(createTcpServer((s) => s.pipe(s)));
    const proxy = await faults.tcpProxy({ port });
    proxy.corrupt({ direction: 'down', at: 2, mode: 'flip' });
    const got = await exchange(proxy.port, ['aa', 'bb', 'cc']);
    expect(got).toBe(`aa${String.fromCharCode(0x9d, 0x9d)}cc`);
    expect(proxy.chunks('up')).toBe(3);
  });

  it('truncates the scheduled chunk and cuts the connection', async () => {
    const port = await listening(createTcpServer((s) => s.pipe(s)));
    const proxy = await faults.tcpProxy({ port });
    proxy.corrupt({ direction: 'down', at: 2, mode: 'truncate' });
    expect(await exchange(proxy.port, ['aaaa', 'bbbb', 'cccc'])).toBe('aaaabb');
  });
});

describe('process faults', () => {
  function sleeper(): ReturnType<typeof spawn> {
    return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  }

  it('stops a process until restore, and continues it at teardown when still stopped', async () => {
    const a = sleeper();
    const b = sleeper();
    try {
      const pausedA = await faults.pause(a);
      await faults.pause(b, { durationMs: 600_000 }); // teardown must not wait for this timer
      await until(() => state(a.pid ?? 0) === 'T' && state(b.pid ?? 0) === 'T', 'both stopped');
      await pausedA.restore();
      await until(() => state(a.pid ?? 0) !== 'T', 'a continued');
      expect(state(b.pid ?? 0)).toBe('T');
      await faults.teardown();
      await until(() => state(b.pid ?? 0) !== 'T', 'b continued at teardown');
    } finally {
      a.kill('SIGKILL');
      b.kill('SIGKILL');
    }
  });

  it('kill -9s a process after the given time', async () => {
    const child = sleeper();
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_c, s) => resolve(s)));
    await faults.kill(child, { afterMs: 50 });
    expect(await exited).toBe('SIGKILL');
  });
});
