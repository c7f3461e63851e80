/**
 * A local HTTP server that answers like Binance's spot REST API for the endpoints ccxt's
 * `fetchOHLCV` and health probes use — `/api/v3/exchangeInfo`, `/api/v3/klines`,
 * `/api/v3/time`, `/api/v3/ping` — from the fixtures in test/fixtures/exchange/binance/. It
 * stands in for the internet (which tests do not have): point the real ccxt client at it with
 * `urls: { public: server.apiUrl }`.
 *
 * Klines behave as Binance's do: `symbol` and `interval` are required; with `startTime` the
 * earliest `limit` bars (default 500, at most 1000) with open time ≥ startTime (and ≤ endTime)
 * come back, without it the latest; the bar containing the server's "now" is returned still
 * building; nothing after "now" exists. 1m bars come from the fixture, longer intervals are
 * aggregated from them. A symbol listed in exchangeInfo without a recording answers 400
 * `{"code":-1121,"msg":"Invalid symbol."}`.
 *
 * Tests script faults per path (`script('/api/v3/klines', response, times)`: the next `times`
 * requests get that answer instead — a 429 with Retry-After, a 502 page, a 400), and read the
 * request log (`requests`, with high-resolution arrival times) to measure rates. `withhold(range)`
 * leaves the recorded bars opening in a range out of every answer (an exchange that lost them,
 * like Binance's missing hour of 1m candles, ccxt issue 8068) until `withhold(undefined)`
 * publishes them again.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';

const FIXTURES = new URL('../fixtures/exchange/binance/', import.meta.url);
const MINUTE = 60_000;

type KlineRow = [number, string, string, string, string, string, number, string, number, string, string, string];

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as T;
}

/** The answers in error-responses.json, by name. */
export interface ScriptedResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** An object or array is sent as JSON; a string as it is. */
  readonly body: unknown;
}

export const RECORDED_ERRORS = fixture<Record<'tooManyRequests' | 'invalidSymbol' | 'badGateway' | 'serviceUnavailable', ScriptedResponse>>('error-responses.json');

const BTCUSDT_ROWS = fixture<KlineRow[]>('klines-BTCUSDT-1m.json');

/** What the BTCUSDT 1m recording holds. */
export const BTCUSDT_1M = Object.freeze({
  /** Open time of the first bar (2024-03-04T00:00Z). */
  first: BTCUSDT_ROWS[0][0],
  /** Open time of the last bar, still building when recorded (06:00Z). */
  building: BTCUSDT_ROWS[BTCUSDT_ROWS.length - 1][0],
  /** When the recording was made (06:00:41.318Z): the server's default "now". */
  recordedAt: 1709532041318,
  /** A trading halt: no bars in [02:13, 02:30). */
  halt: Object.freeze({ start: Date.UTC(2024, 2, 4, 2, 13), end: Date.UTC(2024, 2, 4, 2, 30) }),
  rows: BTCUSDT_ROWS.length,
  /** Open times of every bar. */
  openTimes: Object.freeze(BTCUSDT_ROWS.map((r) => r[0])),
});

const RECORDINGS: Readonly<Record<string, readonly KlineRow[]>> = { BTCUSDT: BTCUSDT_ROWS };
const INTERVAL_MS: Readonly<Record<string, number>> = {
  '1m': MINUTE, '3m': 3 * MINUTE, '5m': 5 * MINUTE, '15m': 15 * MINUTE, '30m': 30 * MINUTE,
  '1h': 60 * MINUTE, '2h': 120 * MINUTE, '4h': 240 * MINUTE, '6h': 360 * MINUTE, '8h': 480 * MINUTE, '12h': 720 * MINUTE, '1d': 1440 * MINUTE,
};

export interface LoggedRequest {
  /** Arrival time, epoch ms with sub-millisecond resolution. */
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  status: number;
}

export interface FakeExchange {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** The `urls.api.public` of ccxt's binance: `${url}/api/v3`. */
  readonly apiUrl: string;
  readonly requests: LoggedRequest[];
  /** Requests to one path (e.g. `/api/v3/klines`). */
  requestsTo(path: string): LoggedRequest[];
  /** The server's "now": bars opening after it do not exist yet; the one containing it is building. */
  setNow(ms: number): void;
  /** Bars opening in [start, end) are left out of answers (lost upstream) until called with undefined. */
  withhold(range: { readonly start: number; readonly end: number } | undefined): void;
  /** The next `times` requests to `path` get `response` instead of the normal answer. */
  script(path: string, response: ScriptedResponse, times?: number): void;
  /** Scripted answers not used yet, per path. */
  pendingScripts(path: string): number;
  close(): Promise<void>;
}

export interface FakeExchangeOptions {
  /** The server's "now" (default BTCUSDT_1M.recordedAt). */
  readonly now?: number;
  /** Added to every answer, ms (a realistic round trip). */
  readonly latencyMs?: number;
}

export async function startFakeExchange(options: FakeExchangeOptions = {}): Promise<FakeExchange> {
  let now = options.now ?? BTCUSDT_1M.recordedAt;
  let withheld: { readonly start: number; readonly end: number } | undefined;
  const scripts = new Map<string, ScriptedResponse[]>();
  const requests: LoggedRequest[] = [];
  const exchangeInfo = fixture<Record<string, unknown>>('exchangeInfo.json');

  function answer(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake-exchange');
    const query = Object.fromEntries(url.searchParams.entries());
    const logged: LoggedRequest = { at: performance.timeOrigin + performance.now(), method: req.method ?? 'GET', path: url.pathname, query, status: 0 };
    requests.push(logged);
    const scripted = scripts.get(url.pathname)?.shift();
    const reply = scripted ?? route(url.pathname, query);
    logged.status = reply.status;
    const send = (): void => {
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      const headers: Record<string, string> = { 'content-type': 'application/json;charset=UTF-8' };
      for (const [k, v] of Object.entries(reply.headers ?? {})) headers[k.toLowerCase()] = v;
      res.writeHead(reply.status, headers);
      res.end(text);
    };
    if (options.latencyMs !== undefined && options.latencyMs > 0) setTimeout(send, options.latencyMs);
    else send();
  }

  function route(path: string, q: Record<string, string>): ScriptedResponse {
    switch (path) {
      case '/api/v3/ping': return { status: 200, body: {} };
      case '/api/v3/time': return { status: 200, body: { serverTime: Math.floor(now) } };
      case '/api/v3/exchangeInfo': return { status: 200, body: { ...exchangeInfo, serverTime: Math.floor(now) } };
      case '/api/v3/klines': return klines(q, now, withheld);
      default: return { status: 404, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>404 Not Found</h1></body></html>' };
    }
  }

  const server: Server = createServer(answer);
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    apiUrl: `${url}/api/v3`,
    requests,
    requestsTo: (path) => requests.filter((r) => r.path === path),
    setNow: (ms) => { now = ms; },
    withhold: (range) => { withheld = range; },
    script(path, response, times = 1) {
      const queue = scripts.get(path) ?? [];
      for (let i = 0; i < times; i++) queue.push(response);
      scripts.set(path, queue);
    },
    pendingScripts: (path) => scripts.get(path)?.length ?? 0,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function error(status: number, code: number, msg: string): ScriptedResponse {
  return { status, body: { code, msg } };
}

function klines(q: Record<string, string>, now: number, withheld: { readonly start: number; readonly end: number } | undefined): ScriptedResponse {
  if (q.symbol === undefined || q.symbol === '') return error(400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
  if (q.interval === undefined) return error(400, -1102, "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.");
  const intervalMs = INTERVAL_MS[q.interval];
  if (intervalMs === undefined) return error(400, -1120, 'Invalid interval.');
  const recording = RECORDINGS[q.symbol];
  if (recording === undefined) return error(400, -1121, 'Invalid symbol.');
  const limit = Math.min(1000, q.limit === undefined ? 500 : Number(q.limit));
  if (!Number.isInteger(limit) || limit < 1) return error(400, -1100, "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'.");
  const start = q.startTime === undefined ? undefined : Number(q.startTime);
  const end = q.endTime === undefined ? undefined : Number(q.endTime);
  const bars = (intervalMs === MINUTE ? recording : aggregate(recording, intervalMs))
    .filter((r) => r[0] <= now && (start === undefined || r[0] >= start) && (end === undefined || r[0] <= end))
    .filter((r) => withheld === undefined || r[0] < withheld.start || r[0] >= withheld.end);
  return { status: 200, body: start === undefined ? bars.slice(-limit) : bars.slice(0, limit) };
}

/** Bars of a longer interval from 1m bars (open of the first, extremes, close of the last, sums). */
function aggregate(rows: readonly KlineRow[], intervalMs: number): KlineRow[] {
  const out: KlineRow[] = [];
  for (const r of rows) {
    const open = r[0] - (r[0] % intervalMs);
    const last = out.length > 0 ? out[out.length - 1] : undefined;
    if (last === undefined || last[0] !== open) {
      out.push([open, r[1], r[2], r[3], r[4], r[5], open + intervalMs - 1, r[7], r[8], r[9], r[10], '0']);
      continue;
    }
    const sum = (a: string, b: string): string => (Number(a) + Number(b)).toFixed(8);
    last[2] = Number(r[2]) > Number(last[2]) ? r[2] : last[2];
    last[3] = Number(r[3]) < Number(last[3]) ? r[3] : last[3];
    last[4] = r[4];
    last[5] = sum(last[5], r[5]);
    last[7] = sum(last[7], r[7]);
    last[8] += r[8];
    last[9] = sum(last[9], r[9]);
    last[10] = sum(last[10], r[10]);
  }
  return out;
}
