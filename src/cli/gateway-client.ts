/**
 * The CLI's HTTP client for `--url`: a running gateway's JSON API with a bearer key. Error
 * replies come back as GatewayErrors carrying the gateway's code, so a remote failure prints
 * exactly like a local one.
 */
import { InvalidRequestError, UpstreamUnavailableError } from '../core/index.js';
import { GatewayError } from './errors.js';

export interface EventStreamHandle {
  close(): void;
  /** Why the stream broke before close(), if it did. */
  failure(): unknown;
}

export type QueryValues = Readonly<Record<string, string | undefined>>;

export interface GatewayClient {
  readonly baseUrl: string;
  getJson<T>(path: string, query?: QueryValues): Promise<T>;
  getText(path: string, query?: QueryValues): Promise<string>;
  /** The answer's bytes (a Parquet download). */
  getBytes(path: string, query?: QueryValues): Promise<Uint8Array>;
  postJson<T>(path: string, body: unknown): Promise<T>;
  deleteJson<T>(path: string, query?: QueryValues): Promise<T>;
  /** POST a JSON body, the answer as text (a universe read's JSON or CSV). */
  postText(path: string, body: unknown): Promise<string>;
  /**
   * Follows a Server-Sent Events stream (GET `path`), calling `onData` with each event's `data`.
   * Resolves once the gateway has answered and sent its first bytes (the gateway subscribes
   * before it writes anything, so no event after that is missed); `close()` ends it.
   */
  streamEvents(path: string, onData: (data: string) => void): Promise<EventStreamHandle>;
}

/** The gateway's base URL from `--url`, checked once (the error names `url`). */
export function parseGatewayUrl(url: string): URL {
  let base: URL;
  try {
    base = new URL(url);
  } catch (err) {
    throw new InvalidRequestError('url', `"${url}" is not a URL (e.g. http://127.0.0.1:8080)`, {}, { cause: err });
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new InvalidRequestError('url', `must be http or https, got ${base.protocol}`);
  return base;
}

export function createGatewayClient(url: string, key: string | undefined): GatewayClient {
  const base = parseGatewayUrl(url);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key !== undefined && key !== '') headers.authorization = `Bearer ${key}`;

  function target(path: string, query: QueryValues = {}): URL {
    const u = new URL(path, base);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, v);
    return u;
  }

  async function send(u: URL, init: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(u, { ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) } });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new UpstreamUnavailableError('gateway', `cannot reach ${base.origin}: ${cause?.code ?? cause?.message ?? String(err)}`, { cause: err });
    }
    if (!res.ok) throw await errorOf(res);
    return res;
  }

  return {
    baseUrl: base.origin,
    async getJson<T>(path: string, query?: QueryValues) {
      return (await (await send(target(path, query), { method: 'GET' })).json()) as T;
    },
    async getText(path, query) {
      return (await send(target(path, query), { method: 'GET' })).text();
    },
    async getBytes(path, query) {
      return new Uint8Array(await (await send(target(path, query), { method: 'GET', headers: { accept: '*/*' } })).arrayBuffer());
    },
    async postJson<T>(path: string, body: unknown) {
      const res = await send(target(path), { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      return (await res.json()) as T;
    },
    async deleteJson<T>(path: string, query?: QueryValues) {
      return (await (await send(target(path, query), { method: 'DELETE' })).json()) as T;
    },
    async postText(path: string, body: unknown) {
      return (await send(target(path), { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })).text();
    },
    async streamEvents(path, onData) {
      const controller = new AbortController();
      const res = await send(target(path), { method: 'GET', signal: controller.signal, headers: { accept: 'text/event-stream' } });
      const body = res.body;
      if (body === null) throw new UpstreamUnavailableError('gateway', `${path} answered without a body`);
      const reader = body.pipeThrough(new TextDecoderStream()).getReader();
      const first = await reader.read();
      let buffered = first.value ?? '';
      const flush = (): void => {
        let end = buffered.indexOf('\n\n');
        while (end >= 0) {
          for (const line of buffered.slice(0, end).split('\n')) if (line.startsWith('data: ')) onData(line.slice(6));
          buffered = buffered.slice(end + 2);
          end = buffered.indexOf('\n\n');
        }
      };
      flush();
      const pump = async (): Promise<void> => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          buffered += value;
          flush();
        }
      };
      // Ends when close() aborts the request, or with the stream; a broken stream is kept as its
      // failure for the caller to report (events after it were missed).
      let failure: unknown;
      if (!first.done) {
        void pump().catch((err: unknown) => {
          if (!controller.signal.aborted) failure = err;
        });
      }
      return {
        close() { controller.abort(); },
        failure() { return failure; },
      };
    },
  };
}

async function errorOf(res: Response): Promise<GatewayError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    const e = body.error;
    if (e && typeof e.code === 'string' && typeof e.message === 'string') {
      const details = e.details !== null && typeof e.details === 'object' ? (e.details as Record<string, unknown>) : {};
      return new GatewayError(e.code, e.message, res.status, details);
    }
  } catch {
    // Not a JSON error body (a proxy's page?): report the status and the start of the text below.
  }
  const code = res.status === 401 ? 'unauthorized' : res.status === 403 ? 'forbidden' : res.status === 404 ? 'not_found' : res.status < 500 ? 'invalid_request' : 'internal';
  return new GatewayError(code, `HTTP ${res.status} from ${res.url}: ${text.slice(0, 200).replace(/\s+/g, ' ')}`, res.status);
}
