/**
 * The one place where DuckDB errors become SeamlessErrors (STYLE.md rule 8). Nothing else in
 * storage looks at DuckDB error text.
 */
import { isSeamlessError } from '../../core/index.js';
import type { SeamlessError } from '../../core/index.js';
import { StorageEngineError } from '../errors.js';

/**
 * DuckDB reports failures as plain `Error`s whose message starts with the error class
 * (`TransactionContext Error: Conflict …`, `IO Error: Could not set lock …`). Write-write
 * conflicts between transactions and a file lock held by another process pass with time.
 */
const TRANSIENT = /(^|\s)(TransactionContext Error: .*[Cc]onflict|IO Error: Could not set lock|Conflict on tuple deletion|Could not set lock on file)/;

export function translateDuckDbError(err: unknown, operation: string): SeamlessError {
  if (isSeamlessError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new StorageEngineError('duckdb', operation, message, { cause: err, retryable: TRANSIENT.test(message) });
}
