/**
 * The HTTP client of a coordinator service, for `seamless worker` processes: the lease wire
 * protocol (snake_case fields) plus `POST /v1/shards/next` (long-poll) and `POST /v1/shards/rows`
 * (the Arrow upload of shard-upload-codec.ts). Every answer is translated here, in one place:
 * 409 becomes StaleLeaseError or StaleFencingTokenError (by the reply's `details.reason`), an
 * unreachable or failing coordinator (network error, timeout, 5xx) a retryable
 * UpstreamUnavailableError on upstream `coordinator`, an aborted call AbortedError.
 */
import {
  AbortedError, ConflictError, ForbiddenError, InvalidRequestError, NotFoundError, StaleFencingTokenError,
  UnauthorizedError, UpstreamUnavailableError,
} from '../../core/index.js';
import type { ShardTrace } from '../shard-span.js';
import type { ShardPriority } from '../coordinator.js';
import type { SeamlessError } from '../../core/index.js';
import { StaleLeaseError } from '../errors.js';
import { parseLeaseToken } from '../lease-token.js';
import type { RemoteLease, WorkerCoordinator } from './remote-worker.js';
import { SHARD_UPLOAD_CONTENT_TYPE, encodeShardUpload } from './shard-upload-codec.js';

export interface CoordinatorClient extends WorkerCoordinator {
  /** e.g. http://127.0.0.1:8080 */
  readonly baseUrl: string;
  /** `POST /v1/jobs`: the job's progress body as the coordinator answers it. */
  createJob(job: { readonly node: string; readonly interval: number; readonly start: number; readonly end: number; readonly priority?: ShardPriority }): Promise<Json>;
  /** `GET /v1/jobs/:id`. */
  job(id: string): Promise<Json>;
  /** `GET /healthz`: throws when the coordinator does not answer or reports a failing check. */
  health(): Promise<Json>;
}

export interface CoordinatorClientOptions {
  /** Deadline of one call (a long-poll gets its wait on top). */
  readonly timeoutMs?: number;
  /** Deadline of one upload. */
  readonly uploadTimeoutMs?: number;
}

export const DEFAULT_COORDINATOR_TIMEOUT_MS = 10_000;
export const DEFAULT_UPLOAD_TIMEOUT_MS = 120_000;

const UPSTREAM = 'coordinator';

type Json = Record<string, unknown>;
type Body = { readonly json: Json } | { readonly bytes: Uint8Array };

/** A coordinator service's base URL, checked once (errors name `coordinator`). */
export function parseCoordinatorUrl(url: string): URL {
  let base: URL;
  try {
    base = new URL(url);
  } catch (cause) {
    throw new InvalidRequestError('coordinator', `"${url}" is not a URL (e.g. http://127.0.0.1:8080)`, {}, { cause });
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new InvalidRequestError('coordinator', `must be http or https, got ${base.protocol}`);
  return base;
}

export function createCoordinatorClient(url: string, key?: string, options: CoordinatorClientOptions = {}): CoordinatorClient {
  const base = parseCoordinatorUrl(url);
  const timeoutMs = options.timeoutMs ?? DEFAULT_COORDINATOR_TIMEOUT_MS;
  const uploadTimeoutMs = options.uploadTimeoutMs ?? DEFAULT_UPLOAD_TIMEOUT_MS;
  // Built once: every call sends the same accept and authorization headers.
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key !== undefined && key !== '') headers.authorization = `Bearer ${key}`;

  async function call(path: string, body: Body | undefined, lease: { key: string; token: number } | undefined, deadlineMs: number, signal?: AbortSignal): Promise<Response> {
    const target = new URL(path, base);
    const timeout = AbortSignal.timeout(deadlineMs);
    const init: RequestInit = body === undefined
      ? { method: 'GET', headers }
      : 'json' in body
        ? { method: 'POST', body: JSON.stringify(body.json), headers: { ...headers, 'content-type': 'application/json' } }
        : { method: 'POST', body: body.bytes, headers: { ...headers, 'content-type': SHARD_UPLOAD_CONTENT_TYPE } };
    let res: Response;
    try {
      res = await fetch(target, { ...init, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (error) {
      if (signal?.aborted) throw new AbortedError(signal.reason);
      if (timeout.aborted) throw new UpstreamUnavailableError(UPSTREAM, `no answer from ${base.origin} within ${deadlineMs} ms (${target.pathname})`, { retryable: true, cause: error });
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new UpstreamUnavailableError(UPSTREAM, `cannot reach ${base.origin}: ${cause?.code ?? cause?.message ?? String(error)}`, { retryable: true, cause: error });
    }
    if (!res.ok) throw errorFromReply(res.status, await res.text().catch(() => ''), target.pathname, lease);
    return res;
  }

  async function json(path: string, body: Json, lease: { key: string; token: number } | undefined): Promise<Json> {
    return readJson(await call(path, { json: body }, lease, timeoutMs), path);
  }

  return {
    baseUrl: base.origin,

    async createJob(job) {
      return objectField(await json('/v1/jobs', { ...job }, undefined), 'job', '/v1/jobs');
    },

    async job(id) {
      const path = `/v1/jobs/${encodeURIComponent(id)}`;
      return objectField(await readJson(await call(path, undefined, undefined, timeoutMs), path), 'job', path);
    },

    async health() {
      return readJson(await call('/healthz', undefined, undefined, timeoutMs), '/healthz');
    },

    async nextShard(worker, leaseMs, waitMs, signal) {
      const res = await call('/v1/shards/next', { json: { worker, lease_ms: leaseMs, wait_ms: waitMs } }, undefined, waitMs + timeoutMs, signal);
      if (res.status === 204) return undefined;
      const body = await readJson(res, '/v1/shards/next');
      const shard = objectField(body, 'shard', '/v1/shards/next');
      const lease = objectField(body, 'lease', '/v1/shards/next');
      const out: RemoteLease = {
        key: stringField(lease, 'key', '/v1/shards/next'),
        token: tokenField(lease, '/v1/shards/next'),
        leaseUntil: numberField(lease, 'lease_until_ms', '/v1/shards/next'),
        shard: {
          key: stringField(shard, 'key', '/v1/shards/next'),
          nodeId: stringField(shard, 'node', '/v1/shards/next'),
          intervalMs: numberField(shard, 'interval_ms', '/v1/shards/next'),
          start: numberField(shard, 'start', '/v1/shards/next'),
          end: numberField(shard, 'end', '/v1/shards/next'),
        },
        ...traceOf(body),
      };
      return out;
    },

    async heartbeat(key, token, leaseMs) {
      const body = await json('/v1/leases/heartbeat', { key, token, lease_ms: leaseMs }, { key, token });
      return { leaseUntil: numberField(body, 'lease_until_ms', '/v1/leases/heartbeat') };
    },

    async complete(key, token, result) {
      const e = result?.evidence;
      const evidence = e ? { evidence: { source: e.source, start: e.start, end: e.end, checked_at_ms: e.checkedAt } } : {};
      const body = await json('/v1/leases/complete', { key, token, ...(result ? { rows_written: result.rowsWritten, state: result.state, ...evidence } : {}) }, { key, token });
      return { completionRatio: numberField(body, 'completion_ratio', '/v1/leases/complete') };
    },

    async fail(key, token, reason, retryable) {
      const body = await json('/v1/leases/fail', { key, token, reason, retryable }, { key, token });
      return { completionRatio: numberField(body, 'completion_ratio', '/v1/leases/fail') };
    },

    async writeShard(key, token, upload) {
      const path = `/v1/shards/rows?${new URLSearchParams({ key, token: String(token) }).toString()}`;
      const res = await call(path, { bytes: encodeShardUpload(upload) }, { key, token }, uploadTimeoutMs);
      const body = await readJson(res, '/v1/shards/rows');
      return { rowsWritten: numberField(body, 'rows_written', '/v1/shards/rows') };
    },
  };
}

/** The one translation of a coordinator's error reply into our errors. */
function errorFromReply(status: number, text: string, path: string, lease: { key: string; token: number } | undefined): SeamlessError {
  let code = '';
  let message = `HTTP ${status} from ${path}: ${text.slice(0, 200).replace(/\s+/g, ' ')}`;
  let details: Json = {};
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    const e = parsed.error;
    if (e && typeof e.code === 'string' && typeof e.message === 'string') {
      code = e.code;
      message = e.message;
      if (e.details !== null && typeof e.details === 'object') details = e.details as Json;
    }
  } catch {
    // Not our error body (a proxy's page): the status and the start of the text say what happened.
  }
  const num = (k: string): number => (typeof details[k] === 'number' ? details[k] : 0);
  const str = (k: string, fallback: string): string => (typeof details[k] === 'string' ? details[k] : fallback);
  if (status === 409) {
    const key = str('key', lease?.key ?? '');
    const token = typeof details.token === 'number' ? details.token : (lease?.token ?? 0);
    if (details.reason === 'stale_fencing_token') return new StaleFencingTokenError(key, token, num('newest'));
    if (details.reason === 'stale_lease') {
      const holder = typeof details.holder === 'string' ? details.holder : null;
      const leaseUntil = typeof details.lease_until_ms === 'number' ? details.lease_until_ms : null;
      return new StaleLeaseError(key, token, num('current'), str('state', 'unknown'), holder, leaseUntil);
    }
    return new ConflictError(message, details);
  }
  if (status === 400) {
    const field = str('field', 'body');
    return new InvalidRequestError(field, message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message, details);
  }
  if (status === 401) return new UnauthorizedError(message);
  if (status === 403) return forbiddenFromReply(message, str('scope', 'worker'), str('identity', 'unknown'));
  if (status === 404 && code !== '') return new NotFoundError(str('what', 'resource'), str('id', path), details);
  // 5xx (the lease store has no quorum, a proxy cannot reach the service …) may pass; other answers will not.
  return new UpstreamUnavailableError(UPSTREAM, message, { retryable: status >= 500 });
}

/** A 403 as the coordinator said it, with its hint (what to change in which key) kept. */
export function forbiddenFromReply(message: string, scope: string, identity: string): ForbiddenError {
  const plain = new ForbiddenError(scope, identity).message;
  return new ForbiddenError(scope, identity, message.startsWith(`${plain}; `) ? message.slice(plain.length + 2) : undefined);
}

async function readJson(res: Response, path: string): Promise<Json> {
  const parsed: unknown = await res.json().catch((cause: unknown) => {
    throw new UpstreamUnavailableError(UPSTREAM, `${path} answered with a body that is not JSON`, { retryable: true, cause });
  });
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw malformed(path, 'body');
  return parsed as Json;
}

function malformed(path: string, field: string): UpstreamUnavailableError {
  return new UpstreamUnavailableError(UPSTREAM, `${path} answered without a valid "${field}"`, { retryable: false });
}

function objectField(body: Json, field: string, path: string): Json {
  const v = body[field];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw malformed(path, field);
  return v as Json;
}

function numberField(body: Json, field: string, path: string): number {
  const v = body[field];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw malformed(path, field);
  return v;
}

/** A grant's token: a JSON number, or the string a coordinator may answer it as ("7"). */
function tokenField(body: Json, path: string): number {
  const v = body.token;
  const token = typeof v === 'number' || typeof v === 'string' ? parseLeaseToken(v) : undefined;
  if (token === undefined) throw malformed(path, 'token');
  return token;
}

function stringField(body: Json, field: string, path: string): string {
  const v = body[field];
  if (typeof v !== 'string') throw malformed(path, field);
  return v;
}

/** The optional `trace` of a grant: `{job, traceparent}`; anything malformed is ignored (tracing is best effort). */
function traceOf(body: Readonly<Record<string, unknown>>): { trace?: ShardTrace } {
  const t = body.trace;
  if (typeof t !== 'object' || t === null) return {};
  const { job, traceparent } = t as Record<string, unknown>;
  return typeof job === 'string' && typeof traceparent === 'string' ? { trace: { jobId: job, traceparent } } : {};
}
