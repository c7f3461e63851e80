/**
 * Errors of the sources folder. A file import that finds bad input throws one `ImportError`
 * listing every problem found (up to MAX_IMPORT_ISSUES), so the user can fix the file in one go.
 * A failed request to an exchange is an `ExchangeRequestError` with its reason and retryability.
 */
import { InvalidRequestError, SeamlessError } from '../core/index.js';
import type { ErrorReason } from '../core/index.js';

/** How many problems an import collects before it stops reading and throws. */
export const MAX_IMPORT_ISSUES = 100;

/** A problem at a CSV line (1-based file line; the header is line 1). */
export interface CsvImportIssue {
  readonly line: number;
  readonly field: string;
  readonly value: string;
  readonly message: string;
}

/** A problem at a Parquet row (1-based row number in the file; 0 = the file's schema). */
export interface ParquetImportIssue {
  readonly row: number;
  readonly field: string;
  readonly value: string;
  readonly message: string;
}

export type ImportIssue = CsvImportIssue | ParquetImportIssue;

/** `line 7, field "close": "abc" is not a number` */
export function describeIssue(issue: ImportIssue): string {
  const at = 'line' in issue ? `line ${issue.line}` : issue.row === 0 ? 'schema' : `row ${issue.row}`;
  return `${at}, field "${issue.field}": ${issue.message}`;
}

/**
 * A file that cannot be imported. `code` is `invalid_request`, `field` is `file`; the message
 * names the first problem and `details.issues` lists them all (up to MAX_IMPORT_ISSUES).
 */
export class ImportError extends InvalidRequestError {
  readonly issues: readonly ImportIssue[];

  constructor(readonly path: string, issues: readonly ImportIssue[], truncated: boolean) {
    const more = issues.length > 1 ? ` (and ${issues.length - 1}${truncated ? '+' : ''} more)` : '';
    super('file', `cannot import ${path}: ${describeIssue(issues[0])}${more}`, { path, issues, truncated });
    this.issues = issues;
    this.name = 'ImportError';
  }
}

/** Why a request to an exchange failed; stable values, also the `outcome` label of upstream metrics. */
export type ExchangeFailureReason = Extract<ErrorReason<'upstream_unavailable'>,
  | 'rate_limited' | 'timeout' | 'unavailable' | 'network' | 'bad_response'
  | 'bad_symbol' | 'bad_request' | 'auth' | 'not_supported' | 'exchange_error'>;

/**
 * A request to an exchange failed (`upstream_unavailable`, 502). `reason` says how; `retryable`
 * whether asking again later may succeed (network errors, timeouts, 5xx, rate limits: yes; a
 * rejected request, an unknown symbol, missing credentials: no). `status` is the HTTP status
 * when there was an answer, `retryAfterMs` the upstream's Retry-After.
 */
export class ExchangeRequestError extends SeamlessError {
  readonly code = 'upstream_unavailable';
  override readonly retryable: boolean;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly upstream: string,
    readonly reason: ExchangeFailureReason,
    message: string,
    options: { retryable: boolean; cause?: unknown; status?: number; retryAfterMs?: number },
  ) {
    super(`${upstream}: ${message}`, {
      upstream, reason,
      ...(options.status !== undefined ? { status: options.status } : {}),
      ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}),
    }, { cause: options.cause });
    this.retryable = options.retryable;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.name = 'ExchangeRequestError';
  }
}
