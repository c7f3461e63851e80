/**
 * Bearer API key authentication. Routes declare the scope they need in their config
 * (`config: { scope: 'read' }`); routes without a scope (health, metrics) are open. With no keys
 * configured, auth is off and the server only binds loopback (see serve-gateway.ts).
 *
 * The scheme is matched case-insensitively (RFC 7235 §2.1: `bearer`, `BEARER` are `Bearer`). A
 * 401 carries `WWW-Authenticate: Bearer realm="seamless"` (RFC 6750 §3; with
 * `error="invalid_token"` when a key was presented and is not valid), a 403
 * `error="insufficient_scope"` with the scope needed. Scopes imply others as api-keys.ts says.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../core/index.js';
import { SCOPES } from './api-keys.js';
import type { Identity, KeyVerifier, Scope } from './api-keys.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: Scope;
    /**
     * Also accept the key where browsers can put it (stream routes: EventSource and WebSocket cannot
     * set headers): `?access_token=<key>`, or the WebSocket subprotocol `bearer.<key>`.
     */
    keyOutsideHeader?: boolean;
  }
  interface FastifyRequest {
    identity: Identity | undefined;
  }
}

export const AUTH_REALM = 'seamless';

const ANONYMOUS: Identity = Object.freeze({ name: 'anonymous', scopes: new Set(SCOPES), granted: SCOPES });

/** The credentials of an `Authorization: Bearer <token>` header (scheme in any case), or undefined. */
export function bearerSecret(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*([^\s]+)\s+(.+)$/.exec(header);
  if (match === null || match[1].toLowerCase() !== 'bearer') return undefined;
  const secret = match[2].trim();
  return secret === '' ? undefined : secret;
}

export function registerAuth(app: FastifyInstance, verifier: KeyVerifier): void {
  app.decorateRequest('identity', undefined);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const scope = request.routeOptions.config.scope;
    if (!verifier.enabled) {
      request.identity = ANONYMOUS;
      return;
    }
    const secret = bearerSecret(request.headers.authorization)
      ?? (request.routeOptions.config.keyOutsideHeader === true ? keyOutsideHeader(request) : undefined);
    const identity = secret ? verifier.verify(secret) : undefined;
    request.identity = identity;
    if (scope === undefined) return;
    if (!identity) {
      reply.header('www-authenticate', secret ? `Bearer realm="${AUTH_REALM}", error="invalid_token"` : `Bearer realm="${AUTH_REALM}"`);
      throw new UnauthorizedError(secret ? 'the API key is not valid' : 'a bearer API key is required (Authorization: Bearer <key>)');
    }
    if (!identity.scopes.has(scope)) {
      reply.header('www-authenticate', `Bearer realm="${AUTH_REALM}", error="insufficient_scope", scope="${scope}"`);
      throw new ForbiddenError(scope, identity.name, scopeHint(scope, identity));
    }
  });
}

/** Subprotocol prefix that carries a key on a WebSocket upgrade (`Sec-WebSocket-Protocol: seamless.v1, bearer.<key>`). */
export const WS_KEY_PROTOCOL_PREFIX = 'bearer.';

/** A key in `?access_token=` or in a `bearer.<key>` WebSocket subprotocol; never logged (the access log has the route, not the URL). */
function keyOutsideHeader(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = query?.access_token;
  if (typeof fromQuery === 'string' && fromQuery !== '') return fromQuery;
  const protocols = request.headers['sec-websocket-protocol'];
  if (typeof protocols !== 'string') return undefined;
  for (const part of protocols.split(',')) {
    const p = part.trim();
    if (p.startsWith(WS_KEY_PROTOCOL_PREFIX) && p.length > WS_KEY_PROTOCOL_PREFIX.length) return p.slice(WS_KEY_PROTOCOL_PREFIX.length);
  }
  return undefined;
}

/** Why a key lacks `scope`, when there is more to say than the scope's name. */
function scopeHint(scope: Scope, identity: Identity): string | undefined {
  if (scope === 'worker' && identity.scopes.has('backfill')) {
    return 'worker endpoints (leases, shard uploads, upstream permits) need scope worker, which backfill no longer implies: add worker to this key\'s scopes in auth.keys (docs/configuration.md#auth)';
  }
  return undefined;
}

/** The caller's name for logs and events. */
export function callerName(request: FastifyRequest): string {
  return request.identity?.name ?? 'anonymous';
}

/** Whether the caller holds `scope` (auth off: everyone does). */
export function callerHas(request: FastifyRequest, scope: Scope): boolean {
  return request.identity?.scopes.has(scope) ?? false;
}
