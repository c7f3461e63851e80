import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../src/core/index.js';
import { SchemaDocumentError } from '../../../src/schema/index.js';
import { IncompatibleSchemaError, InvalidSubjectError, schemaFingerprint } from '../../../src/schema/internal.js';
import { HOUR, T0, V1, V2, harness, rejection, schemaText } from './harness.js';

describe('schema registry', () => {
  it('registers versions 1, 2 … under a subject and lists subjects sorted', async () => {
    const { registry, clock } = harness();
    const v1 = await registry.register('ohlcv:demo:BTC/USDT', V1, 'alice');
    clock.advance(HOUR);
    const v2 = await registry.register('ohlcv:demo:BTC/USDT', V2, 'alice');
    await registry.register('alpha', V1, 'alice');
    expect(v1).toMatchObject({ subject: 'ohlcv:demo:BTC/USDT', version: 1, schema: V1, fingerprint: schemaFingerprint(V1), registeredAt: T0 });
    expect(v2).toMatchObject({ version: 2, registeredAt: T0 + HOUR });
    expect(await registry.subjects()).toEqual(['alpha', 'ohlcv:demo:BTC/USDT']);
    expect(await registry.versions('ohlcv:demo:BTC/USDT')).toEqual([v1, v2]);
    expect(await registry.version('ohlcv:demo:BTC/USDT', 'latest')).toEqual(v2);
    expect(await registry.version('ohlcv:demo:BTC/USDT', 1)).toEqual(v1);
  });

  it('returns undefined for unknown subjects, versions and ids', async () => {
    const { registry } = harness();
    await registry.register('s', V1, 'alice');
    expect(await registry.version('nope', 'latest')).toBeUndefined();
    expect(await registry.version('s', 9)).toBeUndefined();
    expect(await registry.schemaById(99)).toBeUndefined();
    expect(await registry.parsed('nope', 1)).toBeUndefined();
    expect(await registry.versions('nope')).toEqual([]);
  });

  it('returns the existing version when the same canonical schema is registered again', async () => {
    const { registry } = harness();
    const first = await registry.register('s', V1, 'alice');
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(V1) as object).reverse()), null, 4);
    const again = await registry.register('s', reordered, 'bob');
    expect(again).toEqual(first);
    expect(await registry.versions('s')).toHaveLength(1);
    expect((await registry.audit('s')).filter((e) => e.action === 'register')).toHaveLength(1);
  });

  it('shares one global id between subjects that register the same schema', async () => {
    const { registry } = harness();
    const a = await registry.register('a', V1, 'alice');
    const b = await registry.register('b', V1, 'alice');
    const c = await registry.register('b', V2, 'alice');
    expect(b.id).toBe(a.id);
    expect(c.id).not.toBe(a.id);
    expect(await registry.schemaById(a.id)).toEqual({ id: a.id, schema: V1, fingerprint: schemaFingerprint(V1) });
  });

  it('refuses an incompatible schema with a 409 listing each incompatibility', async () => {
    const { registry } = harness();
    await registry.register('s', V1, 'alice');
    const err = await rejection(registry.register('s', schemaText({ close: { type: 'string' }, venue: { type: 'string' } }, ['ts', 'close', 'venue']), 'alice'));
    expect(err).toBeInstanceOf(IncompatibleSchemaError);
    const e = err as IncompatibleSchemaError;
    expect(e.code).toBe('conflict');
    expect(e.httpStatus).toBe(409);
    expect(e.details.reason).toBe('incompatible_schema');
    expect(e.details.messages).toEqual([
      'field "close" changed type from float64 to string (BACKWARD against version 1: readers of the new schema cannot read data written with version 1)',
      'field "venue" was added as required (BACKWARD against version 1: readers of the new schema cannot read data written with version 1)',
    ]);
    expect(await registry.versions('s')).toHaveLength(1);
  });

  it('applies the subject compatibility over the registry\'s over the default', async () => {
    const { registry } = harness();
    const breaking = schemaText({ close: { type: 'string' } }, ['ts', 'close']);
    expect(await registry.getCompatibility('s')).toBe('BACKWARD');
    await registry.setCompatibility(undefined, 'FULL', 'admin');
    expect(await registry.getCompatibility()).toBe('FULL');
    expect(await registry.getCompatibility('s')).toBe('FULL');
    await registry.setCompatibility('s', 'NONE', 'admin');
    expect(await registry.getCompatibility('s')).toBe('NONE');
    await registry.register('s', V1, 'alice');
    await registry.register('s', breaking, 'alice');
    expect(await registry.versions('s')).toHaveLength(2);
    const audit = await registry.audit();
    expect(audit.filter((e) => e.action === 'config_change').map((e) => [e.subject, e.detail])).toEqual([
      ['__GLOBAL', 'compatibility BACKWARD → FULL'],
      ['s', 'compatibility FULL → NONE'],
    ]);
  });

  it('looks up the registered version of a schema text', async () => {
    const { registry } = harness();
    const v1 = await registry.register('s', V1, 'alice');
    expect(await registry.lookup('s', JSON.stringify(JSON.parse(V1), null, 2))).toEqual(v1);
    expect(await registry.lookup('s', V2)).toBeUndefined();
    expect(await registry.lookup('other', V1)).toBeUndefined();
  });

  it('checks compatibility against the latest or a given version without registering', async () => {
    const { registry } = harness();
    await registry.register('s', V1, 'alice');
    await registry.register('s', V2, 'alice');
    const breaking = schemaText({ close: { type: 'string' } }, ['ts', 'close']);
    const result = await registry.checkCompatibility('s', breaking, 'latest');
    expect(result.compatible).toBe(false);
    expect(result.messages[0]).toContain('against version 2');
    expect((await registry.checkCompatibility('s', breaking, 1)).messages[0]).toContain('against version 1');
    expect(await registry.checkCompatibility('s', V2, 'latest')).toEqual({ compatible: true, messages: [] });
    expect(await registry.checkCompatibility('empty', breaking, 'latest')).toEqual({ compatible: true, messages: [] });
    expect(await registry.versions('s')).toHaveLength(2);
  });

  it('reports an unknown subject or version as not found when checking compatibility', async () => {
    const { registry } = harness();
    await registry.register('s', V1, 'alice');
    const noSubject = await rejection(registry.checkCompatibility('nope', V1, 1));
    expect(noSubject).toBeInstanceOf(NotFoundError);
    expect((noSubject as NotFoundError).what).toBe('subject');
    const noVersion = await rejection(registry.checkCompatibility('s', V1, 7));
    expect((noVersion as NotFoundError).what).toBe('version');
  });

  it('rejects an invalid schema document naming its path', async () => {
    const { registry } = harness();
    const err = await rejection(registry.register('s', schemaText({ volume: { type: 'decimal' } }), 'alice'));
    expect(err).toBeInstanceOf(SchemaDocumentError);
    expect((err as SchemaDocumentError).field).toBe('properties.volume.type');
  });

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(256)],
    ['with a control character', 'bad\nsubject'],
    ['reserved', '__GLOBAL'],
  ])('refuses a subject name that is %s, naming the subject field', async (_what, subject) => {
    const { registry } = harness();
    const err = await rejection(registry.register(subject, V1, 'alice'));
    expect(err).toBeInstanceOf(InvalidSubjectError);
    expect((err as InvalidSubjectError).field).toBe('subject');
  });

  it('accepts subject names of 255 printable characters with colons and slashes', async () => {
    const { registry } = harness();
    const subject = 'quote:venue/with spaces:' + 'é'.repeat(231);
    expect(subject).toHaveLength(255);
    expect((await registry.register(subject, V1, 'alice')).subject).toBe(subject);
  });

  it('hands out the parsed schema of a version, parsing each stored text once', async () => {
    const { registry } = harness();
    await registry.register('s', V1, 'alice');
    const a = await registry.parsed('s', 'latest');
    const b = await registry.parsed('s', 1);
    expect(a?.version.version).toBe(1);
    expect(a?.schema.fields.map((f) => f.name)).toEqual(['ts', 'close']);
    expect(b?.schema).toBe(a?.schema);
  });

  it('audits each registration with the bundle of all versions', async () => {
    const { registry } = harness();
    await registry.register('s', V1, 'alice');
    await registry.register('s', V2, 'bob');
    const entries = await registry.audit('s');
    expect(entries.map((e) => [e.action, e.version, e.actor])).toEqual([['register', 1, 'alice'], ['register', 2, 'bob']]);
    expect(entries[0].bundleSha).not.toBe(entries[1].bundleSha);
    expect(entries[1].bundleSha).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('serialises concurrent registrations of the same schema into one version', async () => {
    const { registry } = harness();
    const results = await Promise.all([registry.register('s', V1, 'a'), registry.register('s', V1, 'b'), registry.register('s', V1, 'c')]);
    expect(new Set(results.map((r) => r.version))).toEqual(new Set([1]));
    expect(await registry.versions('s')).toHaveLength(1);
  });
});
