/**
 * Storage errors. Each extends a core class so its `code` stays one of the stable codes of
 * ARCHITECTURE.md §1; engines raise these and nothing above storage branches on driver details.
 */
import { ConflictError, InternalError } from '../core/index.js';

/** A dataset already holds bars of one frame schema and a caller used another. */
export class DatasetSchemaConflictError extends ConflictError {
  constructor(readonly nodeId: string, readonly intervalMs: number, readonly storedSchema: string, readonly requestedSchema: string) {
    super(
      `dataset ${JSON.stringify(nodeId)} @ ${intervalMs} ms holds schema "${storedSchema}", not "${requestedSchema}"`,
      { nodeId, intervalMs, storedSchema, requestedSchema, reason: 'dataset_schema_conflict' },
    );
    this.name = 'DatasetSchemaConflictError';
  }
}

/** The engine failed (I/O, lock, constraint, closed store). `retryable` when a retry may succeed. */
export class StorageEngineError extends InternalError {
  override readonly retryable: boolean;
  constructor(readonly engine: string, readonly operation: string, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(`${engine} ${operation}: ${message}`, { cause: options.cause, details: { engine, operation } });
    this.retryable = options.retryable ?? false;
    this.name = 'StorageEngineError';
  }
}
