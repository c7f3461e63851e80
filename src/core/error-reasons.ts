/**
 * The catalogue of `details.reason`: the finer, stable reason an error may carry beside its
 * code, listed under the one code it belongs to. Reasons are part of the wire format like
 * codes (clients, the Confluent mapping and alerts branch on them): never renamed or reused.
 * `SeamlessError` details accept only these (a new reason fails to compile until it is listed
 * here), and test/unit/core/error-catalogue.test.ts keeps `docs/errors.md` in step.
 */
import type { ErrorCode } from './errors.js';

export const ERROR_REASONS = {
  invalid_request: ['invalid_schema', 'invalid_subject', 'interval_not_derivable', 'as_of_beyond_retention'],
  not_found: ['subject_soft_deleted', 'subject_not_soft_deleted', 'version_soft_deleted', 'version_not_soft_deleted'],
  conflict: [
    'stale_fencing_token', 'stale_lease', 'lease_held', 'dataset_schema_conflict', 'duplicate_report_id',
    'incompatible_schema', 'promotion_required',
    'canary_failures', 'already_strict', 'promotion_pending', 'not_pending', 'duplicate_approval',
    'purge_needs_coordinator', 'duplicate_snapshot',
  ],
  conformance_blocked: ['schema_validation'],
  domain_policy: ['as_of_regression'],
  upstream_unavailable: [
    'rate_limited', 'timeout', 'unavailable', 'network', 'bad_response',
    'bad_symbol', 'bad_request', 'auth', 'not_supported', 'exchange_error',
    'lease_store_unavailable',
  ],
  overloaded: ['inflight_bars', 'opaque_lease_limit', 'stream_subscribers', 'slow_consumer', 'live_backlog'],
  internal: ['storage_invalidated', 'storage_corrupt', 'storage_disk_full', 'storage_read_only'],
} as const satisfies Partial<Record<ErrorCode, readonly string[]>>;

/** The codes that have reasons. */
export type ReasonedCode = keyof typeof ERROR_REASONS;

/** A catalogued `details.reason`, optionally of one code: `ErrorReason<'conflict'>`. */
export type ErrorReason<C extends ReasonedCode = ReasonedCode> = (typeof ERROR_REASONS)[C][number];

/** Every catalogued reason with its code, in catalogue order. */
export const ERROR_REASON_CODES: readonly { readonly reason: ErrorReason; readonly code: ReasonedCode }[] =
  (Object.keys(ERROR_REASONS) as ReasonedCode[]).flatMap((code) => ERROR_REASONS[code].map((reason) => ({ reason, code })));

/**
 * The details of an error body: free-form fields, but `reason` only from the catalogue.
 */
export interface ErrorDetails {
  readonly reason?: ErrorReason;
  readonly [key: string]: unknown;
}
