/**
 * The error catalogue. Every error Seamless raises extends `SeamlessError`, carries one of the
 * stable `ErrorCode`s of ARCHITECTURE.md §1 and the HTTP status it maps to. Codes are never
 * renamed or reused; `docs/errors.md` lists each one and a unit test keeps the two in step.
 * A finer `details.reason` comes from the catalogue of error-reasons.ts.
 */
import type { ErrorDetails } from './error-reasons.js';

export const ERROR_STATUS = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  conformance_blocked: 422,
  domain_policy: 422,
  data_unavailable: 404,
  sla_exceeded: 504,
  upstream_unavailable: 502,
  overloaded: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as readonly ErrorCode[];

export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string; readonly details: ErrorDetails };
}

export abstract class SeamlessError extends Error {
  abstract readonly code: ErrorCode;
  /** Whether retrying the same operation may succeed; retry policies read only this flag. */
  readonly retryable: boolean = false;
  readonly details: ErrorDetails;

  constructor(message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.details = details;
  }

  get httpStatus(): number {
    return ERROR_STATUS[this.code];
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

/** Bad input. `field` names the request field (query parameter, config key, CSV column …). */
export class InvalidRequestError extends SeamlessError {
  readonly code = 'invalid_request';
  constructor(readonly field: string, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(`${field}: ${message}`, { field, ...details }, options);
    this.name = 'InvalidRequestError';
  }
}

export class InvertedRangeError extends SeamlessError {
  readonly code = 'invalid_request';
  constructor(readonly start: number, readonly end: number) {
    super(`end (${end}) must be after start (${start})`, { field: 'end', start, end });
    this.name = 'InvertedRangeError';
  }
}

export class UnauthorizedError extends SeamlessError {
  readonly code = 'unauthorized';
  constructor(message = 'a valid bearer API key is required') {
    super(message);
    this.name = 'UnauthorizedError';
  }
}

export class ForbiddenError extends SeamlessError {
  readonly code = 'forbidden';
  /** `hint`: what to do about it (appended to the message), e.g. the config change that grants the scope. */
  constructor(readonly scope: string, readonly identity: string, hint?: string) {
    super(`key "${identity}" lacks the "${scope}" scope${hint ? `; ${hint}` : ''}`, { scope, identity });
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends SeamlessError {
  readonly code = 'not_found';
  constructor(readonly what: string, readonly id: string, details: ErrorDetails = {}) {
    super(`${what} not found: ${id}`, { what, id, ...details });
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends SeamlessError {
  readonly code = 'conflict';
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details);
    this.name = 'ConflictError';
  }
}

/** A write whose fencing token is older than one storage has already seen for the key. */
export class StaleFencingTokenError extends SeamlessError {
  readonly code = 'conflict';
  constructor(readonly key: string, readonly token: number, readonly newest: number) {
    super(`fencing token ${token} for ${key} is stale (newest is ${newest}); the write was rejected`, { key, token, newest, reason: 'stale_fencing_token' });
    this.name = 'StaleFencingTokenError';
  }
}

export class DataUnavailableError extends SeamlessError {
  readonly code = 'data_unavailable';
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details);
    this.name = 'DataUnavailableError';
  }
}

export class UpstreamUnavailableError extends SeamlessError {
  readonly code = 'upstream_unavailable';
  override readonly retryable: boolean;
  constructor(readonly upstream: string, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(`${upstream}: ${message}`, { upstream }, { cause: options.cause });
    this.retryable = options.retryable ?? true;
    this.name = 'UpstreamUnavailableError';
  }
}

/**
 * An enforced SLA budget ran out (HTTP 504). `phase` is the budget that was exceeded
 * (`storage`, `backfill`, `live`, `total`) or the read check that failed (`freshness`,
 * `coverage`, `sync_gap`: then elapsedMs is the read's elapsed time, budgetMs its total budget or 0,
 * and `details.observed` / `details.limit` say what failed).
 */
export class SeamlessSLAExceeded extends SeamlessError {
  readonly code = 'sla_exceeded';
  constructor(
    readonly phase: string,
    readonly elapsedMs: number,
    readonly budgetMs: number,
    readonly policy: string,
    options: { cause?: unknown; details?: ErrorDetails; message?: string } = {},
  ) {
    super(
      `SLA policy "${policy}": ${options.message ?? `${phase} took ${elapsedMs} ms, over its budget of ${budgetMs} ms`}`,
      { ...options.details, phase, elapsedMs, budgetMs, policy },
      { cause: options.cause },
    );
    this.name = 'SeamlessSLAExceeded';
  }
}

/**
 * The server is at capacity for this kind of work (e.g. the bars of concurrent large reads,
 * `limits.maxInflightReadBars`): refused at once, before any work, and worth retrying after
 * `retryAfterSeconds` (the gateway sends it as `Retry-After`). `details.reason` says which limit.
 */
export class OverloadedError extends SeamlessError {
  readonly code = 'overloaded';
  override readonly retryable = true;
  constructor(message: string, readonly retryAfterSeconds: number, details: ErrorDetails = {}) {
    super(message, { ...details, retryAfterSeconds });
    this.name = 'OverloadedError';
  }
}

export class InternalError extends SeamlessError {
  readonly code = 'internal';
  constructor(message: string, options?: { cause?: unknown; details?: ErrorDetails }) {
    super(message, options?.details ?? {}, { cause: options?.cause });
    this.name = 'InternalError';
  }
}

/** Raised when a wait is abandoned because its AbortSignal fired. */
export class AbortedError extends SeamlessError {
  readonly code = 'internal';
  constructor(readonly reason: unknown) {
    super('operation aborted', {}, { cause: reason });
    this.name = 'AbortedError';
  }
}

export function isSeamlessError(value: unknown): value is SeamlessError {
  return value instanceof SeamlessError;
}

/** Wraps anything thrown into a SeamlessError, keeping the original as `cause`. */
export function toSeamlessError(value: unknown): SeamlessError {
  if (value instanceof SeamlessError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new InternalError(message, { cause: value });
}
