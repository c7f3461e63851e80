/**
 * Bearer API key authentication. Routes declare the scope they need in their config
 * (`config: { scope: 'read' }`); routes without a scope (health, metrics) are open. With no keys
 * configured, auth is off and the server only binds loopback (see serve-gateway.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../core/index.js';
import type { Identity, KeyVerifier, Scope } from './api-keys.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: Scope;
  }
  interface FastifyRequest {
    identity: Identity | undefined;
  }
}

const ANONYMOUS: Identity = Object.freeze({ name: 'anonymous', scopes: new Set(['read', 'backfill', 'admin'] as const) });

export function registerAuth(app: FastifyInstance, verifier: KeyVerifier): void {
  app.decorateRequest('identity', undefined);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const scope = request.routeOptions.config.scope;
    if (!verifier.enabled) {
      request.identity = ANONYMOUS;
      return;
    }
    const header = request.headers.authorization;
    const secret = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const identity = secret ? verifier.verify(secret) : undefined;
    request.identity = identity;
    if (scope === undefined) return;
    if (!identity) throw new UnauthorizedError(secret ? 'the API key is not valid' : 'a bearer API key is required (Authorization: Bearer <key>)');
    if (!identity.scopes.has(scope)) throw new ForbiddenError(scope, identity.name);
  });
}

/** The caller's name for logs and events. */
export function callerName(request: FastifyRequest): string {
  return request.identity?.name ?? 'anonymous';
}
