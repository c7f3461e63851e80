/**
 * How routes declare their inputs (query string, path params, JSON body) to fastify: zod schemas
 * compiled by fastify-type-provider-zod, so a handler receives typed values and never checks or
 * casts them itself. `typedRoutes` registers a feature's routes in a scope that compiles zod;
 * the builders below write each refusal's message for the field it concerns (error-reply.ts
 * turns a refusal into `invalid_request` naming that field: `<field>: <message>`).
 */
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** A fastify instance whose routes take zod schemas and hand their handlers the parsed values. */
export type TypedApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

/** Registers `routes` in an encapsulated scope that compiles zod schemas (the app's hooks, auth and error handler apply). */
export function typedRoutes(app: FastifyInstance, routes: (scope: TypedApp) => void, options: { readonly prefix?: string } = {}): void {
  void app.register(async (scope) => {
    scope.setValidatorCompiler(validatorCompiler);
    scope.setSerializerCompiler(serializerCompiler);
    routes(scope.withTypeProvider<ZodTypeProvider>());
  }, options);
}

/**
 * One query-string parameter: given at most once (fastify makes a repeated one an array), and an
 * empty value (`?start=`) is no value.
 */
export function queryParam<T extends z.ZodType>(schema: T): z.ZodPreprocess<T> {
  return z.preprocess((value, ctx) => {
    if (Array.isArray(value)) {
      ctx.addIssue({ code: 'custom', message: 'must be given once' });
      return z.NEVER;
    }
    return value === '' ? undefined : value;
  }, schema);
}

/** A required query parameter; the refusal shows an example (`is required (e.g. node=…)`). */
export function requiredQuery(name: string, example: string): z.ZodPreprocess<z.ZodString> {
  return queryParam(z.string({ error: `is required (e.g. ${name}=${example})` }));
}

/** An optional free-text query parameter. */
export const optionalQuery = queryParam(z.string().optional());

/** `true`/`1` or `false`/`0`; absent is false. */
export const booleanQuery = queryParam(
  z.enum(['true', '1', 'false', '0'], { error: (issue) => `must be true or false, got "${String(issue.input)}"` }).optional(),
).transform((value) => value === 'true' || value === '1');

/** An optional query parameter taking one of `allowed`. */
export function enumQuery<const T extends readonly [string, ...string[]]>(allowed: T): z.ZodPreprocess<z.ZodOptional<z.ZodEnum<{ [K in T[number]]: K }>>> {
  return queryParam(z.enum(allowed, { error: (issue) => `unknown value "${String(issue.input)}"; one of ${allowed.join(', ')}` }).optional());
}

/** A JSON body object with exactly `shape`'s fields: anything else, or an unknown field, is refused naming it. */
export function bodyObject<S extends z.ZodRawShape>(shape: S): z.ZodObject<S, z.core.$strict> {
  const fields = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field; expected ${fields.join(', ')}` : `must be a JSON object {${fields.join(', ')}}`),
  });
}

/** An integer field from `min` to `max` (safe integers only); `required` is the refusal of a missing one. */
export function integerField(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER, required = 'is required'): z.ZodInt {
  const range = `must be from ${min} to ${max}`;
  return z.int({ error: (issue) => (issue.input === undefined ? required : Number.isInteger(issue.input) ? range : 'must be an integer') })
    .min(min, { error: range }).max(max, { error: range });
}

/**
 * A string field of 1 to `maxLength` characters; `required` (the refusal of a missing one) makes
 * it required, else it is optional.
 */
export function stringField(maxLength: number): z.ZodOptional<z.ZodString>;
export function stringField(maxLength: number, required: string): z.ZodString;
export function stringField(maxLength: number, required?: string): z.ZodString | z.ZodOptional<z.ZodString> {
  const nonEmpty = 'must be a non-empty string';
  const s = z.string({ error: (issue) => (issue.input === undefined && required !== undefined ? required : nonEmpty) })
    .min(1, { error: nonEmpty }).max(maxLength, { error: `must be at most ${maxLength} characters` });
  return required === undefined ? s.optional() : s;
}
