/**
 * Routes' declared inputs: a zod refusal answers `invalid_request` naming the field, the way the
 * hand-written checks did — a repeated or missing query parameter, an unknown or nested body
 * field, a body that is no object. A bare fastify app with the gateway's JSON body parser, its
 * error reply and one typed route (our own helpers, no façade).
 */
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sendError } from '../../../src/gateway/internal.js';
import { registerJsonBody } from '../../../src/gateway/internal.js';
import { bodyObject, booleanQuery, integerField, requiredQuery, typedRoutes } from '../../../src/gateway/internal.js';

interface ErrorJson { error: { code: string; message: string; details: { field?: string } } }

const apps: FastifyInstance[] = [];
afterEach(async () => { for (const app of apps.splice(0)) await app.close(); });

async function appWithTypedRoute(): Promise<FastifyInstance> {
  const app = Fastify();
  registerJsonBody(app);
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  typedRoutes(app, (scope) => {
    scope.post('/echo', {
      schema: {
        querystring: z.object({ node: requiredQuery('node', 'ohlcv:demo:BTC-USD'), dry: booleanQuery }),
        body: bodyObject({ count: integerField(1, 10), inner: bodyObject({ at: integerField() }).optional() }),
      },
    }, async (request) => ({ node: request.query.node, dry: request.query.dry, count: request.body.count }));
  });
  await app.ready();
  apps.push(app);
  return app;
}

async function refusal(app: FastifyInstance, url: string, body: unknown): Promise<ErrorJson['error']> {
  const res = await app.inject({ method: 'POST', url, payload: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  expect(res.statusCode, res.body).toBe(400);
  return (res.json() as ErrorJson).error;
}

describe('route schemas', () => {
  it('hands the handler the parsed values', async () => {
    const app = await appWithTypedRoute();
    const res = await app.inject({ method: 'POST', url: '/echo?node=a&dry=1', payload: { count: 3 } });
    expect(res.json()).toEqual({ node: 'a', dry: true, count: 3 });
  });

  it.each([
    ['a missing query parameter, with an example', '/echo', { count: 1 }, 'node', /node: is required \(e\.g\. node=ohlcv:demo:BTC-USD\)/],
    ['an empty query parameter as missing', '/echo?node=', { count: 1 }, 'node', /node: is required/],
    ['a repeated query parameter', '/echo?node=a&node=b', { count: 1 }, 'node', /node: must be given once/],
    ['a boolean that is neither true nor false', '/echo?node=a&dry=maybe', { count: 1 }, 'dry', /dry: must be true or false, got "maybe"/],
    ['an unknown body field by its name', '/echo?node=a', { count: 1, extra: 2 }, 'extra', /extra: unknown field; expected count, inner/],
    ['an unknown field before a missing one', '/echo?node=a', { extra: 2 }, 'extra', /extra: unknown field/],
    ['a missing body field', '/echo?node=a', {}, 'count', /count: is required/],
    ['a fraction where an integer goes', '/echo?node=a', { count: 1.5 }, 'count', /count: must be an integer/],
    ['an integer out of range', '/echo?node=a', { count: 11 }, 'count', /count: must be from 1 to 10/],
    ['a nested field by its dotted path', '/echo?node=a', { count: 1, inner: { at: 'x' } }, 'inner.at', /inner\.at: must be an integer/],
    ['no body at all', '/echo?node=a', undefined, 'body', /body: must be a JSON object \{count, inner\}/],
    ['a body that is an array', '/echo?node=a', [1], 'body', /body: must be a JSON object/],
  ])('refuses %s, naming the field', async (_name, url, body, field, message) => {
    const app = await appWithTypedRoute();
    const error = await refusal(app, url, body);
    expect(error.code).toBe('invalid_request');
    expect(error.details.field).toBe(field);
    expect(error.message).toMatch(message);
  });
});
