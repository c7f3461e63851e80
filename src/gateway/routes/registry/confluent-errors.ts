/**
 * The one place errors under `/registry` become Confluent's error body
 * `{"error_code", "message"}` (plus `messages` for an incompatible schema and `reason` for a
 * governance refusal). The mapping reads only stable fields: the SeamlessError `code`,
 * `details.reason` of the registry's errors, the `field` of an InvalidRequestError and the
 * `what` of a NotFoundError; never message text. A route input refused by its zod schema is first
 * made the InvalidRequestError naming the field (error-reply.ts `schemaRefusal`).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidRequestError, NotFoundError, isSeamlessError } from '../../../core/index.js';
import { schemaRefusal } from '../../error-reply.js';

/** What Confluent's registry answers with (its clients send it too; json-body.ts parses it). */
export const CONFLUENT_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** Confluent's error codes that Seamless answers with (status = first three digits). */
export const CONFLUENT_CODES = {
  unauthorized: 40101,
  forbidden: 40301,
  subjectNotFound: 40401,
  versionNotFound: 40402,
  schemaNotFound: 40403,
  subjectSoftDeleted: 40404,
  subjectNotSoftDeleted: 40405,
  versionSoftDeleted: 40406,
  versionNotSoftDeleted: 40407,
  subjectConfigNotFound: 40408,
  invalidSchema: 42201,
  invalidVersion: 42202,
  invalidCompatibility: 42203,
  invalidMode: 42204,
  invalidSubject: 42208,
  internal: 50001,
} as const;

export interface ConfluentErrorBody {
  readonly error_code: number;
  readonly message: string;
  /** Each incompatibility in words (409 of an incompatible schema). */
  readonly messages?: readonly string[];
  /** Seamless' finer reason of a 409 (`incompatible_schema`, `promotion_required`, `duplicate_approval`, …). */
  readonly reason?: string;
}

const NOT_FOUND_CODES: Readonly<Record<string, number>> = {
  subject: CONFLUENT_CODES.subjectNotFound,
  version: CONFLUENT_CODES.versionNotFound,
  schema: CONFLUENT_CODES.schemaNotFound,
  'subject-level compatibility': CONFLUENT_CODES.subjectConfigNotFound,
};

/** DeleteRefusedError reason → Confluent code (404). */
const DELETE_REFUSAL_CODES: Readonly<Record<string, number>> = {
  subject_soft_deleted: CONFLUENT_CODES.subjectSoftDeleted,
  subject_not_soft_deleted: CONFLUENT_CODES.subjectNotSoftDeleted,
  version_soft_deleted: CONFLUENT_CODES.versionSoftDeleted,
  version_not_soft_deleted: CONFLUENT_CODES.versionNotSoftDeleted,
};

/** InvalidRequestError field → Confluent code (422); other fields answer plain 422. */
const INVALID_FIELD_CODES: Readonly<Record<string, number>> = {
  version: CONFLUENT_CODES.invalidVersion,
  compatibility: CONFLUENT_CODES.invalidCompatibility,
  mode: CONFLUENT_CODES.invalidMode,
};

/** The HTTP status and Confluent body of an error. */
export function confluentError(error: unknown): { readonly status: number; readonly body: ConfluentErrorBody } {
  if (isSeamlessError(error)) {
    const reason = typeof error.details.reason === 'string' ? error.details.reason : undefined;
    switch (error.code) {
      case 'unauthorized':
        return { status: 401, body: { error_code: CONFLUENT_CODES.unauthorized, message: error.message } };
      case 'forbidden':
        return { status: 403, body: { error_code: CONFLUENT_CODES.forbidden, message: error.message } };
      case 'not_found': {
        const what = error instanceof NotFoundError ? error.what : '';
        const code = (reason === undefined ? undefined : DELETE_REFUSAL_CODES[reason]) ?? NOT_FOUND_CODES[what] ?? 404;
        return { status: 404, body: { error_code: code, message: error.message, ...(reason ? { reason } : {}) } };
      }
      case 'conflict': {
        const messages = Array.isArray(error.details.messages) ? error.details.messages.map(String) : undefined;
        return { status: 409, body: { error_code: 409, message: error.message, ...(messages ? { messages } : {}), ...(reason ? { reason } : {}) } };
      }
      case 'invalid_request': {
        // A body the gateway's JSON parser refused (json-body.ts): Confluent answers those 400.
        if (error instanceof InvalidRequestError && error.details.parser === 'json') return { status: 400, body: { error_code: 400, message: error.message } };
        const code = reason === 'invalid_schema' ? CONFLUENT_CODES.invalidSchema
          : reason === 'invalid_subject' ? CONFLUENT_CODES.invalidSubject
            : error instanceof InvalidRequestError ? INVALID_FIELD_CODES[error.field] ?? 422 : 422;
        return { status: 422, body: { error_code: code, message: error.message } };
      }
      default:
        if (error.httpStatus < 500) return { status: error.httpStatus, body: { error_code: error.httpStatus, message: error.message } };
        return { status: error.httpStatus, body: { error_code: CONFLUENT_CODES.internal, message: error.message } };
    }
  }
  // fastify's own 4xx: unparseable JSON (400), unsupported media type (415), body too large (413).
  const fe = error as FastifyError;
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, body: { error_code: fe.statusCode, message: fe.message } };
  }
  return { status: 500, body: { error_code: CONFLUENT_CODES.internal, message: 'internal error; see the server log' } };
}

/** The registry plugin's error handler: logs server faults, answers Confluent's body. */
export function sendConfluentError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // A route input refused by its schema is the InvalidRequestError naming the field (422, coded by field).
  const { status, body } = confluentError(schemaRefusal(error) ?? error);
  if (status >= 500) request.log.error({ err: error, requestId: request.id }, isSeamlessError(error) ? error.message : 'unhandled error');
  return reply.code(status).type(CONFLUENT_CONTENT_TYPE).send(body);
}
