/**
 * Schema documents: parsing the restricted JSON Schema subset described at the top of
 * schema-types.ts into a `ParsedSchema`, the canonical form and the content fingerprint.
 *
 * Canonical form: the parsed JSON re-serialised without whitespace, every object's keys sorted
 * (by UTF-16 code units, so also the `properties`), arrays in their written order except the
 * top-level `required`, which is sorted. The fingerprint is `sha256:<hex>` of its UTF-8 bytes, so
 * two documents differing only in key order, whitespace or `required` order share it.
 */
import { createHash } from 'node:crypto';
import { SchemaDocumentError } from './errors.js';
import type { FieldType, ParsedSchema, SchemaField } from './schema-types.js';

/** A schema document read once: its model, canonical form and fingerprint. */
export interface SchemaDocument {
  readonly schema: ParsedSchema;
  readonly canonical: string;
  /** `sha256:` of `canonical`. */
  readonly fingerprint: string;
}

const TOP_KEYWORDS = ['type', 'title', 'properties', 'required', 'additionalProperties', '$schema', 'description'];
// Timestamps are marked with `$comment`, not `format`: validators such as ajv (used by
// Confluent's JSON clients) reject unknown formats in strict mode but ignore comments.
const PROPERTY_KEYWORDS = ['type', '$comment', 'enum', 'description'];
const TIMESTAMP_FORMAT = 'timestamp-millis';
const INTEGER_NAME = /^(0|[1-9][0-9]*)$/;
/** JSON Schema type name → field type (integer becomes timestamp with the timestamp marker). */
const JSON_TYPES: Readonly<Record<string, FieldType>> = { number: 'float64', integer: 'int64', string: 'string', boolean: 'bool' };
const JSON_TYPE_OF: Readonly<Record<Exclude<FieldType, 'enum'>, string>> = {
  float64: 'number', int64: 'integer', timestamp: 'integer', string: 'string', bool: 'boolean',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(path: string, message: string): never {
  throw new SchemaDocumentError(path, message);
}

function decode(text: string): unknown {
  if (typeof text !== 'string') fail('$', 'the schema must be a string holding a JSON document');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SchemaDocumentError('$', `not valid JSON (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
}

function checkKeywords(node: Record<string, unknown>, allowed: readonly string[], prefix: string): void {
  for (const key of Object.keys(node)) {
    if (!allowed.includes(key)) fail(prefix + key, `unsupported keyword "${key}" (allowed here: ${allowed.join(', ')})`);
  }
}

function optionalString(node: Record<string, unknown>, key: string, path: string): void {
  if (Object.hasOwn(node, key) && typeof node[key] !== 'string') fail(path, 'must be a string');
}

/** `type` of a non-enum property: one JSON type, or `[type, "null"]` in either order. */
function readType(value: unknown, path: string): { base: string; nullable: boolean } {
  const names = Array.isArray(value) ? value : [value];
  if (names.length === 0 || names.length > 2) fail(path, 'must be one type name, or [type, "null"] for a nullable column');
  let base: string | undefined;
  let nullable = false;
  for (let i = 0; i < names.length; i++) {
    const name: unknown = names[i];
    const at = Array.isArray(value) ? `${path}[${i}]` : path;
    if (typeof name !== 'string') fail(at, 'type names must be strings');
    if (name === 'null') {
      if (nullable) fail(at, '"null" is listed twice');
      nullable = true;
    } else if (base !== undefined) {
      fail(at, `a column has one type (found "${base}" and "${name}"); only "null" may be added`);
    } else {
      base = name;
    }
  }
  if (base === undefined) fail(path, 'a column needs a type besides "null"');
  return { base, nullable };
}

function readEnum(prop: Record<string, unknown>, path: string): { symbols: string[]; nullable: boolean } {
  const values = prop.enum;
  if (!Array.isArray(values) || values.length === 0) fail(`${path}.enum`, 'must be a non-empty array of string symbols');
  const symbols: string[] = [];
  let nullable = false;
  for (let i = 0; i < values.length; i++) {
    const symbol: unknown = values[i];
    if (symbol === null && !nullable) nullable = true;
    else if (typeof symbol !== 'string') fail(`${path}.enum[${i}]`, 'enum symbols must be strings (add null once for a nullable column)');
    else if (symbols.includes(symbol)) fail(`${path}.enum[${i}]`, `symbol "${symbol}" is listed twice`);
    else symbols.push(symbol);
  }
  if (symbols.length === 0) fail(`${path}.enum`, 'needs at least one string symbol');
  if (Object.hasOwn(prop, 'type')) {
    const t = readType(prop.type, `${path}.type`);
    if (t.base !== 'string') fail(`${path}.type`, `an enum column has type "string", not "${t.base}"`);
    nullable ||= t.nullable;
  }
  if (Object.hasOwn(prop, '$comment')) fail(`${path}.$comment`, 'an enum column takes no timestamp marker');
  return { symbols, nullable };
}

function readField(name: string, value: unknown, required: boolean): SchemaField {
  const path = `properties.${name}`;
  if (!isRecord(value)) fail(path, 'must be an object describing the column');
  checkKeywords(value, PROPERTY_KEYWORDS, `${path}.`);
  optionalString(value, 'description', `${path}.description`);
  if (Object.hasOwn(value, 'enum')) {
    const { symbols, nullable } = readEnum(value, path);
    return Object.freeze({ name, type: 'enum', nullable, required, symbols: Object.freeze(symbols) });
  }
  if (!Object.hasOwn(value, 'type')) fail(`${path}.type`, 'missing: every column needs a type or an enum');
  const { base, nullable } = readType(value.type, `${path}.type`);
  if (!Object.hasOwn(JSON_TYPES, base)) fail(`${path}.type`, `unsupported type "${base}" (supported: number, integer, string, boolean; enum via "enum")`);
  let type = JSON_TYPES[base];
  if (Object.hasOwn(value, '$comment')) {
    if (value.$comment !== TIMESTAMP_FORMAT || base !== 'integer') fail(`${path}.$comment`, `only "${TIMESTAMP_FORMAT}" on an integer column is supported (it marks an epoch-ms timestamp)`);
    type = 'timestamp';
  }
  return Object.freeze({ name, type, nullable, required });
}

function readRequired(value: unknown, properties: Record<string, unknown>): Set<string> {
  if (!Array.isArray(value)) fail('required', 'must be an array of property names');
  const names = new Set<string>();
  for (let i = 0; i < value.length; i++) {
    const name: unknown = value[i];
    if (typeof name !== 'string') fail(`required[${i}]`, 'must be a property name (a string)');
    if (!Object.hasOwn(properties, name)) fail(`required[${i}]`, `names "${name}", which is not in properties`);
    if (names.has(name)) fail(`required[${i}]`, `"${name}" is listed twice`);
    names.add(name);
  }
  return names;
}

function toParsed(doc: unknown): ParsedSchema {
  if (!isRecord(doc)) fail('$', 'must be a JSON object ({"type": "object", "title": …, "properties": {…}})');
  checkKeywords(doc, TOP_KEYWORDS, '');
  if (doc.type !== 'object') fail('type', 'must be "object" (a schema describes one row)');
  if (typeof doc.title !== 'string' || doc.title.length === 0) fail('title', 'must be a non-empty string naming the schema');
  optionalString(doc, 'description', 'description');
  optionalString(doc, '$schema', '$schema');
  if (Object.hasOwn(doc, 'additionalProperties') && typeof doc.additionalProperties !== 'boolean') fail('additionalProperties', 'must be true or false');
  const properties = doc.properties;
  if (!isRecord(properties)) fail('properties', 'must be an object mapping column names to their types');
  const names = Object.keys(properties);
  if (names.length === 0) fail('properties', 'must declare at least one column');
  const required = Object.hasOwn(doc, 'required') ? readRequired(doc.required, properties) : new Set<string>();
  const fields: SchemaField[] = [];
  for (const name of names) {
    if (name.length === 0) fail('properties', 'a column name must not be empty');
    // JavaScript objects list integer-like keys first, so their written order could not be kept.
    if (INTEGER_NAME.test(name)) fail(`properties.${name}`, 'a column name must not be a bare integer (its position could not be kept)');
    fields.push(readField(name, properties[name], required.has(name)));
  }
  return Object.freeze({ title: doc.title, fields: Object.freeze(fields) });
}

/** Sorted keys, no whitespace; `sortItems` sorts an array (only the top-level `required`). */
function canonicalJson(value: unknown, top: boolean, sortItems = false): string {
  if (Array.isArray(value)) {
    const items = value.map((v: unknown) => canonicalJson(v, false));
    if (sortItems) items.sort();
    return `[${items.join(',')}]`;
  }
  if (isRecord(value)) {
    const parts: string[] = [];
    for (const key of Object.keys(value).sort()) {
      parts.push(`${JSON.stringify(key)}:${canonicalJson(value[key], false, top && key === 'required')}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value);
}

function sha256(text: string): string {
  return 'sha256:' + createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Parses and checks a schema document once; throws `SchemaDocumentError` naming the JSON path. */
export function readSchemaDocument(text: string): SchemaDocument {
  const doc = decode(text);
  const schema = toParsed(doc);
  const canonical = canonicalJson(doc, true);
  return Object.freeze({ schema, canonical, fingerprint: sha256(canonical) });
}

/**
 * The model of a schema document; fields in the order the `properties` are written.
 * @example parseSchema('{"type":"object","title":"t","properties":{"px":{"type":"number"}}}').fields[0].type // 'float64'
 */
export function parseSchema(text: string): ParsedSchema {
  return toParsed(decode(text));
}

/** The canonical form (sorted keys, no whitespace, sorted `required`) of a valid document. */
export function canonicalSchema(text: string): string {
  return readSchemaDocument(text).canonical;
}

/** `sha256:<hex>` of the canonical form: independent of key order and whitespace. */
export function schemaFingerprint(text: string): string {
  return readSchemaDocument(text).fingerprint;
}

/** `sha256:<hex>` over canonical forms in order (one per line): a subject's "bundle". */
export function bundleFingerprint(canonicals: readonly string[]): string {
  return sha256(canonicals.join('\n'));
}

function renderField(field: SchemaField): Record<string, unknown> {
  if (field.type === 'enum') return { enum: field.nullable ? [...(field.symbols ?? []), null] : [...(field.symbols ?? [])] };
  const base = JSON_TYPE_OF[field.type];
  const out: Record<string, unknown> = { type: field.nullable ? [base, 'null'] : base };
  if (field.type === 'timestamp') out.$comment = TIMESTAMP_FORMAT;
  return out;
}

/** A schema document (indented JSON) for a model; `parseSchema(renderSchema(s))` equals `s`. */
export function renderSchema(schema: ParsedSchema, options: { description?: string } = {}): string {
  // A null-prototype object, so a column named "__proto__" stays an ordinary key.
  const properties = Object.create(null) as Record<string, unknown>;
  const required: string[] = [];
  for (const field of schema.fields) {
    properties[field.name] = renderField(field);
    if (field.required) required.push(field.name);
  }
  const doc: Record<string, unknown> = { type: 'object', title: schema.title };
  if (options.description !== undefined) doc.description = options.description;
  doc.properties = properties;
  doc.required = required;
  return JSON.stringify(doc, null, 2);
}
