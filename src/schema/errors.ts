/**
 * Errors the schema registry raises beyond core's catalogue. Each keeps one of core's stable
 * codes and adds a finer `details.reason`, so the gateway can map it to a Confluent
 * `error_code` without reading message text.
 */
import { ConflictError, InvalidRequestError, SeamlessError } from '../core/index.js';
import type { ErrorDetails, ErrorReason } from '../core/index.js';
import type { CompatibilityMode } from './schema-types.js';

/**
 * A schema document outside the supported subset. `field` is the JSON path of the offending
 * part (`properties.volume.type`, `required[2]`, `$` for the document itself).
 * Code `invalid_request` (400); Confluent 42201.
 */
export class SchemaDocumentError extends InvalidRequestError {
  constructor(readonly path: string, message: string, options?: { cause?: unknown }) {
    super(path, message, { reason: 'invalid_schema' }, options);
    this.name = 'SchemaDocumentError';
  }
}

/** A subject name that is empty, too long, reserved or not printable. Code `invalid_request`. */
export class InvalidSubjectError extends InvalidRequestError {
  constructor(readonly subject: string, message: string) {
    super('subject', message, { reason: 'invalid_subject' });
    this.name = 'InvalidSubjectError';
  }
}

/** A candidate schema that breaks the subject's compatibility mode. Code `conflict` (409). */
export class IncompatibleSchemaError extends ConflictError {
  constructor(readonly subject: string, readonly mode: CompatibilityMode, readonly messages: readonly string[]) {
    super(
      `schema is incompatible with subject "${subject}" under ${mode}: ${messages.join('; ')}`,
      { reason: 'incompatible_schema', subject, mode, messages: [...messages] },
    );
    this.name = 'IncompatibleSchemaError';
  }
}

/** Setting `strict` directly: strict is only reached through an approved promotion. Code `conflict`. */
export class PromotionRequiredError extends ConflictError {
  constructor(readonly subject: string) {
    super(
      `subject "${subject}" can only become strict through a promotion approved by two different identities (POST /registry/subjects/{subject}/promotions)`,
      { reason: 'promotion_required', subject },
    );
    this.name = 'PromotionRequiredError';
  }
}

/** Why a promotion request or its approval was refused. */
export type PromotionRefusal = Extract<ErrorReason<'conflict'>, 'canary_failures' | 'already_strict' | 'promotion_pending' | 'not_pending' | 'duplicate_approval'>;

/** A promotion request or approval that governance refuses. Code `conflict` (409). */
export class PromotionRefusedError extends ConflictError {
  constructor(readonly reason: PromotionRefusal, message: string, details: Omit<ErrorDetails, 'reason'> = {}) {
    super(message, { reason, ...details });
    this.name = 'PromotionRefusedError';
  }
}

/**
 * Why a delete was refused, as Confluent answers it: soft-deleting what is already soft-deleted
 * (40404 subject, 40406 version), or deleting permanently what was not soft-deleted first
 * (40405 subject, 40407 version).
 */
export type DeleteRefusal = Extract<ErrorReason<'not_found'>, 'subject_soft_deleted' | 'subject_not_soft_deleted' | 'version_soft_deleted' | 'version_not_soft_deleted'>;

/** A soft or permanent delete out of Confluent's order. Code `not_found` (404, as Confluent). */
export class DeleteRefusedError extends SeamlessError {
  readonly code = 'not_found';
  constructor(readonly reason: DeleteRefusal, message: string, details: Omit<ErrorDetails, 'reason'> = {}) {
    super(message, { reason, ...details });
    this.name = 'DeleteRefusedError';
  }
}

/** The audit log was written but the governance document could not be. Code `internal` (500). */
export class GovernanceDocumentError extends SeamlessError {
  readonly code = 'internal';
  constructor(readonly path: string, message: string, options?: { cause?: unknown }) {
    super(`governance document ${path}: ${message}`, { path }, options);
    this.name = 'GovernanceDocumentError';
  }
}
