/**
 * Errors of the CLI: a gateway's error reply (its code kept as sent) and a data directory held
 * by another process.
 */
import { ERROR_CODES, SeamlessError } from '../core/index.js';
import type { ErrorCode } from '../core/index.js';

/** An `{"error": {code, message, details}}` reply of a gateway, re-raised with its code. */
export class GatewayError extends SeamlessError {
  readonly code: ErrorCode;
  constructor(code: string, message: string, readonly status: number, details: Record<string, unknown> = {}) {
    super(message, { status, ...details });
    this.code = (ERROR_CODES as readonly string[]).includes(code) ? (code as ErrorCode) : 'internal';
    this.name = 'GatewayError';
  }
}

/** DuckDB lets one process open a database file; another one (a running gateway?) holds it. */
export class DataDirLockedError extends SeamlessError {
  readonly code = 'conflict';
  constructor(readonly file: string, readonly pid: string | undefined, options: { cause?: unknown } = {}) {
    super(
      `${file} is locked by another process${pid ? ` (PID ${pid})` : ''}, e.g. a running "seamless serve"; ` +
        'DuckDB lets one process open it at a time, so go through that gateway with --url (e.g. --url http://127.0.0.1:8080) or stop it',
      { file, pid },
      options,
    );
    this.name = 'DataDirLockedError';
  }
}
