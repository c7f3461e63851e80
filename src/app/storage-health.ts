/**
 * Honest storage health: the embedded database's failure (reason, message, since) makes the
 * `storage` check of /healthz and /readyz red, is logged once under `seamless.storage`, and
 * fails every running backfill job with it (their shards could not even be marked failed). A
 * torn write-ahead log found at start is logged once and named in the `storage` check.
 */
import type { Logger } from '../observability/index.js';
import type { StorageFailure, WalFinding } from '../storage/index.js';
import type { HealthCheck } from '../gateway/index.js';

export interface StorageHealthSource {
  failure(): StorageFailure | undefined;
  onFailure(listener: (failure: StorageFailure) => void): () => void;
  readonly wal: WalFinding | undefined;
}

/** Logs the start's WAL finding and, on each new failure, logs it and fails running jobs. Returns the unsubscribe function. */
export function watchStorageHealth(source: StorageHealthSource, logger: Logger, failRunningJobs: (reason: string) => number): () => void {
  const wal = source.wal;
  // Warn, not error: a process killed in the middle of a write tears the log too (nothing committed lost).
  if (wal?.tornAt !== undefined) logger.warn({ walBytes: wal.bytes, tornAt: wal.tornAt, entries: wal.entries }, wal.message);
  else if (wal !== undefined) logger.info({ walBytes: wal.bytes, entries: wal.entries }, wal.message);
  return source.onFailure((failure) => {
    const jobs = failRunningJobs(`storage failed (${failure.reason}): ${failure.message}`);
    logger.error({ reason: failure.reason, since: failure.since, sticky: failure.sticky, failedJobs: jobs }, `storage out of service (${failure.reason}): ${failure.message}`);
  });
}

/** The `storage` check: red with the reason while a failure holds; names a torn WAL found at start. */
export function storageCheck(source: StorageHealthSource, engine: string): HealthCheck & { readonly reason?: string; readonly since?: string; readonly affected?: readonly string[] } | undefined {
  const failure = source.failure();
  if (failure !== undefined) {
    return { ok: false, reason: failure.reason, since: new Date(failure.since).toISOString(), detail: `${failure.reason}: ${failure.message}`, affected: failure.affected };
  }
  if (source.wal?.tornAt !== undefined) return { ok: true, detail: `${engine}; at start: ${source.wal.message}` };
  return undefined;
}
