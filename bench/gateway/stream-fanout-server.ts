/**
 * The server side of bench/gateway/stream-fanout-sockets.bench.ts, run as its own process so its
 * CPU time (process.cpuUsage) is the server's alone. `seamless <dir> <feedUrl> <datasets>`: a
 * gateway (createSeamless + serveGateway on a free loopback port) with <datasets> 1m datasets fed
 * live by a `websocket` feed at <feedUrl> (Binance kline format), all in the universe `all`.
 * `minimal <feedUrl>`: the baseline, a minimal `ws` WebSocketServer that reads the same feed,
 * encodes each bar's message once (the same JSON Seamless sends) and, at the end of each
 * event-loop turn, sends the turn's messages to every client as one `batch` frame built once
 * (Seamless subscribers ask for `batch=true`, the same framing). A client connecting with
 * `?encoding=arrow` gets instead each turn's bars as one binary Arrow IPC stream built once with
 * apache-arrow's own writer (`tableToIPC`; the columns and metadata of Seamless's `encoding=arrow`
 * batch: node dictionary, ts, OHLCV, final).
 * Prints `url <url>` on stdout when listening; answers the IPC message 'cpu' with its cpuUsage.
 */
import * as A from 'apache-arrow';
import { WebSocket, WebSocketServer } from 'ws';
import { createSeamless } from '../../src/app/index.js';
import { serveGateway } from '../../src/gateway/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { binanceKlineFeedConfig } from '../../test/harness/live-ws-server.js';

const [mode, ...args] = process.argv.slice(2);

// Exit through process.exit so a `--cpu-prof` profile is written (BENCH_CPU_PROF in the bench).
process.on('SIGTERM', () => process.exit(0));
process.on('message', (m) => {
  if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() });
});

export const nodeOf = (i: number): string => `ohlcv:binance:S${i}/USDT`;

async function seamless(dir: string, feedUrl: string, count: number): Promise<void> {
  const nodes = Array.from({ length: count }, (_, i) => nodeOf(i));
  const app = await createSeamless({
    config: {
      dataDir: dir,
      datasets: nodes.map((nodeId, i) => ({ nodeId, intervals: ['1m'], live: 'feed', liveSymbol: `S${i}USDT` })),
      universes: { all: nodes },
      // BENCH_LIVE_FLUSH_MS: when the write-through of a burst's closes runs (default live.flushMs, 250 ms after them).
      live: { feeds: { feed: binanceKlineFeedConfig(feedUrl) }, ...(process.env.BENCH_LIVE_FLUSH_MS !== undefined ? { flushMs: Number(process.env.BENCH_LIVE_FLUSH_MS) } : {}) },
      stream: { heartbeatMs: 3_600_000 },
    },
    env: {},
    logger: silentLogger(),
  });
  const gateway = await serveGateway({ seamless: app, host: '127.0.0.1', port: 0 });
  console.log(`url ${gateway.url.replace(/^http/, 'ws')}/v1/stream?universe=all&interval=1m&batch=true`);
}

interface Kline { readonly s: string; readonly k: { t: number; o: string; h: string; l: string; c: string; v: string; x: boolean } }

async function minimal(feedUrl: string): Promise<void> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const feed = new WebSocket(`${feedUrl}/ws`);
  const arrowClients = new WeakSet<WebSocket>();
  wss.on('connection', (client, req) => { if (req.url?.includes('encoding=arrow') === true) arrowClients.add(client); });
  let pending: Buffer[] = [];
  let rows: { node: string; values: number[] }[] = [];
  const flush = (): void => {
    const parts = pending;
    const bars = rows;
    pending = [];
    rows = [];
    let text: Buffer | undefined;
    let binary: Uint8Array | undefined;
    for (const client of wss.clients) {
      if (arrowClients.has(client)) client.send((binary ??= arrowFrame(bars)), { binary: true });
      else client.send((text ??= parts.length === 1 ? parts[0] : Buffer.concat([Buffer.from('{"type":"batch","messages":['), ...parts.flatMap((p, i) => (i === 0 ? [p] : [Buffer.from(','), p])), Buffer.from(']}')])), { binary: false });
    }
  };
  feed.on('message', (data) => {
    const e = JSON.parse(String(data)) as Partial<Kline>;
    if (e.k === undefined || e.s === undefined || !e.k.x) return;
    const k = e.k;
    const node = `ohlcv:binance:${e.s.slice(0, -4)}/USDT`;
    const text = `{"type":"bars","node":${JSON.stringify(node)},"interval":"1m","phase":"live","final":true,"data":{"ts":[${k.t}],"open":[${Number(k.o)}],"high":[${Number(k.h)}],"low":[${Number(k.l)}],"close":[${Number(k.c)}],"volume":[${Number(k.v)}]},"resume":"${Buffer.from(JSON.stringify({ v: 1, p: [[node, 60_000, k.t]] })).toString('base64url')}"}`;
    if (pending.length === 0) setImmediate(flush);
    pending.push(Buffer.from(text));
    rows.push({ node, values: [k.t, Number(k.o), Number(k.h), Number(k.l), Number(k.c), Number(k.v)] });
  });
  await new Promise<void>((resolve, reject) => {
    feed.once('open', resolve);
    feed.once('error', reject);
  });
  const addr = wss.address();
  console.log(`url ws://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}/`);
}

/** A turn's bars as an Arrow IPC stream, through apache-arrow's public builders and writer. */
function arrowFrame(bars: readonly { node: string; values: number[] }[]): Uint8Array {
  const n = bars.length;
  const nodeType = new A.Dictionary(new A.Utf8(), new A.Int32());
  const fields: A.Field[] = [new A.Field('node', nodeType, false), new A.Field('ts', new A.TimestampMillisecond('UTC'), false)];
  for (const name of ['open', 'high', 'low', 'close', 'volume']) fields.push(new A.Field(name, new A.Float64(), false));
  fields.push(new A.Field('final', new A.Bool(), false));
  const schema = new A.Schema(fields, new Map([['seamless.schema', 'ohlcv'], ['seamless.interval', '1m'], ['seamless.phase', 'live']]));
  const ts = new BigInt64Array(n);
  const cols = Array.from({ length: 5 }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    ts[i] = BigInt(bars[i].values[0]);
    for (let c = 0; c < 5; c++) cols[c][i] = bars[i].values[c + 1];
  }
  const children: A.Data[] = [
    A.vectorFromArray(bars.map((b) => b.node), nodeType).data[0],
    A.makeData({ type: new A.TimestampMillisecond('UTC'), length: n, nullCount: 0, data: ts }),
    ...cols.map((data) => A.makeData({ type: new A.Float64(), length: n, nullCount: 0, data })),
    A.makeData({ type: new A.Bool(), length: n, nullCount: 0, data: new Uint8Array(Math.ceil(n / 8)).fill(0xff) }),
  ];
  const batch = new A.RecordBatch(schema, A.makeData({ type: new A.Struct(fields), length: n, nullCount: 0, children }));
  return A.tableToIPC(new A.Table([batch]), 'stream');
}

await (mode === 'minimal' ? minimal(args[0]) : seamless(args[0], args[1], Number(args[2])));
