/**
 * The schema registry served under `/registry`: one encapsulated fastify plugin holding the
 * Confluent subset (confluent-routes.ts) and Seamless' extensions (extension-routes.ts), with
 * Confluent's content types and error bodies (confluent-errors.ts) inside its own scope only.
 * Auth (the root `onRequest` hook) still applies: route configs carry the scope. Routes declare
 * their params and query as zod schemas; a refusal answers Confluent's 422 naming the field.
 */
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../../core/index.js';
import type { SeamlessApi as Seamless } from '../../seamless-api.js';
import { CONFLUENT_CONTENT_TYPE, sendConfluentError } from './confluent-errors.js';
import { confluentRoutes } from './confluent-routes.js';
import { extensionRoutes } from './extension-routes.js';
import { typedRoutes } from '../../route-schemas.js';

export const REGISTRY_PREFIX = '/registry';

export function registryRoutes(app: FastifyInstance, seamless: Pick<Seamless, 'registry'>): void {
  typedRoutes(app, (registry) => {
    // Confluent's media types (application/vnd.schemaregistry.v1+json, …) are parsed by the
    // gateway's one JSON parser (json-body.ts), which also takes their empty DELETE bodies.
    registry.addHook('onRequest', async (_request, reply) => {
      reply.type(CONFLUENT_CONTENT_TYPE);
    });
    registry.setErrorHandler((error, request, reply) => sendConfluentError(error, request, reply));
    registry.setNotFoundHandler((request, reply) => sendConfluentError(new NotFoundError('route', `${request.method} ${request.url.split('?')[0]}`), request, reply));
    confluentRoutes(registry, seamless.registry);
    extensionRoutes(registry, seamless.registry);
  }, { prefix: REGISTRY_PREFIX });
}
