/**
 * Seamless' extensions of the registry REST (API.md): validation modes, promotions canary →
 * strict with two approvals by different identities, and the audit log. Registered inside the
 * `/registry` plugin. The identity of a request, approval or mode change is the caller's API key
 * name (`anonymous` when auth is off, so two approvals need keys).
 */
import { z } from 'zod';
import { NotFoundError } from '../../../core/index.js';
import { VALIDATION_MODES } from '../../../schema/index.js';
import type { SchemaRegistry } from '../../../schema/index.js';
import { callerName } from '../../auth.js';
import { optionalQuery } from '../../route-schemas.js';
import type { TypedApp } from '../../route-schemas.js';
import { existingVersions } from './confluent-routes.js';

const SubjectParams = z.object({ subject: z.string() });
const IdParams = z.object({ id: z.string() });
const SubjectQuery = z.object({ subject: optionalQuery });

/** A body of these fields; no body is an empty object (the fields then answer for themselves). */
function bodyOf<S extends z.ZodRawShape>(shape: S, example: string) {
  return z.preprocess((body) => body ?? {}, z.object(shape, { error: `must be a JSON object ${example}` }));
}

const ModeRequest = bodyOf({
  mode: z.enum(VALIDATION_MODES, { error: (issue) => `must be one of ${VALIDATION_MODES.join(', ')}; got ${JSON.stringify(issue.input)}` }),
}, '{"mode": "canary"}');

const PromotionRequest = bodyOf({
  changeRequest: z.string({ error: 'is required: the change request (ticket id) justifying the promotion' })
    .refine((text) => text.trim() !== '', { error: 'is required: the change request (ticket id) justifying the promotion' }),
  version: z.int({ error: 'must be a positive integer (the version to promote; default latest)' })
    .min(1, { error: 'must be a positive integer (the version to promote; default latest)' }).nullish(),
}, '{"changeRequest": "CR-123", "version"?: 2}');

export function extensionRoutes(app: TypedApp, registry: SchemaRegistry): void {
  const read = { config: { scope: 'read' as const } };
  const admin = { config: { scope: 'admin' as const } };

  app.get('/mode/:subject', { ...read, schema: { params: SubjectParams } }, async (request) => {
    const { subject } = request.params;
    await existingVersions(registry, subject);
    return { mode: await registry.getValidationMode(subject) };
  });

  // `canary` only; `strict` answers 409 (reason promotion_required): use a promotion.
  app.put('/mode/:subject', { ...admin, schema: { params: SubjectParams, body: ModeRequest } }, async (request) => {
    const { subject } = request.params;
    const { mode } = request.body;
    await existingVersions(registry, subject);
    return { mode: await registry.setValidationMode(subject, mode, callerName(request)) };
  });

  app.post('/subjects/:subject/promotions', { ...admin, schema: { params: SubjectParams, body: PromotionRequest } }, async (request, reply) => {
    const { subject } = request.params;
    const { changeRequest, version } = request.body;
    const promotion = await registry.requestPromotion(subject, { changeRequest, ...(version != null ? { version } : {}), requestedBy: callerName(request) });
    return reply.code(201).send({ promotion });
  });

  app.get('/promotions', { ...read, schema: { querystring: SubjectQuery } }, async (request) => {
    const { subject } = request.query;
    return { promotions: await registry.promotions(subject) };
  });

  app.get('/promotions/:id', { ...read, schema: { params: IdParams } }, async (request) => {
    const { id } = request.params;
    const promotion = await registry.promotion(id);
    if (promotion === undefined) throw new NotFoundError('promotion', id);
    return { promotion };
  });

  app.post('/promotions/:id/approvals', { ...admin, schema: { params: IdParams } }, async (request) => {
    const { id } = request.params;
    return { promotion: await registry.approve(id, callerName(request)) };
  });

  app.get('/audit', { ...read, schema: { querystring: SubjectQuery } }, async (request) => {
    const { subject } = request.query;
    return { entries: await registry.audit(subject) };
  });
}
