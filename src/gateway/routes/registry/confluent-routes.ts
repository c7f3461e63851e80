/**
 * The Confluent-compatible subset of the schema registry (API.md "Schema registry REST"), with
 * Confluent's paths, field names and error codes so its published clients work unchanged.
 * Registered inside the `/registry` plugin (registry-routes.ts). Reads need scope `read`;
 * registering, deletes and config changes need `admin`, and the caller's name is the audited actor.
 * Deletes follow Confluent: soft first (hidden unless `?deleted=true`), then `?permanent=true`.
 */
import { z } from 'zod';
import { InvalidRequestError, NotFoundError } from '../../../core/index.js';
import { COMPATIBILITY_MODES, SchemaDocumentError } from '../../../schema/index.js';
import type { ListOptions, SchemaRegistry, SchemaVersion, VersionRef } from '../../../schema/index.js';
import { callerName } from '../../auth.js';
import { booleanQuery, optionalQuery } from '../../route-schemas.js';
import type { TypedApp } from '../../route-schemas.js';

/** The one schema type Seamless registers (its documents are restricted JSON Schema). */
export const SCHEMA_TYPE = 'JSON';

/** A version in a path: a positive integer, `latest` or Confluent's `-1` (= latest). */
const versionParam = z.string().transform((text, ctx): VersionRef => {
  if (text === 'latest' || text === '-1') return 'latest';
  const n = Number(text);
  if (/^[1-9][0-9]*$/.test(text) && Number.isSafeInteger(n)) return n;
  ctx.addIssue({ code: 'custom', message: `must be a positive integer or "latest", got "${text}"` });
  return z.NEVER;
});

const SubjectParams = z.object({ subject: z.string() });
const VersionParams = z.object({ subject: z.string(), version: versionParam });
/** `?deleted=true`: soft-deleted subjects and versions are listed and found too. */
const ListQuery = z.object({ deleted: booleanQuery });
/** `?permanent=true`: a soft-deleted subject or version is removed. */
const DeleteQuery = z.object({ permanent: booleanQuery });
const ConfigQuery = z.object({ defaultToGlobal: optionalQuery });
const CompatibilityRequest = z.object({
  compatibility: z.enum(COMPATIBILITY_MODES, { error: (issue) => `must be one of ${COMPATIBILITY_MODES.join(', ')}; got ${JSON.stringify(issue.input)}` }),
}, { error: 'must be a JSON object {"compatibility": "BACKWARD"}' });

/** The body as an object; anything else is reported against `body`. */
function objectBody(body: unknown, example: string): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidRequestError('body', `must be a JSON object ${example}`);
  return body as Record<string, unknown>;
}

/** `{"schema": "<document>", "schemaType"?: "JSON", "references"?: []}` → the document text. */
function schemaOf(body: unknown): string {
  const b = objectBody(body, '{"schema": "<JSON schema document as a string>"}');
  const type = b.schemaType ?? SCHEMA_TYPE;
  if (type !== SCHEMA_TYPE) {
    throw new SchemaDocumentError('schemaType', `Seamless registers only JSON schemas (schemaType "${SCHEMA_TYPE}"); got ${JSON.stringify(type)}`);
  }
  if (Array.isArray(b.references) && b.references.length > 0) throw new SchemaDocumentError('references', 'schema references are not supported');
  if (typeof b.schema !== 'string') throw new SchemaDocumentError('schema', 'is required: the JSON schema document as a string');
  return b.schema;
}

/** The list options of `?deleted=`. */
function listOptions(query: { readonly deleted: boolean }): ListOptions {
  return { deleted: query.deleted };
}

/** Every live version of a subject (with `deleted`, soft-deleted too); none means no subject (40401). */
export async function existingVersions(registry: SchemaRegistry, subject: string, options?: ListOptions): Promise<SchemaVersion[]> {
  const versions = await registry.versions(subject, options);
  if (versions.length === 0) throw new NotFoundError('subject', subject);
  return versions;
}

function versionBody(v: SchemaVersion): Record<string, unknown> {
  return { subject: v.subject, version: v.version, id: v.id, schema: v.schema, schemaType: SCHEMA_TYPE };
}

export function confluentRoutes(app: TypedApp, registry: SchemaRegistry): void {
  const read = { config: { scope: 'read' as const } };
  const admin = { config: { scope: 'admin' as const } };

  app.get('/subjects', { ...read, schema: { querystring: ListQuery } }, async (request) => registry.subjects(listOptions(request.query)));

  app.get('/subjects/:subject/versions', { ...read, schema: { params: SubjectParams, querystring: ListQuery } }, async (request) => {
    const { subject } = request.params;
    return (await existingVersions(registry, subject, listOptions(request.query))).map((v) => v.version);
  });

  // Soft delete of every live version, or (`?permanent=true`, after a soft delete) removal.
  app.delete('/subjects/:subject', { ...admin, schema: { params: SubjectParams, querystring: DeleteQuery } }, async (request) => {
    const { subject } = request.params;
    return registry.deleteSubject(subject, request.query.permanent, callerName(request));
  });

  app.delete('/subjects/:subject/versions/:version', { ...admin, schema: { params: VersionParams, querystring: DeleteQuery } }, async (request) => {
    const { subject, version } = request.params;
    return registry.deleteVersion(subject, version, request.query.permanent, callerName(request));
  });

  app.post('/subjects/:subject/versions', { ...admin, schema: { params: SubjectParams } }, async (request) => {
    const { subject } = request.params;
    const added = await registry.register(subject, schemaOf(request.body), callerName(request));
    return { id: added.id };
  });

  app.get('/subjects/:subject/versions/:version', { ...read, schema: { params: VersionParams, querystring: ListQuery } }, async (request) => {
    const { subject, version } = request.params;
    const options = listOptions(request.query);
    await existingVersions(registry, subject, options);
    const found = await registry.version(subject, version, options);
    if (found === undefined) throw new NotFoundError('version', `${subject} version ${version}`);
    return versionBody(found);
  });

  // Confluent's "is this schema registered under the subject?" (a read, despite the POST).
  app.post('/subjects/:subject', { ...read, schema: { params: SubjectParams } }, async (request) => {
    const { subject } = request.params;
    const text = schemaOf(request.body);
    await existingVersions(registry, subject);
    const found = await registry.lookup(subject, text);
    if (found === undefined) throw new NotFoundError('schema', `no version of ${subject} has this schema`);
    return versionBody(found);
  });

  app.get('/schemas/ids/:id', { ...read, schema: { params: z.object({ id: z.string() }) } }, async (request) => {
    const { id } = request.params;
    const n = Number(id);
    const found = /^[1-9][0-9]*$/.test(id) && Number.isSafeInteger(n) ? await registry.schemaById(n) : undefined;
    if (found === undefined) throw new NotFoundError('schema', `id ${id}`);
    return { schema: found.schema, schemaType: SCHEMA_TYPE };
  });

  app.post('/compatibility/subjects/:subject/versions/:version', { ...read, schema: { params: VersionParams } }, async (request) => {
    const { subject, version } = request.params;
    const result = await registry.checkCompatibility(subject, schemaOf(request.body), version);
    return { is_compatible: result.compatible, messages: result.messages };
  });

  app.get('/config', read, async () => ({ compatibilityLevel: await registry.getCompatibility() }));

  app.put('/config', { ...admin, schema: { body: CompatibilityRequest } }, async (request) => ({
    compatibility: await registry.setCompatibility(undefined, request.body.compatibility, callerName(request)),
  }));

  app.get('/config/:subject', { ...read, schema: { params: SubjectParams, querystring: ConfigQuery } }, async (request) => {
    const { subject } = request.params;
    const defaultToGlobal = request.query.defaultToGlobal === 'true';
    if (!defaultToGlobal && (await registry.getSubjectCompatibility(subject)) === undefined) throw new NotFoundError('subject-level compatibility', subject);
    return { compatibilityLevel: await registry.getCompatibility(subject) };
  });

  app.put('/config/:subject', { ...admin, schema: { params: SubjectParams, body: CompatibilityRequest } }, async (request) => {
    const { subject } = request.params;
    return { compatibility: await registry.setCompatibility(subject, request.body.compatibility, callerName(request)) };
  });
}
