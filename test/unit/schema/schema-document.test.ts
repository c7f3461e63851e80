import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../src/core/index.js';
import { SchemaDocumentError } from '../../../src/schema/index.js';
import { canonicalSchema, parseSchema, readSchemaDocument, renderSchema, schemaFingerprint } from '../../../src/schema/internal.js';
import type { ParsedSchema, SchemaField } from '../../../src/schema/index.js';

const BAR = JSON.stringify({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  title: 'bar',
  description: 'one bar',
  properties: {
    ts: { type: 'integer', $comment: 'timestamp-millis' },
    close: { type: 'number' },
    volume: { type: ['number', 'null'] },
    trades: { type: 'integer', description: 'count' },
    venue: { type: 'string' },
    final: { type: 'boolean' },
    side: { enum: ['buy', 'sell'] },
    flag: { type: ['string', 'null'], enum: ['x', 'y'] },
  },
  required: ['ts', 'close'],
  additionalProperties: false,
});

function doc(properties: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: 'object', title: 't', properties, ...extra });
}

/** The JSON path a bad document is rejected with. */
function pathOf(text: string): string {
  try {
    parseSchema(text);
  } catch (err) {
    expect(err).toBeInstanceOf(SchemaDocumentError);
    expect(err).toBeInstanceOf(InvalidRequestError);
    const e = err as SchemaDocumentError;
    expect(e.code).toBe('invalid_request');
    expect(e.httpStatus).toBe(400);
    return e.field;
  }
  throw new InvalidRequestError('test', 'expected the document to be rejected');
}

describe('schema documents', () => {
  it('parses every supported field type with nullability and required, in the order written', () => {
    const s = parseSchema(BAR);
    expect(s.title).toBe('bar');
    expect(s.fields).toEqual([
      { name: 'ts', type: 'timestamp', nullable: false, required: true },
      { name: 'close', type: 'float64', nullable: false, required: true },
      { name: 'volume', type: 'float64', nullable: true, required: false },
      { name: 'trades', type: 'int64', nullable: false, required: false },
      { name: 'venue', type: 'string', nullable: false, required: false },
      { name: 'final', type: 'bool', nullable: false, required: false },
      { name: 'side', type: 'enum', nullable: false, required: false, symbols: ['buy', 'sell'] },
      { name: 'flag', type: 'enum', nullable: true, required: false, symbols: ['x', 'y'] },
    ]);
  });

  it('treats null among enum symbols as nullability', () => {
    expect(parseSchema(doc({ side: { enum: ['buy', null] } })).fields[0]).toEqual({ name: 'side', type: 'enum', nullable: true, required: false, symbols: ['buy'] });
  });

  it.each([
    ['not JSON', '{"type":', '$'],
    ['a JSON array', '[]', '$'],
    ['an unknown top-level keyword', doc({ a: { type: 'number' } }, { oneOf: [] }), 'oneOf'],
    ['a non-object type', JSON.stringify({ type: 'array', title: 't', properties: {} }), 'type'],
    ['a missing title', JSON.stringify({ type: 'object', properties: { a: { type: 'number' } } }), 'title'],
    ['missing properties', JSON.stringify({ type: 'object', title: 't' }), 'properties'],
    ['no columns', doc({}), 'properties'],
    ['a non-boolean additionalProperties', doc({ a: { type: 'number' } }, { additionalProperties: {} }), 'additionalProperties'],
    ['an unsupported type', doc({ volume: { type: 'object' } }), 'properties.volume.type'],
    ['a missing column type', doc({ volume: {} }), 'properties.volume.type'],
    ['two non-null types', doc({ volume: { type: ['number', 'string'] } }), 'properties.volume.type[1]'],
    ['only null', doc({ volume: { type: 'null' } }), 'properties.volume.type'],
    ['an unknown column keyword', doc({ volume: { type: 'number', minimum: 0 } }), 'properties.volume.minimum'],
    ['a column that is not an object', doc({ volume: 'number' }), 'properties.volume'],
    ['an unsupported marker', doc({ ts: { type: 'integer', $comment: 'date-time' } }), 'properties.ts.$comment'],
    ['a timestamp marker on a number', doc({ ts: { type: 'number', $comment: 'timestamp-millis' } }), 'properties.ts.$comment'],
    ['a non-string enum symbol', doc({ side: { enum: ['buy', 2] } }), 'properties.side.enum[1]'],
    ['a repeated enum symbol', doc({ side: { enum: ['buy', 'buy'] } }), 'properties.side.enum[1]'],
    ['an empty enum', doc({ side: { enum: [] } }), 'properties.side.enum'],
    ['an enum with a numeric type', doc({ side: { type: 'integer', enum: ['a'] } }), 'properties.side.type'],
    ['required naming a missing property', doc({ a: { type: 'number' } }, { required: ['a', 'b'] }), 'required[1]'],
    ['a bare integer column name', doc({ a: { type: 'number' }, 7: { type: 'number' } }), 'properties.7'],
    ['required that is not an array', doc({ a: { type: 'number' } }, { required: 'a' }), 'required'],
    ['a repeated required name', doc({ a: { type: 'number' } }, { required: ['a', 'a'] }), 'required[1]'],
  ])('rejects %s, naming its JSON path', (_what, text, path) => {
    expect(pathOf(text)).toBe(path);
  });

  it('puts the JSON path first in the message', () => {
    expect(() => parseSchema(doc({ volume: { type: 'object' } }))).toThrow(/^properties\.volume\.type: unsupported type "object"/);
  });

  it('gives the same canonical form and fingerprint whatever the key order, whitespace and required order', () => {
    const a = '{"type":"object","title":"t","properties":{"a":{"type":"number"},"b":{"type":["integer","null"]}},"required":["a","b"]}';
    const b = `{
      "required": ["b", "a"],
      "properties": { "b": { "type": ["integer", "null"] }, "a": { "type": "number" } },
      "title": "t", "type": "object"
    }`;
    expect(canonicalSchema(a)).toBe(canonicalSchema(b));
    expect(canonicalSchema(a)).not.toMatch(/\s/);
    expect(schemaFingerprint(a)).toBe(schemaFingerprint(b));
    expect(schemaFingerprint(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('gives a different fingerprint when a column changes type', () => {
    const before = doc({ volume: { type: 'number' } });
    const after = doc({ volume: { type: 'string' } });
    expect(schemaFingerprint(before)).not.toBe(schemaFingerprint(after));
  });

  it('keeps the order of arrays other than required in the canonical form', () => {
    expect(schemaFingerprint(doc({ s: { enum: ['a', 'b'] } }))).not.toBe(schemaFingerprint(doc({ s: { enum: ['b', 'a'] } })));
  });

  it('returns model, canonical form and fingerprint from one read', () => {
    const d = readSchemaDocument(BAR);
    expect(d.schema).toEqual(parseSchema(BAR));
    expect(d.canonical).toBe(canonicalSchema(BAR));
    expect(d.fingerprint).toBe(schemaFingerprint(BAR));
  });
});

const FIELD_TYPES = ['float64', 'int64', 'string', 'bool', 'timestamp', 'enum'] as const;

const field: fc.Arbitrary<Omit<SchemaField, 'name'>> = fc.record({
  type: fc.constantFrom(...FIELD_TYPES),
  nullable: fc.boolean(),
  required: fc.boolean(),
  symbols: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 }),
}).map(({ symbols, ...f }) => (f.type === 'enum' ? { ...f, symbols } : f));

const schemaArb: fc.Arbitrary<ParsedSchema> = fc.record({
  title: fc.string({ minLength: 1, maxLength: 10 }),
  fields: fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }).filter((n) => !/^(0|[1-9][0-9]*)$/.test(n)), field), { minLength: 1, maxLength: 12, selector: ([name]) => name }),
}).map(({ title, fields }) => ({ title, fields: fields.map(([name, f]) => ({ name, ...f })) }));

/** Rewrites a JSON value with every object's keys in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out = Object.create(null) as Record<string, unknown>;
  for (const k of Object.keys(value).reverse()) out[k] = reverseKeys((value as Record<string, unknown>)[k]);
  return out;
}

describe('schema documents (properties)', () => {
  it('parses what it renders back to the same model', () => {
    fc.assert(fc.property(schemaArb, (s) => {
      expect(parseSchema(renderSchema(s))).toEqual(s);
    }));
  });

  it('keeps the canonical form stable through parse, render and canonicalisation', () => {
    fc.assert(fc.property(schemaArb, (s) => {
      const canonical = canonicalSchema(renderSchema(s));
      expect(canonicalSchema(canonical)).toBe(canonical);
      expect(canonicalSchema(renderSchema(parseSchema(canonical)))).toBe(canonical);
    }));
  });

  it('fingerprints independently of key order and indentation', () => {
    fc.assert(fc.property(schemaArb, fc.integer({ min: 0, max: 4 }), (s, indent) => {
      const text = renderSchema(s);
      const shuffled = JSON.stringify(reverseKeys(JSON.parse(text)), null, indent);
      expect(schemaFingerprint(shuffled)).toBe(schemaFingerprint(text));
    }));
  });
});
