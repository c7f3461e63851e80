import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { registerJsonBody } from '../../../src/gateway/internal.js';

describe('the gateway JSON body parser', () => {
  async function post(contentType: string, payload: string): Promise<{ status: number; body: unknown }> {
    const app = Fastify();
    registerJsonBody(app);
    app.post('/echo', async (request) => ({ got: request.body ?? null }));
    const res = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': contentType }, payload });
    await app.close();
    return { status: res.statusCode, body: res.json() };
  }

  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON;charset=UTF-8',
    'application/vnd.schemaregistry.v1+json',
    'application/vnd.schemaregistry.v1+json; charset=utf-8',
  ])('parses a body sent as %s', async (contentType) => {
    expect(await post(contentType, '{"a":1}')).toEqual({ status: 200, body: { got: { a: 1 } } });
  });

  it('takes an empty body as no body', async () => {
    expect(await post('application/json; charset=utf-8', '')).toEqual({ status: 200, body: { got: null } });
  });

  it('leaves other media types to their own parsers', async () => {
    expect((await post('application/jsonx', '{"a":1}')).status).toBe(415);
  });
});
