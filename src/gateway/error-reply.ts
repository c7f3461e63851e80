/**
 * The one place errors become HTTP: SeamlessErrors keep their code and status; fastify's own
 * errors (bad JSON body, schema validation, payload too large) become `invalid_request` with
 * the field named; anything else is `internal` and logged with its stack — unless the client has
 * hung up (its read was aborted): that is one info line, "client closed the connection".
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_STATUS, OverloadedError, isSeamlessError } from '../core/index.js';
import type { ErrorBody, ErrorCode } from '../core/index.js';

export function errorBody(code: ErrorCode, message: string, details: Record<string, unknown> = {}): ErrorBody {
  return { error: { code, message, details } };
}

export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const clientGone = request.raw.destroyed || request.raw.socket?.destroyed === true;
  if (clientGone) request.log.info({ method: request.method, route: request.routeOptions.url ?? 'unmatched' }, 'client closed the connection');
  if (isSeamlessError(error)) {
    if (error instanceof OverloadedError) reply.header('Retry-After', String(error.retryAfterSeconds));
    else if (error.httpStatus >= 500 && !clientGone) request.log.error({ err: error }, error.message);
    return reply.code(error.httpStatus).type('application/json').send(error.toBody());
  }
  const fe = error as FastifyError;
  if (fe.validation) {
    const first = fe.validation[0];
    const field = fieldOf(first?.instancePath, first?.params);
    return reply.code(400).send(errorBody('invalid_request', `${field}: ${first?.message ?? fe.message}`, { field }));
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code: ErrorCode = fe.statusCode === 404 ? 'not_found' : fe.statusCode === 401 ? 'unauthorized' : fe.statusCode === 403 ? 'forbidden' : 'invalid_request';
    return reply.code(ERROR_STATUS[code] === fe.statusCode ? fe.statusCode : 400).send(errorBody(code, fe.message, { field: 'body' }));
  }
  if (!clientGone) request.log.error({ err: error }, 'unhandled error');
  return reply.code(500).send(errorBody('internal', 'internal error; see the server log', { requestId: request.id }));
}

function fieldOf(instancePath: string | undefined, params: unknown): string {
  const p = params as { missingProperty?: string; additionalProperty?: string } | undefined;
  if (p?.missingProperty) return p.missingProperty;
  if (p?.additionalProperty) return p.additionalProperty;
  const path = (instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  return path || 'body';
}
