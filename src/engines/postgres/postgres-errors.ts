/**
 * The one place where pg errors become SeamlessErrors (STYLE.md rule 8), and where connection
 * loss is recognised. Nothing else in storage looks at SQLSTATEs, socket error codes or pg's
 * message text.
 */
import { isSeamlessError } from '../../core/index.js';
import type { SeamlessError } from '../../core/index.js';
import { StorageEngineError } from '../../storage/index.js';

export const ENGINE = 'postgres';

/**
 * SQLSTATEs meaning the session is gone: class 08 (connection exception), and the server ending
 * the backend (57P01 admin_shutdown — pg_terminate_backend, a fast shutdown —, 57P02
 * crash_shutdown, 57P03 cannot_connect_now while it starts or recovers).
 */
const LOST_STATES = new Set(['57P01', '57P02', '57P03']);
/** Socket errors of a dropped or refused connection. */
const LOST_SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
/** pg raises these as plain Errors with no code when the socket closes under a client. */
const LOST_MESSAGES = /^(Connection terminated( unexpectedly| due to connection timeout)?|Client has encountered a connection error and is not queryable|Connection ended unexpectedly)$/;
/**
 * Transient but not a lost session: serialization failure, deadlock, lock not available, too
 * many connections / out of resources, and pg-pool's "no client free in time".
 */
const TRANSIENT_STATES = new Set(['40001', '40P01', '55P03', '53000', '53100', '53200', '53300']);
const POOL_TIMEOUT = /^timeout exceeded when trying to connect$/;

function codeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  const code = (err as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** True when `err` means the connection (not the statement) failed: a fresh connection may succeed. */
export function isConnectionLoss(err: unknown): boolean {
  if (isSeamlessError(err)) return false;
  const code = codeOf(err);
  if (code !== undefined && (code.startsWith('08') || LOST_STATES.has(code) || LOST_SOCKET_CODES.has(code))) return true;
  return LOST_MESSAGES.test(messageOf(err));
}

/** `err` as a SeamlessError: ours pass through, driver errors become StorageEngineError with the SQLSTATE. */
export function translatePgError(err: unknown, operation: string): SeamlessError {
  if (isSeamlessError(err)) return err;
  const code = codeOf(err);
  const retryable = isConnectionLoss(err) || (code !== undefined && TRANSIENT_STATES.has(code)) || POOL_TIMEOUT.test(messageOf(err));
  const sqlstate = code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? ` (SQLSTATE ${code})` : '';
  return new StorageEngineError(ENGINE, operation, `${messageOf(err)}${sqlstate}`, { cause: err, retryable });
}

/** Every attempt lost its connection (the server is down or unreachable): says where and how often. */
export function connectionLost(err: unknown, operation: string, where: string, attempts: number): StorageEngineError {
  return new StorageEngineError(ENGINE, operation, `cannot reach the database ${where} (${attempts} attempts): ${messageOf(err)}`, { cause: err, retryable: true });
}

/** The connection was lost while COMMIT was on its way: the transaction may or may not have committed. */
export function commitInDoubt(err: unknown, operation: string): StorageEngineError {
  return new StorageEngineError(ENGINE, operation, `the connection was lost during COMMIT, so whether the write was applied is unknown: ${messageOf(err)}`, { cause: err, retryable: true });
}

/**
 * Opening failed: the message names the database (without its password) and what to check.
 * Our own errors (the newer-schema refusal) already say what happened and pass through.
 */
export function openError(err: unknown, url: string): SeamlessError {
  if (isSeamlessError(err)) return err;
  const where = redactUrl(url);
  const code = codeOf(err);
  let hint = '';
  if (code === '3D000') hint = '; create the database first (CREATE DATABASE) or fix storage.url';
  else if (code === '28P01' || code === '28000') hint = '; check the user and password of storage.url';
  else if (isConnectionLoss(err) || POOL_TIMEOUT.test(messageOf(err))) hint = '; is the server running and reachable from here?';
  return new StorageEngineError(ENGINE, 'open', `cannot open PostgreSQL storage at ${where}: ${messageOf(err)}${hint}`, {
    cause: err, retryable: isConnectionLoss(err),
  });
}

/** The URL without its password (userinfo or `?password=`), for messages and logs. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(an unparseable postgres URL)';
  }
  parsed.password = '';
  parsed.searchParams.delete('password');
  return parsed.toString();
}
