/**
 * One JSON body parser for every route: `application/json` and any `application/*+json` media
 * type (Confluent's `application/vnd.schemaregistry.v1+json`, `application/problem+json`, …).
 * An empty body is no body (`undefined`), whatever the method: clients such as Confluent's send
 * DELETE and GET with a JSON content type and nothing after it, and fastify's default parser
 * answers those with 400 "Body cannot be empty". A route that needs a body says so itself,
 * naming the field. A non-empty body still goes through fastify's parser (prototype-poisoning
 * protection, 400 on malformed JSON).
 */
import type { FastifyInstance } from 'fastify';

/** `application/json` and structured-syntax `+json` types, matched against the media type without parameters. */
export const JSON_MEDIA_TYPES = /^application\/(?:[a-z0-9!#$&^_.-]+\+)?json$/i;

export function registerJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(JSON_MEDIA_TYPES, { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.length === 0) {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });
}
