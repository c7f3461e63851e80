/**
 * The one place errors become HTTP: SeamlessErrors keep their code and status; a route input its
 * zod schema refused (route-schemas.ts) becomes the InvalidRequestError naming the field
 * (`schemaRefusal`, also used by the registry's Confluent errors); fastify's own errors (payload
 * too large, unsupported media type) become `invalid_request` naming the body; anything else is `internal` and logged with its stack — unless the client has
 * hung up (its read was aborted): that is one info line, "client closed the connection".
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ERROR_STATUS, InvalidRequestError, OverloadedError, isSeamlessError } from '../core/index.js';
import type { ErrorBody, ErrorCode } from '../core/index.js';

export function errorBody(code: ErrorCode, message: string, details: Record<string, unknown> = {}): ErrorBody {
  return { error: { code, message, details } };
}

/** Where a refused input sits when its schema refused it whole (no field inside it). */
const WHOLE_INPUT: Readonly<Record<string, string>> = { body: 'body', querystring: 'query', params: 'path', headers: 'headers' };

/**
 * A route input refused by its zod schema, as the InvalidRequestError naming the field: the
 * issue's path (`evidence.start`), the first unknown key of a strict object, or the whole input.
 * An unknown field is reported before the other issues of the same input. Undefined when
 * `error` is not such a refusal.
 */
export function schemaRefusal(error: unknown): InvalidRequestError | undefined {
  if (!hasZodFastifySchemaValidationErrors(error)) return undefined;
  const issues = error.validation;
  const first = issues.find((issue) => issue.keyword === 'unrecognized_keys') ?? issues[0];
  if (first === undefined) return undefined;
  const path = first.instancePath.split('/').filter((part) => part !== '');
  const keys: unknown = first.params.keys;
  if (first.keyword === 'unrecognized_keys' && Array.isArray(keys) && keys.length > 0) path.push(String(keys[0]));
  const context: string = error.validationContext ?? 'body';
  return new InvalidRequestError(path.length > 0 ? path.join('.') : (WHOLE_INPUT[context] ?? context), first.message ?? 'is invalid');
}

export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const refusal = schemaRefusal(error);
  if (refusal !== undefined) return sendError(refusal, request, reply);
  const clientGone = request.raw.destroyed || request.raw.socket?.destroyed === true;
  if (clientGone) request.log.info({ method: request.method, route: request.routeOptions.url ?? 'unmatched' }, 'client closed the connection');
  if (isSeamlessError(error)) {
    if (error instanceof OverloadedError) reply.header('Retry-After', String(error.retryAfterSeconds));
    else if (error.httpStatus >= 500 && !clientGone) request.log.error({ err: error }, error.message);
    return reply.code(error.httpStatus).type('application/json').send(error.toBody());
  }
  const fe = error as FastifyError;
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code: ErrorCode = fe.statusCode === 404 ? 'not_found' : fe.statusCode === 401 ? 'unauthorized' : fe.statusCode === 403 ? 'forbidden' : 'invalid_request';
    return reply.code(ERROR_STATUS[code] === fe.statusCode ? fe.statusCode : 400).send(errorBody(code, fe.message, { field: 'body' }));
  }
  if (!clientGone) request.log.error({ err: error }, 'unhandled error');
  return reply.code(500).send(errorBody('internal', 'internal error; see the server log', { requestId: request.id }));
}
