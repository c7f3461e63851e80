/**
 * Options of the etcd LeaseStore (etcd-lease-store.ts), their defaults, and their checks: each
 * refusal names the option. Resolved once, before any etcd client is opened.
 */
import { InvalidRequestError, systemClock } from '../../core/index.js';
import type { Clock } from '../../core/index.js';
import { silentLogger } from '../../observability/index.js';
import type { Logger } from '../../observability/index.js';
import { DEFAULT_OPAQUE_LEASE_GRACE_MS } from '../../backfill/index.js';

export const DEFAULT_ETCD_PREFIX = '/seamless/backfill/';
export const DEFAULT_ETCD_CALL_TIMEOUT_MS = 2_000;

export interface EtcdLeaseStoreOptions {
  readonly endpoints: readonly string[];
  /** Key prefix of this store (default DEFAULT_ETCD_PREFIX); must end with `/`. */
  readonly prefix?: string;
  /** Deadline of one store operation, all its etcd calls and retries included (default 2 s). */
  readonly callTimeoutMs?: number;
  /** Real time for sharing etcd lease buckets (etcd TTLs run on real time); records use `now` arguments. */
  readonly clock?: Clock;
  readonly logger?: Logger;
  /**
   * How long etcd keeps an opaque record (a wire-protocol key no job created) after its lease
   * ended or it was released: its etcd lease TTL (default DEFAULT_OPAQUE_LEASE_GRACE_MS).
   */
  readonly opaqueGraceMs?: number;
}


/** The options with their defaults applied, checked. */
export interface ResolvedEtcdLeaseStoreOptions {
  readonly endpoints: readonly string[];
  readonly prefix: string;
  readonly callTimeoutMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly opaqueGraceMs: number;
}

export function resolveEtcdLeaseStoreOptions(options: EtcdLeaseStoreOptions): ResolvedEtcdLeaseStoreOptions {
  if (options.endpoints.length === 0) throw new InvalidRequestError('endpoints', 'at least one etcd endpoint is required');
  const prefix = options.prefix ?? DEFAULT_ETCD_PREFIX;
  if (!prefix.endsWith('/')) throw new InvalidRequestError('prefix', `must end with "/" (got ${JSON.stringify(prefix)})`);
  const callTimeoutMs = options.callTimeoutMs ?? DEFAULT_ETCD_CALL_TIMEOUT_MS;
  if (!Number.isFinite(callTimeoutMs) || callTimeoutMs <= 0) throw new InvalidRequestError('callTimeoutMs', `must be a positive number of ms (got ${callTimeoutMs})`);
  const opaqueGraceMs = options.opaqueGraceMs ?? DEFAULT_OPAQUE_LEASE_GRACE_MS;
  if (!Number.isInteger(opaqueGraceMs) || opaqueGraceMs < 0) throw new InvalidRequestError('opaqueGraceMs', `must be a whole number of ms, 0 or more (got ${opaqueGraceMs})`);
  return {
    endpoints: [...options.endpoints], prefix, callTimeoutMs, opaqueGraceMs,
    clock: options.clock ?? systemClock, logger: options.logger ?? silentLogger(),
  };
}
