/**
 * One JSON body parser for every route: `application/json` and any `application/*+json` media
 * type (Confluent's `application/vnd.schemaregistry.v1+json`, `application/problem+json`, …).
 *
 * - An empty body is no body (`undefined`), whatever the method: clients such as Confluent's send
 *   DELETE and GET with a JSON content type and nothing after it, and fastify's default parser
 *   answers those with 400 "Body cannot be empty". A route that needs a body says so itself,
 *   naming the field.
 * - Every other refusal says what it is — fastify's default answers all of them "Body is not
 *   valid JSON", even valid JSON carrying a `__proto__` (or `constructor.prototype`) key, refused
 *   because it could alter object prototypes: invalid JSON (with the parser's reason, capped), or
 *   a forbidden key named by its path. The key scan runs only when the text could hold one.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidRequestError } from '../core/index.js';

/**
 * `application/json` and structured-syntax `+json` types. fastify matches a RegExp parser against
 * the whole header, so parameters (`; charset=utf-8`) are allowed after the media type.
 */
export const JSON_MEDIA_TYPES = /^application\/(?:[a-z0-9!#$&^_.-]+\+)?json\s*(?:;.*)?$/i;
/** The longest parser reason echoed back (it may quote the input). */
const MAX_REASON_CHARS = 160;
/** Text that may spell a forbidden key, escaped or not: only then is the parsed value walked. */
const MAY_POISON = /__proto__|constructor|\\u/;
/** In the refusals' details: the body parser refused it (the registry answers those as Confluent does, 400). */
const PARSER = Object.freeze({ parser: 'json' });

export function registerJsonBody(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(JSON_MEDIA_TYPES, { parseAs: 'string' }, (_request: FastifyRequest, body: string | Buffer, done: (err: Error | null, value?: unknown) => void) => {
    try {
      done(null, parseJsonBody(typeof body === 'string' ? body : body.toString('utf8')));
    } catch (error) {
      done(error as Error);
    }
  });
}

/** Parses a request body (empty: undefined); throws InvalidRequestError naming `body`, or the forbidden key's path. */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidRequestError('body', `is not valid JSON: ${reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS)}…` : reason}`, PARSER);
  }
  if (MAY_POISON.test(text)) {
    const path = forbiddenKeyPath(value);
    if (path !== undefined) throw new InvalidRequestError(path, 'is not allowed in a JSON body: a "__proto__" or "constructor.prototype" key could alter object prototypes; remove it', PARSER);
  }
  return value;
}

/** The dotted path of the first `__proto__` or `constructor.prototype` key, if any. */
function forbiddenKeyPath(root: unknown): string | undefined {
  const stack: { value: unknown; path: string }[] = [{ value: root, path: '' }];
  const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, path } = item;
    if (value === null || typeof value !== 'object') continue;
    const at = (k: string): string => (path === '' ? k : `${path}.${k}`);
    if (has(value, '__proto__')) return at('__proto__');
    const ctor: unknown = has(value, 'constructor') ? (value as Record<string, unknown>).constructor : undefined;
    if (ctor !== null && typeof ctor === 'object' && has(ctor, 'prototype')) return at('constructor.prototype');
    for (const [k, v] of Object.entries(value)) if (v !== null && typeof v === 'object') stack.push({ value: v, path: at(k) });
  }
  return undefined;
}
