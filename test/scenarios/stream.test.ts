/**
 * A subscriber across a gateway crash: a real `seamless serve` process with a live WebSocket feed
 * (a local server speaking Binance's kline stream) and a library subscriber (`subscribe()`). The
 * gateway is killed with SIGKILL mid-stream and started again on the same port; the subscriber
 * reconnects with its resume token. What it must see: every closed bar exactly once, ascending —
 * including the bar the feed repeats after the gateway resubscribes — and what is stored agrees.
 */
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { subscribe } from '../../src/gateway/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { binanceKline, binanceKlineFeedConfig, liveBar, startLiveWsServer } from '../harness/live-ws-server.js';
import type { LiveWsServer } from '../harness/live-ws-server.js';
import { eventually, killSeamlessProcesses, startSeamless, waitForLine } from '../harness/seamless-processes.js';
import type { SeamlessProcess } from '../harness/seamless-processes.js';

const MIN = 60_000;
const NODE = 'ohlcv:binance:ETH/USDT';
// Bars in the near future: nothing before them is asked of storage (a live-only subscription).
const T0 = Math.floor(Date.now() / MIN) * MIN + 10 * MIN;
const at = (k: number): number => T0 + k * MIN;

let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
let server: LiveWsServer | undefined;
afterAll(async () => {
  await killSeamlessProcesses();
  await server?.close();
  await dir?.remove();
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const address = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

interface Range { readonly start: number; readonly end: number; readonly state: string }

async function storedRanges(url: string): Promise<Range[]> {
  const res = await fetch(`${url}/v1/coverage?node=${encodeURIComponent(NODE)}&interval=1m`);
  return ((await res.json()) as { ranges: Range[] }).ranges;
}

/** Whether one `stored` range covers [start, end). */
function covers(ranges: readonly Range[], start: number, end: number): boolean {
  return ranges.some((r) => r.state === 'stored' && r.start <= start && r.end >= end);
}

describe('a subscriber across a gateway killed with SIGKILL', () => {
  it('resumes with its token after the restart: every bar once, ascending, no gap', async () => {
    server = await startLiveWsServer();
    dir = await tempDir('seamless-stream-');
    const port = await freePort();
    const configFile = join(dir.path, 'seamless.yml');
    // JSON is YAML: the feed's configuration as the harness builds it.
    await writeFile(configFile, JSON.stringify({
      dataDir: join(dir.path, 'data'), logging: { level: 'info' }, server: { port },
      datasets: [{ nodeId: NODE, intervals: ['1m'], live: 'binance', liveSymbol: 'ETHUSDT' }],
      live: { flushMs: 20, feeds: { binance: binanceKlineFeedConfig(server.url) } },
    }));
    const serve = async (name: string): Promise<SeamlessProcess> => {
      const child = startSeamless(['serve', '--config', configFile], dir?.path ?? '.', name);
      await waitForLine(child, /listening on (http:\/\/\S+)/, 90_000);
      return child;
    };
    const url = `http://127.0.0.1:${port}`;
    const send = (k: number): void => server?.send(binanceKline('ETHUSDT', '1m', MIN, at(k), liveBar(at(k)), true));

    let gateway = await serve('gateway-1');
    await eventually('the feed subscription', () => (server?.received.length ?? 0) >= 1 ? true : undefined, 30_000);
    const abort = new AbortController();
    const got: number[] = [];
    let seams = 0;
    const reading = (async () => {
      for await (const event of subscribe({ url, nodes: [NODE], interval: '1m', signal: abort.signal, reconnectDelayMs: 200 })) {
        if (event.type === 'bars' && event.final) got.push(...event.data.ts);
        if (event.type === 'caught_up') seams++;
      }
    })();
    await eventually('the first seam', () => (seams >= 1 ? true : undefined), 30_000);
    for (let k = 0; k < 5; k++) send(k);
    await eventually('five live bars', () => (got.length >= 5 ? true : undefined), 30_000);
    // The write-through flushes every flushMs after delivering a bar: on a loaded machine a kill
    // right after the fifth delivery could land before the flush, and the feed repeats only the
    // newest bar after a resubscription. Killed once the five bars are stored, the gateway dies
    // mid-stream all the same, and what is stored at the end is the test of both processes' writes.
    await eventually('the write-through of the five bars', async () => (covers(await storedRanges(url), at(0), at(5)) ? true : undefined), 30_000);

    await gateway.kill('SIGKILL');
    const subscribesBefore = server.received.length;
    gateway = await serve('gateway-2');
    await eventually('the feed resubscribed', () => ((server?.received.length ?? 0) > subscribesBefore ? true : undefined), 30_000);
    await eventually('the subscriber back', () => (seams >= 2 ? true : undefined), 30_000);
    // As exchanges do on a resubscription, the feed repeats its newest bar, then goes on.
    for (let k = 4; k < 9; k++) send(k);
    await eventually('the bars after the restart', () => (got.at(-1) === at(8) ? true : undefined), 30_000);
    abort.abort();
    await reading;
    expect(got).toEqual(Array.from({ length: 9 }, (_, k) => at(k)));
    // What is stored agrees: the live write-through kept every bar.
    const stored = await eventually('the write-through', async () => {
      const ranges = await storedRanges(url);
      return covers(ranges, at(0), at(9)) ? ranges : undefined;
    }, 30_000);
    expect(stored.length).toBeGreaterThan(0);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/seamless_stream_bars_delivered_total\{phase="live"\} [1-9]/);
    await gateway.kill('SIGTERM');
  });
});
