/**
 * Errors of backfill coordination.
 */
import { OverloadedError, SeamlessError } from '../core/index.js';
import { showLeaseToken } from './lease-token.js';
import type { LeaseTokenInput } from './lease-token.js';

/**
 * The token is not the shard's current grant: the lease expired and was granted again, or ended,
 * or the token denotes no grant at all (see lease-token.ts). Names the current holder.
 */
export class StaleLeaseError extends SeamlessError {
  readonly code = 'conflict';
  constructor(
    readonly key: string,
    readonly token: LeaseTokenInput,
    readonly current: number,
    readonly state: string,
    readonly holder: string | null = null,
    readonly leaseUntil: number | null = null,
  ) {
    super(
      `lease token ${showLeaseToken(token)} for ${key} is stale (current token ${current}, state ${state}${holder === null ? '' : `, holder ${holder}`})`,
      { key, token, current, state, holder, lease_until_ms: leaseUntil, reason: 'stale_lease' },
    );
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

/**
 * A claim of a new opaque lease key (one no job created) refused because the store already holds
 * `limit` live opaque keys (`seamless.backfill.opaqueLeases.maxKeys`); they expire, so retrying
 * after `retryAfterSeconds` may succeed. Names the field and the limit.
 */
export class OpaqueLeaseLimitError extends OverloadedError {
  constructor(readonly key: string, readonly limit: number, retryAfterSeconds: number) {
    super(
      `key: cannot create lease ${key}: the lease store already holds ${limit} opaque lease keys (seamless.backfill.opaqueLeases.maxKeys = ${limit}); ` +
        'release or let some expire first',
      retryAfterSeconds,
      { field: 'key', key, limit, reason: 'opaque_lease_limit' },
    );
    this.name = 'OpaqueLeaseLimitError';
  }
}
