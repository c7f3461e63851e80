/**
 * Calls to the gateway's API from the page: the key (if any) as `Authorization: Bearer`, JSON
 * answers parsed, a 401/403 turned into `KeyRefusedError` (and reported once to `onRefused`,
 * which shows the message and the key form), any other refusal into `ApiError` with the
 * gateway's code and message. Same origin only: the page is served by the gateway it asks.
 */
import { ApiError, KeyRefusedError } from './errors.js';
import type { KeyStore } from './key-store.js';

export type Query = Readonly<Record<string, string | number | undefined>>;

export interface Api {
  /**
   * GET `path` with `query`, the JSON answer. `optional`: a 401/403 is thrown to the caller only,
   * not reported to the page (a panel part that needs more than scope read, e.g. /v1/upstreams).
   */
  get<T>(path: string, query?: Query, options?: { readonly optional?: boolean }): Promise<T>;
  /** GET `path` as text (e.g. /metrics). */
  text(path: string): Promise<string>;
  /** POST a JSON body, the JSON answer. */
  post<T>(path: string, body: unknown): Promise<T>;
  /** GET `path` for a streamed body (Server-Sent Events): the response once its status is 200. */
  open(path: string, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<Response>;
}

interface ErrorBody { error?: { code?: string; message?: string } }

export function url(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return qs === '' ? path : `${path}?${qs}`;
}

export function createApi(keys: KeyStore, onRefused: (error: KeyRefusedError) => void): Api {
  const headers = (extra: Readonly<Record<string, string>> = {}): Record<string, string> => {
    const key = keys.get();
    return key === undefined ? { ...extra } : { ...extra, authorization: `Bearer ${key}` };
  };
  async function checked(path: string, res: Response, report = true): Promise<Response> {
    if (res.ok) return res;
    let body: ErrorBody = {};
    try {
      body = await res.json() as ErrorBody;
    } catch {
      body = { error: { code: 'unknown', message: res.statusText } };
    }
    const message = body.error?.message ?? res.statusText;
    if (res.status === 401 || res.status === 403) {
      const refused = new KeyRefusedError(res.status, keys.get() !== undefined, message);
      if (report) onRefused(refused);
      throw refused;
    }
    throw new ApiError(res.status, body.error?.code ?? 'unknown', message, path);
  }
  return {
    async get<T>(path: string, query: Query = {}, options: { readonly optional?: boolean } = {}): Promise<T> {
      const res = await checked(path, await fetch(url(path, query), { headers: headers({ accept: 'application/json' }) }), options.optional !== true);
      return await res.json() as T;
    },
    async text(path: string): Promise<string> {
      const res = await checked(path, await fetch(path, { headers: headers() }));
      return await res.text();
    },
    async post<T>(path: string, body: unknown): Promise<T> {
      const res = await checked(path, await fetch(path, { method: 'POST', headers: headers({ 'content-type': 'application/json' }), body: JSON.stringify(body) }));
      return await res.json() as T;
    },
    async open(path: string, extra: Readonly<Record<string, string>>, signal: AbortSignal): Promise<Response> {
      return await checked(path, await fetch(path, { headers: headers(extra), signal, cache: 'no-store' }));
    },
  };
}
