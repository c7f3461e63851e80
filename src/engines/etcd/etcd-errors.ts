/**
 * The one place where etcd3 / gRPC errors become Seamless errors (STYLE §2.8, like etcd3's own
 * `castGrpcError`). Nothing else in the etcd lease store inspects driver error classes or text.
 *
 * - Unavailability (retryable `LeaseStoreUnavailableError`): gRPC UNAVAILABLE, DEADLINE_EXCEEDED,
 *   CANCELLED, INTERNAL, UNKNOWN, RESOURCE_EXHAUSTED, ABORTED (everything etcd3 marks
 *   `RecoverableError`), an open per-host circuit breaker, and etcd server texts that mean
 *   "no quorum right now" (no leader, leader changed, request timed out, too many requests).
 * - Our own SeamlessErrors pass through unchanged.
 * - Everything else (bad argument, permission, closed client, …) becomes `InternalError`.
 */
import { EtcdLeaseInvalidError, GRPCGenericError, isRecoverableError } from 'etcd3';
import { InternalError, isSeamlessError } from '../../core/index.js';
import type { SeamlessError } from '../../core/index.js';
import { LeaseStoreUnavailableError } from '../../backfill/index.js';

export const ETCD_STORE_NAME = 'etcd';

/** etcd server messages that mean the cluster cannot serve right now (quorum lost, election). */
const UNAVAILABLE_TEXT = [
  'etcdserver: no leader',
  'etcdserver: leader changed',
  'etcdserver: request timed out',
  'etcdserver: too many requests',
  'etcdserver: server stopped',
  'etcdserver: not capable',
  'etcdserver: raft: stopped',
] as const;

function isBrokenCircuit(error: Error): boolean {
  // cockatiel's BrokenCircuitError (all hosts' breakers open); etcd3 does not re-export the class.
  return 'isBrokenCircuitError' in error && error.isBrokenCircuitError === true;
}

function isUnavailable(error: Error): boolean {
  if (isRecoverableError(error) || isBrokenCircuit(error)) return true;
  const message = error.message;
  for (const text of UNAVAILABLE_TEXT) if (message.includes(text)) return true;
  return false;
}

/** True when etcd says the lease a put referred to has expired or been revoked. */
export function isEtcdLeaseGone(error: unknown): boolean {
  return error instanceof EtcdLeaseInvalidError;
}

/** Translates anything thrown by an etcd call into a SeamlessError; `what` names the operation. */
export function translateEtcdError(error: unknown, what: string): SeamlessError {
  if (isSeamlessError(error)) return error;
  if (error instanceof Error && isUnavailable(error)) {
    return new LeaseStoreUnavailableError(ETCD_STORE_NAME, `${what}: ${error.message}`, { cause: error });
  }
  const kind = error instanceof GRPCGenericError ? 'grpc' : 'client';
  const message = error instanceof Error ? error.message : String(error);
  return new InternalError(`etcd ${what} failed (${kind}): ${message}`, { cause: error, details: { store: ETCD_STORE_NAME, operation: what } });
}
