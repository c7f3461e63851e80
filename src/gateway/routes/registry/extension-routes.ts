/**
 * Seamless' extensions of the registry REST (API.md): validation modes, promotions canary →
 * strict with two approvals by different identities, and the audit log. Registered inside the
 * `/registry` plugin. The identity of a request, approval or mode change is the caller's API key
 * name (`anonymous` when auth is off, so two approvals need keys).
 */
import type { FastifyInstance } from 'fastify';
import { InvalidRequestError, NotFoundError } from '../../../core/index.js';
import type { SeamlessApi as Seamless } from '../../seamless-api.js';
import { VALIDATION_MODES } from '../../../schema/index.js';
import type { ValidationMode } from '../../../schema/index.js';
import { callerName } from '../../auth.js';
import { optionalParam } from '../../query-params.js';
import type { Query } from '../../query-params.js';
import { existingVersions } from './confluent-routes.js';

type SubjectParams = { readonly subject: string };

function objectBody(body: unknown, example: string): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidRequestError('body', `must be a JSON object ${example}`);
  return body as Record<string, unknown>;
}

function modeOf(body: unknown): ValidationMode {
  const mode = objectBody(body, '{"mode": "canary"}').mode;
  if (typeof mode !== 'string' || !(VALIDATION_MODES as readonly string[]).includes(mode)) {
    throw new InvalidRequestError('mode', `must be one of ${VALIDATION_MODES.join(', ')}; got ${JSON.stringify(mode)}`);
  }
  return mode as ValidationMode;
}

function promotionRequestOf(body: unknown): { changeRequest: string; version?: number } {
  const b = objectBody(body, '{"changeRequest": "CR-123", "version"?: 2}');
  if (typeof b.changeRequest !== 'string' || b.changeRequest.trim() === '') throw new InvalidRequestError('changeRequest', 'is required: the change request (ticket id) justifying the promotion');
  if (b.version === undefined || b.version === null) return { changeRequest: b.changeRequest };
  if (typeof b.version !== 'number' || !Number.isSafeInteger(b.version) || b.version < 1) throw new InvalidRequestError('version', 'must be a positive integer (the version to promote; default latest)');
  return { changeRequest: b.changeRequest, version: b.version };
}

export function extensionRoutes(app: FastifyInstance, seamless: Seamless): void {
  const { registry } = seamless;
  const read = { config: { scope: 'read' as const } };
  const admin = { config: { scope: 'admin' as const } };

  app.get('/mode/:subject', read, async (request) => {
    const { subject } = request.params as SubjectParams;
    await existingVersions(registry, subject);
    return { mode: await registry.getValidationMode(subject) };
  });

  // `canary` only; `strict` answers 409 (reason promotion_required): use a promotion.
  app.put('/mode/:subject', admin, async (request) => {
    const { subject } = request.params as SubjectParams;
    const mode = modeOf(request.body);
    await existingVersions(registry, subject);
    return { mode: await registry.setValidationMode(subject, mode, callerName(request)) };
  });

  app.post('/subjects/:subject/promotions', admin, async (request, reply) => {
    const { subject } = request.params as SubjectParams;
    const promotion = await registry.requestPromotion(subject, { ...promotionRequestOf(request.body), requestedBy: callerName(request) });
    return reply.code(201).send({ promotion });
  });

  app.get('/promotions', read, async (request) => {
    const subject = optionalParam(request.query as Query, 'subject');
    return { promotions: await registry.promotions(subject) };
  });

  app.get('/promotions/:id', read, async (request) => {
    const { id } = request.params as { id: string };
    const promotion = await registry.promotion(id);
    if (promotion === undefined) throw new NotFoundError('promotion', id);
    return { promotion };
  });

  app.post('/promotions/:id/approvals', admin, async (request) => {
    const { id } = request.params as { id: string };
    return { promotion: await registry.approve(id, callerName(request)) };
  });

  app.get('/audit', read, async (request) => {
    const subject = optionalParam(request.query as Query, 'subject');
    return { entries: await registry.audit(subject) };
  });
}
