/**
 * Errors of backfill coordination.
 */
import { SeamlessError } from '../core/index.js';

/** The token is not the shard's current grant: the lease expired and was granted again, or ended. */
export class StaleLeaseError extends SeamlessError {
  readonly code = 'conflict';
  constructor(readonly key: string, readonly token: number, readonly current: number, readonly state: string) {
    super(`lease token ${token} for ${key} is stale (current token ${current}, state ${state})`, { key, token, current, state, reason: 'stale_lease' });
    this.name = 'StaleLeaseError';
  }
}

/** The lease store (etcd) cannot be reached or has no quorum; retry later. */
export class LeaseStoreUnavailableError extends SeamlessError {
  readonly code = 'upstream_unavailable';
  override readonly retryable = true;
  constructor(readonly store: string, message: string, options?: { cause?: unknown }) {
    super(`${store}: ${message}`, { store, reason: 'lease_store_unavailable' }, options);
    this.name = 'LeaseStoreUnavailableError';
  }
}
