/**
 * A local WebSocket server standing in for an exchange's stream: records connections and the
 * messages clients send, answers subscribe requests, pushes whatever a test hands it, and can
 * drop every connection (as a network fault would) to exercise reconnects and gap recovery.
 * Speaks Binance's kline stream format through `binanceKline` (what ccxt pro's binance parses).
 */
import { WebSocketServer } from 'ws';
import type { SeamlessConfigInput } from '../../src/config/index.js';
import type { WebSocket } from 'ws';

export interface LiveWsServer {
  /** `ws://127.0.0.1:<port>` (append a path: the server accepts any). */
  readonly url: string;
  /** Accept times (Date.now()) of every connection so far, and the path each asked for. */
  readonly connections: readonly { readonly at: number; readonly path: string }[];
  /** Text messages received from clients, in order. */
  readonly received: readonly string[];
  /** How many sockets are open now. */
  readonly open: number;
  /** Sends to every open socket (objects as JSON). */
  send(message: unknown): void;
  /** Terminates every open socket without a close handshake. */
  dropAll(): void;
  /** Refuses new connections (accepts and terminates them at once) until called with false. */
  refuse(on: boolean): void;
  close(): Promise<void>;
}

export interface LiveWsServerOptions {
  /** Answer each text message with `{result: null, id}` (Binance's subscribe ack). Default true. */
  readonly ack?: boolean;
}

export async function startLiveWsServer(options: LiveWsServerOptions = {}): Promise<LiveWsServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const address = wss.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const sockets = new Set<WebSocket>();
  const connections: { at: number; path: string }[] = [];
  const received: string[] = [];
  let refusing = false;
  wss.on('connection', (socket, request) => {
    connections.push({ at: Date.now(), path: request.url ?? '/' });
    if (refusing) {
      socket.terminate();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
    socket.on('message', (data) => {
      const text = data.toString();
      received.push(text);
      if (options.ack ?? true) {
        let id: unknown = null;
        try {
          const parsed: unknown = JSON.parse(text);
          if (parsed !== null && typeof parsed === 'object' && 'id' in parsed) id = parsed.id;
        } catch {
          id = null; // not JSON: acknowledge without an id
        }
        socket.send(JSON.stringify({ result: null, id }));
      }
    });
  });
  return {
    url: `ws://127.0.0.1:${port}`,
    connections,
    received,
    get open() { return sockets.size; },
    send(message) {
      const text = typeof message === 'string' ? message : JSON.stringify(message);
      for (const s of sockets) s.send(text);
    },
    dropAll() {
      for (const s of sockets) s.terminate();
      sockets.clear();
    },
    refuse(on) { refusing = on; },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.terminate();
      wss.close(() => resolve());
    }),
  };
}

/** A Binance kline stream event (`<symbol>@kline_<interval>`), values as decimal strings like Binance sends them. */
export function binanceKline(symbol: string, interval: string, intervalMs: number, ts: number, ohlcv: readonly number[], closed: boolean): Record<string, unknown> {
  const [o, h, l, c, v] = ohlcv;
  return {
    e: 'kline', E: ts + intervalMs - 1, s: symbol,
    k: {
      t: ts, T: ts + intervalMs - 1, s: symbol, i: interval, f: 100, L: 200,
      o: String(o), c: String(c), h: String(h), l: String(l), v: String(v), n: 10, x: closed, q: '0', V: '0', Q: '0', B: '0',
    },
  };
}

/** A deterministic OHLCV row for bar `ts` (so a test can tell which source a stored bar came from). */
export function liveBar(ts: number, base = 1_000): number[] {
  const k = (ts / 60_000) % 997;
  const open = base + k;
  const close = open + 0.5;
  return [open, close + 1, open - 1, close, 10 + k];
}

/** The `websocket` live feed configuration (live.feeds.<name>) for this server's Binance kline stream. */
/** One entry of `live.feeds` as a configuration input. */
type LiveFeedInput = NonNullable<NonNullable<SeamlessConfigInput['live']>['feeds']>[string];

export function binanceKlineFeedConfig(serverUrl: string): LiveFeedInput {
  return {
    kind: 'websocket',
    url: `${serverUrl}/ws`,
    subscribe: '{"method":"SUBSCRIBE","params":["{symbol_lower}@kline_{interval}"],"id":{id}}',
    mapping: {
      match: { 'e': 'kline', 's': '{symbol}', 'k.i': '{interval}' },
      bar: 'k',
      fields: { ts: 't', open: 'o', high: 'h', low: 'l', close: 'c', volume: 'v' },
      closed: 'x',
    },
    reconnect: { initialDelayMs: 50, maxDelayMs: 400 },
  };
}
