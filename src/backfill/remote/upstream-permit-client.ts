/**
 * The upstream budgets of a `seamless worker` (or a gateway pointed at a coordinator URL): a
 * PermitAuthority that asks the coordinator service, so every worker of the cluster shares one
 * budget per upstream with the coordinator's own fetches. Routes (gateway upstream-routes.ts):
 *
 *   POST /v1/upstreams/:name/permits {requests_per_second, burst, wait_ms} → {granted, wait_ms}
 *        (the coordinator waits up to wait_ms for a permit before answering "not yet")
 *   POST /v1/upstreams/:name/pause   {requests_per_second, burst, pause_ms} → {paused_until_ms, now_ms}
 *   GET  /v1/upstreams/:name         → {tat_ms, paused_until_ms, now_ms}
 *
 * Failures are translated here: an unreachable or failing coordinator (network error, timeout,
 * 5xx) is a retryable UpstreamUnavailableError on upstream `coordinator`; 401/403/400 become
 * our auth and request errors; an abort is AbortedError.
 */
import {
  AbortedError, InvalidRequestError, UnauthorizedError, UpstreamUnavailableError,
} from '../../core/index.js';
import { forbiddenFromReply, parseCoordinatorUrl } from './coordinator-client.js';
import type { SeamlessError } from '../../core/index.js';
import type { BudgetRate, BudgetState, BudgetView, PermitAuthority, PermitDecision } from '../../sources/index.js';

export interface RemotePermitAuthorityOptions {
  /** Deadline of one call, on top of the wait the coordinator is asked to do (default 10 s). */
  readonly timeoutMs?: number;
  /** How long the coordinator may hold a permit request before answering "not yet" (default 5 s). */
  readonly waitMs?: number;
}

export const DEFAULT_PERMIT_WAIT_MS = 5_000;
const DEFAULT_TIMEOUT_MS = 10_000;
const UPSTREAM = 'coordinator';

type Json = Record<string, unknown>;

class RemotePermitAuthority implements PermitAuthority {
  readonly kind = 'coordinator';
  /** The coordinator holds each permit request until its permit is free, first in first out. */
  readonly queuesWaiters = true;
  readonly #base: URL;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #waitMs: number;

  constructor(base: URL, key: string | undefined, options: RemotePermitAuthorityOptions) {
    this.#base = base;
    // Built once: every call sends the same headers.
    this.#headers = { accept: 'application/json', 'content-type': 'application/json' };
    if (key !== undefined && key !== '') this.#headers.authorization = `Bearer ${key}`;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#waitMs = options.waitMs ?? DEFAULT_PERMIT_WAIT_MS;
  }

  async tryAcquire(upstream: string, rate: BudgetRate, signal?: AbortSignal): Promise<PermitDecision> {
    const body = await this.#call('POST', `${path(upstream)}/permits`, { ...rateBody(rate), wait_ms: this.#waitMs }, this.#waitMs + this.#timeoutMs, signal);
    if (body.granted === true) return { granted: true, waitMs: 0 };
    return { granted: false, waitMs: typeof body.wait_ms === 'number' && body.wait_ms > 0 ? body.wait_ms : 0 };
  }

  async pause(upstream: string, rate: BudgetRate, pauseMs: number): Promise<number> {
    const body = await this.#call('POST', `${path(upstream)}/pause`, { ...rateBody(rate), pause_ms: Math.max(0, Math.ceil(pauseMs)) }, this.#timeoutMs);
    return numberField(body, 'paused_until_ms');
  }

  async view(upstream: string): Promise<BudgetView> {
    const body = await this.#call('GET', path(upstream), undefined, this.#timeoutMs);
    const state: BudgetState | undefined = typeof body.tat_ms === 'number' && typeof body.paused_until_ms === 'number'
      ? { tatMs: body.tat_ms, pausedUntilMs: body.paused_until_ms }
      : undefined;
    return { state, nowMs: numberField(body, 'now_ms') };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  async #call(method: 'GET' | 'POST', route: string, body: Json | undefined, deadlineMs: number, signal?: AbortSignal): Promise<Json> {
    const target = new URL(route, this.#base);
    const timeout = AbortSignal.timeout(deadlineMs);
    let res: Response;
    try {
      res = await fetch(target, {
        method,
        headers: this.#headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if (signal?.aborted === true) throw new AbortedError(signal.reason);
      const why = timeout.aborted ? `no answer within ${deadlineMs} ms` : `cannot reach it: ${reachability(error)}`;
      throw new UpstreamUnavailableError(UPSTREAM, `upstream permits at ${this.#base.origin}: ${why}`, { retryable: true, cause: error });
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) throw errorFromReply(res.status, text, this.#base.origin, target.pathname);
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Json;
    } catch (cause) {
      throw new UpstreamUnavailableError(UPSTREAM, `${target.pathname} answered with a body that is not JSON`, { retryable: true, cause });
    }
    throw new UpstreamUnavailableError(UPSTREAM, `${target.pathname} answered without a JSON object`, { retryable: true });
  }
}

function path(upstream: string): string {
  return `/v1/upstreams/${encodeURIComponent(upstream)}`;
}

function rateBody(rate: BudgetRate): Json {
  return { requests_per_second: rate.requestsPerSecond, burst: rate.burst };
}

function numberField(body: Json, field: string): number {
  const v = body[field];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new UpstreamUnavailableError(UPSTREAM, `the permits API answered without a valid "${field}"`, { retryable: false });
  return v;
}

function reachability(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

function errorFromReply(status: number, text: string, origin: string, route: string): SeamlessError {
  let message = `HTTP ${status} from ${route}: ${text.slice(0, 200).replace(/\s+/g, ' ')}`;
  let details: Json = {};
  try {
    const e = (JSON.parse(text) as { error?: { message?: unknown; details?: unknown } }).error;
    if (typeof e?.message === 'string') message = e.message;
    if (e?.details !== null && typeof e?.details === 'object') details = e.details as Json;
  } catch {
    // Not our error body (a proxy's page): the status and the start of the text say what happened.
  }
  if (status === 401) return new UnauthorizedError(message);
  if (status === 403) return forbiddenFromReply(message, typeof details.scope === 'string' ? details.scope : 'worker', typeof details.identity === 'string' ? details.identity : 'unknown');
  if (status === 400) {
    const field = typeof details.field === 'string' ? details.field : 'body';
    return new InvalidRequestError(field, message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message, details);
  }
  if (status === 404) {
    return new UpstreamUnavailableError(UPSTREAM, `${origin} serves no upstream permits (${route}): is it a \`seamless coordinator serve\`?`, { retryable: false });
  }
  return new UpstreamUnavailableError(UPSTREAM, message, { retryable: status >= 500 });
}

/**
 * A PermitAuthority asking the coordinator at `url` (`seamless coordinator serve`), with API key
 * `key` (scope `worker`) when the coordinator has keys.
 */
export function createRemotePermitAuthority(url: string, key?: string, options: RemotePermitAuthorityOptions = {}): PermitAuthority {
  return new RemotePermitAuthority(parseCoordinatorUrl(url), key, options);
}
