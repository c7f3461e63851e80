/**
 * Errors the read path raises beyond core's catalogue.
 */
import { ConflictError, InvalidRequestError, NotFoundError, SeamlessError, formatInterval } from '../core/index.js';
import type { ErrorCode, ErrorDetails } from '../core/index.js';
import type { ConformanceReport, FlagType } from '../conformance/index.js';

/** No dataset (nodeId, interval) is configured or stored. Code `not_found` (404). */
export class UnknownDatasetError extends NotFoundError {
  constructor(readonly nodeId: string, readonly intervalMs: number) {
    super('dataset', `${nodeId} ${formatInterval(intervalMs)}`, { field: 'node', nodeId, interval: formatInterval(intervalMs) });
    this.message = `node: no dataset "${nodeId}" with interval ${formatInterval(intervalMs)} is configured or stored (GET /v1/datasets lists them)`;
    this.name = 'UnknownDatasetError';
  }
}

/**
 * The conformance pipeline found error-level defects and the read is in blocking mode.
 * Code `conformance_blocked` (422); details carry the whole report and the blocking flags.
 */
export class ConformanceBlockedError extends SeamlessError {
  readonly code = 'conformance_blocked';
  constructor(readonly report: ConformanceReport, readonly reasons: readonly string[]) {
    super(
      `conformance blocked the read of ${report.nodeId} ${formatInterval(report.intervalMs)}: ${reasons.map((f) => `${f} (${report.flags[f as FlagType] ?? 0})`).join(', ')}; pass partial_ok to receive the bars with the report, or set seamless.conformance.mode=shadow`,
      { reasons, reportUri: report.uri, report },
    );
    this.name = 'ConformanceBlockedError';
  }
}

/**
 * A payload does not conform to its subject's schema and the subject is `strict`.
 * Code `conformance_blocked` (422); details name the subject, version and every violation.
 */
export class SchemaValidationError extends SeamlessError {
  readonly code = 'conformance_blocked';
  constructor(readonly subject: string, readonly version: number, readonly violations: readonly string[], report: ConformanceReport) {
    super(
      `schema validation failed for subject "${subject}" v${version} (strict): ${violations.slice(0, 3).join('; ')}${violations.length > 3 ? ` (and ${violations.length - 3} more)` : ''}`,
      { reason: 'schema_validation', subject, version, violations, reportUri: report.uri, report },
    );
    this.name = 'SchemaValidationError';
  }
}

/** A backfill was asked for while `seamless.backfill.suspended` (the rollback switch) is on. */
export class BackfillSuspendedError extends ConflictError {
  constructor() {
    super('backfill is suspended (seamless.backfill.suspended: true): reads answer from storage only; turn the switch off to backfill again', { key: 'seamless.backfill.suspended' });
    this.name = 'BackfillSuspendedError';
  }
}

/**
 * `seamless.backfill.endpoint` names a coordinator in another process, whose workers write rows
 * into the coordinator's storage, while this instance would keep bars in its own embedded DuckDB
 * and so never read them. Code `invalid_request`; raised at start, before anything is opened.
 */
export class RemoteCoordinatorStorageError extends InvalidRequestError {
  constructor(readonly endpoint: string) {
    super(
      'seamless.backfill.endpoint',
      `is a remote coordinator (${endpoint}), whose workers write backfilled rows into the coordinator's storage, but storage.url is unset, so this instance keeps bars in its own embedded DuckDB and could never read them; set storage.url to the coordinator's PostgreSQL database, or drop seamless.backfill.endpoint to coordinate in this process`,
      { keys: ['seamless.backfill.endpoint', 'storage.url'], endpoint },
    );
    this.name = 'RemoteCoordinatorStorageError';
  }
}

/**
 * The read's execution domain (`context.domain`: backtest, dryrun, live, shadow) forbids what the
 * request asks for, e.g. a backtest without `asOf`. Code `domain_policy` (422); details name the
 * request field and the domain.
 */
export class DomainPolicyError extends SeamlessError {
  readonly code = 'domain_policy';
  constructor(readonly field: string, readonly domain: string, message: string, details: ErrorDetails = {}) {
    super(`${field}: ${message}`, { field, domain, ...details });
    this.name = 'DomainPolicyError';
  }
}

/**
 * A purge (repair) from an instance whose backfill coordinator runs in another process
 * (`seamless.backfill.endpoint`): the shard leases a purge must reset live there, so the purge is
 * refused rather than leaving the coordinator believing the range done. Code `conflict` (409),
 * reason `purge_needs_coordinator`.
 */
export class PurgeNeedsCoordinatorError extends ConflictError {
  constructor(readonly endpoint: string) {
    super(`this instance's backfill coordinator is at ${endpoint}: purge on the coordinator's own gateway (the one that owns the shard leases), not here`, {
      reason: 'purge_needs_coordinator', key: 'seamless.backfill.endpoint', endpoint,
    });
    this.name = 'PurgeNeedsCoordinatorError';
  }
}

/**
 * An all-or-nothing universe read in which a dataset failed: the first failure's code, status,
 * message and details, plus the node it concerns and every failed node (`failedNodes`).
 */
export class UniverseReadFailedError extends SeamlessError {
  readonly code: ErrorCode;
  constructor(readonly first: SeamlessError, readonly node: string, readonly failedNodes: readonly string[]) {
    super(
      `${node}: ${first.message} (all_or_nothing: ${failedNodes.length} dataset(s) failed: ${failedNodes.slice(0, 5).join(', ')}${failedNodes.length > 5 ? ', …' : ''})`,
      { ...first.details, node, failedNodes },
      { cause: first },
    );
    this.code = first.code;
    this.name = 'UniverseReadFailedError';
  }
}
