/**
 * The one place where DuckDB errors become SeamlessErrors (STYLE.md rule 8). Nothing else in
 * storage looks at DuckDB error text.
 */
import { isSeamlessError } from '../../core/index.js';
import type { SeamlessError } from '../../core/index.js';
import { StorageEngineError, StorageUnavailableError } from '../../storage/index.js';
import type { StorageFailureReason } from '../../storage/index.js';

/**
 * DuckDB reports failures as plain `Error`s whose message starts with the error class
 * (`TransactionContext Error: Conflict …`, `IO Error: Could not set lock …`). Write-write
 * conflicts between transactions and a file lock held by another process pass with time.
 */
const TRANSIENT = /(^|\s)(TransactionContext Error: .*[Cc]onflict|IO Error: Could not set lock|Conflict on tuple deletion|Could not set lock on file)/;

/**
 * Failures that put the database out of service, most severe first (an invalidation message
 * quotes its original error, e.g. "No space left on device"). Seen for real in
 * test/scenarios/storage-failures.test.ts: a checkpoint on a full disk → `FATAL Error: …
 * database has been invalidated`; a WAL write on a full disk → `Could not write file …: No space
 * left on device`; a damaged block → `IO Error: Corrupt database file: computed checksum …`.
 */
const FAILURES: readonly (readonly [RegExp, StorageFailureReason])[] = [
  [/FATAL Error|database has been invalidated/, 'storage_invalidated'],
  [/Corrupt database file|does not match stored checksum/, 'storage_corrupt'],
  [/No space left on device/, 'storage_disk_full'],
  [/Read-only file system/, 'storage_read_only'],
];

/**
 * DuckDB's COMMIT that wrote the transaction to the write-ahead log (so it is durable and replayed
 * at the next open) and then failed the automatic checkpoint it triggered, which invalidated the
 * database: `FATAL Error: Transaction COMMIT succeeded and is durable, but the autocheckpoint
 * failed. …` (DuckDB 1.5). The transaction is committed; the database is out of service. Only
 * with the log written first (connection.ts sets `auto_checkpoint_skip_wal_threshold` so it always
 * is): a commit that skipped the log and failed its checkpoint is lost and says only
 * `Failed to create checkpoint …`. Should a later DuckDB word it otherwise, the commit is taken as
 * failed: a durable write reported failed, never the reverse.
 */
const DURABLE_COMMIT = /Transaction COMMIT succeeded and is durable/;

/** Whether `err`, thrown by COMMIT, says the transaction committed durably before the database failed. */
export function isDurableCommitFailure(err: unknown): boolean {
  return err instanceof Error && DURABLE_COMMIT.test(err.message);
}

export function storageFailureReasonOf(message: string): StorageFailureReason | undefined {
  for (const [pattern, reason] of FAILURES) if (pattern.test(message)) return reason;
  return undefined;
}

export function translateDuckDbError(err: unknown, operation: string): SeamlessError {
  if (isSeamlessError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  const failure = storageFailureReasonOf(message);
  if (failure !== undefined) return new StorageUnavailableError('duckdb', operation, failure, message, { cause: err });
  return new StorageEngineError('duckdb', operation, message, { cause: err, retryable: TRANSIENT.test(message) });
}
