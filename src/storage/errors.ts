/**
 * Storage errors. Each extends a core class so its `code` stays one of the stable codes of
 * ARCHITECTURE.md §1; engines raise these and nothing above storage branches on driver details.
 */
import { ConflictError, InternalError } from '../core/index.js';
import type { StorageFailureReason } from './storage-failure.js';

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

/**
 * The storage engine is out of service (`details.reason`: `storage_invalidated`,
 * `storage_corrupt`, `storage_disk_full`, `storage_read_only`). Code `internal` (an engine
 * failure, not the caller's), answered 503: the instance cannot serve until the operator acts
 * (docs/operations/runbook.md), and probes and load balancers read 503 as "not here".
 */
export class StorageUnavailableError extends InternalError {
  override readonly retryable = false;
  /** `engineMessage`: what the engine said, without this class's prefix. */
  constructor(readonly engine: string, readonly operation: string, readonly reason: StorageFailureReason, readonly engineMessage: string, options: { cause?: unknown } = {}) {
    super(`${engine} ${operation}: storage unavailable (${reason}): ${engineMessage}`, { cause: options.cause, details: { engine, operation, reason } });
    this.name = 'StorageUnavailableError';
  }

  override get httpStatus(): number {
    return 503;
  }
}

/** A snapshot of that name exists: snapshots are immutable and never overwritten. Code `conflict` (409). */
export class DuplicateSnapshotError extends ConflictError {
  constructor(readonly snapshot: string) {
    super(`name: a snapshot named ${JSON.stringify(snapshot)} exists already; snapshots are immutable: pick another name (or delete it first)`, { reason: 'duplicate_snapshot', field: 'name', name: snapshot });
    this.name = 'DuplicateSnapshotError';
  }
}
