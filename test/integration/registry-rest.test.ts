/**
 * The schema registry's REST surface under `/registry`, on a real gateway (ephemeral port),
 * driven by a published Confluent client (@kafkajs/confluent-schema-registry) and by plain
 * fetch for each endpoint and Confluent error code.
 */
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoConfig } from '../../src/config/internal.js';
import { generateApiKey } from '../../src/gateway/index.js';
import { gatewayForSuite } from '../helpers/in-process-gateway.js';

const CONFLUENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const TS = { type: 'integer', $comment: 'timestamp-millis' };
const NUMBER = { type: 'number' };

interface ConfluentError { error_code: number; message: string; messages?: string[]; reason?: string }
interface Promotion { id: string; subject: string; state: string; approvals: { identity: string }[] }

/** A bar row schema; `volume` may be replaced to make an incompatible successor. */
function barSchema(volume: Record<string, unknown> = NUMBER, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: 'object',
    title: 'test.bar',
    properties: { ts: TS, open: NUMBER, high: NUMBER, low: NUMBER, close: NUMBER, volume, ...extra },
    required: ['ts', 'open', 'high', 'low', 'close', 'volume'],
    additionalProperties: false,
  });
}

const ROW = { ts: Date.UTC(2024, 0, 1), open: 100, high: 101.5, low: 99.25, close: 101, volume: 12.5 };

/** A minimal HTTP helper speaking Confluent's media type, with an optional bearer key. */
function http(base: () => string, secret?: string) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; type: string | null; json: unknown }> => {
    const res = await fetch(`${base()}/registry${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': CONFLUENT_TYPE } : {}),
        ...(secret !== undefined ? { authorization: `Bearer ${secret}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, type: res.headers.get('content-type'), json: await res.json() };
  };
}

describe('schema registry REST (no API keys)', () => {
  const gateway = gatewayForSuite((dataDir) => ({ overrides: { dataDir } }));
  let client: SchemaRegistry;
  const call = http(() => gateway.url);

  beforeAll(() => {
    client = new SchemaRegistry({ host: `${gateway.url}/registry`, retry: { retries: 0 } });
  });

  it('registers, looks up, encodes and decodes through the Confluent client', async () => {
    const subject = 'test-bars-value';
    const schema = barSchema();
    const { id } = await client.register({ type: SchemaType.JSON, schema }, { subject });
    expect(id).toBeGreaterThan(0);
    // The client's first registration asked GET /config/{subject} (404), then set BACKWARD on it.
    expect(await call('GET', `/config/${subject}`)).toMatchObject({ status: 200, json: { compatibilityLevel: 'BACKWARD' } });

    expect(await client.getLatestSchemaId(subject)).toBe(id);
    expect(await client.getRegistryIdBySchema(subject, { type: SchemaType.JSON, schema })).toBe(id);
    const fetched = await client.getSchema(id);
    expect(fetched).toBeDefined();

    const buffer = await client.encode(id, ROW);
    expect(buffer[0]).toBe(0);
    expect(buffer.readInt32BE(1)).toBe(id);
    expect(await client.decode(buffer)).toEqual(ROW);

    // The client validates with ajv against our document: a string ts and a missing close fail.
    await expect(client.encode(id, { ...ROW, ts: 'yesterday' })).rejects.toThrow(/invalid payload/);
    const { close: _close, ...withoutClose } = ROW;
    await expect(client.encode(id, withoutClose)).rejects.toThrow(/invalid payload/);

    // Registering the same schema again is idempotent; a second client decodes by id alone.
    expect((await client.register({ type: SchemaType.JSON, schema }, { subject })).id).toBe(id);
    const other = new SchemaRegistry({ host: `${gateway.url}/registry`, retry: { retries: 0 } });
    expect(await other.decode(buffer)).toEqual(ROW);
  });

  it('lists subjects, versions and a version with Confluent field names and media type', async () => {
    const subjects = await call('GET', '/subjects');
    expect(subjects.status).toBe(200);
    expect(subjects.type).toContain(CONFLUENT_TYPE);
    expect(subjects.json).toEqual(expect.arrayContaining(['seamless-ohlcv', 'seamless-tick', 'seamless-quote']));

    expect(await call('GET', '/subjects/seamless-ohlcv/versions')).toMatchObject({ status: 200, json: [1] });
    const latest = await call('GET', '/subjects/seamless-ohlcv/versions/latest');
    expect(latest.json).toMatchObject({ subject: 'seamless-ohlcv', version: 1, schemaType: 'JSON' });
    const { id, schema } = latest.json as { id: number; schema: string };
    expect(JSON.parse(schema)).toMatchObject({ type: 'object', title: 'seamless.ohlcv' });
    expect(await call('GET', '/subjects/seamless-ohlcv/versions/1')).toMatchObject({ status: 200, json: { id } });
    expect(await call('GET', `/schemas/ids/${id}`)).toMatchObject({ status: 200, json: { schema, schemaType: 'JSON' } });
    expect(await call('POST', '/subjects/seamless-ohlcv', { schema })).toMatchObject({ status: 200, json: { subject: 'seamless-ohlcv', version: 1, id } });
  });

  it('answers Confluent error codes for unknown subjects, versions and schemas', async () => {
    const cases: [string, string, unknown, number, number][] = [
      ['GET', '/subjects/no-such-subject/versions', undefined, 404, 40401],
      ['GET', '/subjects/no-such-subject/versions/latest', undefined, 404, 40401],
      ['GET', '/subjects/seamless-ohlcv/versions/99', undefined, 404, 40402],
      ['GET', '/subjects/seamless-ohlcv/versions/first', undefined, 422, 42202],
      ['GET', '/subjects/seamless-ohlcv/versions/0', undefined, 422, 42202],
      ['GET', '/schemas/ids/999999', undefined, 404, 40403],
      ['POST', '/subjects/seamless-ohlcv', { schema: barSchema() }, 404, 40403],
      ['POST', '/subjects/no-such-subject', { schema: barSchema() }, 404, 40401],
      ['GET', '/config/seamless-tick', undefined, 404, 40408],
      ['PUT', '/config', { compatibility: 'SIDEWAYS' }, 422, 42203],
      ['POST', '/compatibility/subjects/seamless-ohlcv/versions/7', { schema: barSchema() }, 404, 40402],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await call(method, path, body);
      expect({ method, path, status: res.status, code: (res.json as ConfluentError).error_code }).toEqual({ method, path, status, code });
      expect(res.type).toContain(CONFLUENT_TYPE);
    }
    // Unknown subject-level config falls back to the registry's with defaultToGlobal.
    expect(await call('GET', '/config/seamless-tick?defaultToGlobal=true')).toMatchObject({ status: 200, json: { compatibilityLevel: 'BACKWARD' } });
  });

  it('refuses non-JSON schema types and invalid documents with 42201 naming the path', async () => {
    const avro = await call('POST', '/subjects/test-avro/versions', { schema: '{"type":"record","name":"x","fields":[]}', schemaType: 'AVRO' });
    expect(avro.status).toBe(422);
    expect(avro.json).toMatchObject({ error_code: 42201, message: expect.stringMatching(/only JSON schemas/) });
    const proto = await call('POST', '/subjects/test-proto/versions', { schema: 'syntax = "proto3";', schemaType: 'PROTOBUF' });
    expect(proto.json).toMatchObject({ error_code: 42201 });

    const invalid = await call('POST', '/subjects/test-invalid/versions', { schema: barSchema({ type: 'decimal' }) });
    expect(invalid.status).toBe(422);
    expect(invalid.json).toMatchObject({ error_code: 42201, message: expect.stringContaining('properties.volume.type') });
    const notJson = await call('POST', '/subjects/test-invalid/versions', { schema: '{not json' });
    expect(notJson.json).toMatchObject({ error_code: 42201 });
    expect((await call('GET', '/subjects/test-invalid/versions')).status).toBe(404);
  });

  it('refuses an incompatible version with 409 listing each incompatibility, and checks compatibility', async () => {
    const subject = 'test-evolving';
    expect(await call('POST', `/subjects/${subject}/versions`, { schema: barSchema() })).toMatchObject({ status: 200, json: { id: expect.any(Number) } });
    const changed = barSchema({ type: 'string' });

    const check = await call('POST', `/compatibility/subjects/${subject}/versions/latest`, { schema: changed });
    expect(check.status).toBe(200);
    expect(check.json).toMatchObject({ is_compatible: false });
    expect((check.json as { messages: string[] }).messages.join(' ')).toContain('volume');

    const refused = await call('POST', `/subjects/${subject}/versions`, { schema: changed });
    expect(refused.status).toBe(409);
    const body = refused.json as ConfluentError;
    expect(body.error_code).toBe(409);
    expect(body.messages?.some((m) => m.includes('volume'))).toBe(true);
    expect(body.message).toContain('volume');

    // Adding an optional column is BACKWARD compatible: version 2.
    const widened = barSchema(NUMBER, { vwap: { type: ['number', 'null'] } });
    expect(await call('POST', `/compatibility/subjects/${subject}/versions/1`, { schema: widened })).toMatchObject({ json: { is_compatible: true, messages: [] } });
    await call('POST', `/subjects/${subject}/versions`, { schema: widened });
    expect(await call('GET', `/subjects/${subject}/versions`)).toMatchObject({ json: [1, 2] });

    // NONE lets the type change through.
    expect(await call('PUT', `/config/${subject}`, { compatibility: 'NONE' })).toMatchObject({ status: 200, json: { compatibility: 'NONE' } });
    expect(await call('GET', `/config/${subject}`)).toMatchObject({ json: { compatibilityLevel: 'NONE' } });
    expect(await call('POST', `/subjects/${subject}/versions`, { schema: changed })).toMatchObject({ status: 200 });
    expect(await call('GET', '/config')).toMatchObject({ json: { compatibilityLevel: 'BACKWARD' } });
  });

  it('serves node-style subjects with ":" and "/" when the client URL-encodes them', async () => {
    const subject = 'ohlcv:demo/BTC-USD';
    const path = encodeURIComponent(subject);
    expect(path).toContain('%2F');
    const { json } = await call('POST', `/subjects/${path}/versions`, { schema: barSchema() });
    const { id } = json as { id: number };
    expect(await call('GET', `/subjects/${path}/versions/latest`)).toMatchObject({ status: 200, json: { subject, version: 1, id } });
    expect((await call('GET', '/subjects')).json).toContain(subject);
    expect(await client.getLatestSchemaId(subject)).toBe(id);
    expect(await call('GET', `/mode/${path}`)).toMatchObject({ status: 200, json: { mode: 'canary' } });
  });

  it('keeps strict behind a promotion: one approval stays pending, the same identity cannot approve twice', async () => {
    const subject = 'test-governed';
    await call('POST', `/subjects/${subject}/versions`, { schema: barSchema() });
    const direct = await call('PUT', `/mode/${subject}`, { mode: 'strict' });
    expect(direct.status).toBe(409);
    expect(direct.json).toMatchObject({ error_code: 409, reason: 'promotion_required' });
    expect(await call('PUT', `/mode/${subject}`, { mode: 'canary' })).toMatchObject({ status: 200, json: { mode: 'canary' } });
    expect(await call('PUT', `/mode/${subject}`, { mode: 'lenient' })).toMatchObject({ status: 422, json: { error_code: 42204 } });

    const requested = await call('POST', `/subjects/${subject}/promotions`, { changeRequest: 'CR-1' });
    expect(requested.status).toBe(201);
    const { promotion } = requested.json as { promotion: Promotion };
    expect(promotion).toMatchObject({ subject, state: 'pending', approvals: [] });

    const first = await call('POST', `/promotions/${promotion.id}/approvals`);
    expect(first.json).toMatchObject({ promotion: { state: 'pending', approvals: [{ identity: 'anonymous' }] } });
    const second = await call('POST', `/promotions/${promotion.id}/approvals`);
    expect(second.status).toBe(409);
    expect(second.json).toMatchObject({ error_code: 409, reason: 'duplicate_approval' });

    expect(await call('GET', `/mode/${subject}`)).toMatchObject({ json: { mode: 'canary' } });
    expect((await call('GET', `/promotions?subject=${subject}`)).json).toMatchObject({ promotions: [{ id: promotion.id, state: 'pending' }] });
    expect(await call('GET', `/promotions/${promotion.id}`)).toMatchObject({ status: 200, json: { promotion: { id: promotion.id } } });
    expect(await call('POST', '/promotions/no-such-id/approvals')).toMatchObject({ status: 404 });
    expect(await call('POST', `/subjects/${subject}/promotions`, {})).toMatchObject({ status: 422 });

    const audit = (await call('GET', `/audit?subject=${subject}`)).json as { entries: { action: string }[] };
    // canary → canary changed nothing, so only the registration is audited; the pending promotion is not.
    expect(audit.entries.map((e) => e.action)).toEqual(['register']);
  });

  it('answers unknown registry routes and unparseable bodies in Confluent\'s shape', async () => {
    expect(await call('GET', '/no/such/route')).toMatchObject({ status: 404, json: { error_code: 404 } });
    const res = await fetch(`${gateway.url}/registry/subjects/x/versions`, { method: 'POST', headers: { 'content-type': CONFLUENT_TYPE }, body: '{"schema":' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error_code: 400 });
  });
});

describe('schema registry REST with API keys', () => {
  const alice = generateApiKey('alice', ['read', 'admin']);
  const bob = generateApiKey('bob', ['read', 'admin']);
  const reader = generateApiKey('reader', ['read']);
  const gateway = gatewayForSuite((dataDir) => ({
    config: { ...demoConfig(), dataDir, auth: { keys: [alice.entry, bob.entry, reader.entry] } },
  }));
  const asAlice = http(() => gateway.url, alice.secret);
  const asBob = http(() => gateway.url, bob.secret);
  const asReader = http(() => gateway.url, reader.secret);
  const anonymous = http(() => gateway.url);

  it('answers 40101 without a key and 40301 to a read-only key registering', async () => {
    expect(await anonymous('GET', '/subjects')).toMatchObject({ status: 401, json: { error_code: 40101 } });
    expect(await asReader('GET', '/subjects')).toMatchObject({ status: 200 });
    const refused = await asReader('POST', '/subjects/test-keyed/versions', { schema: barSchema() });
    expect(refused).toMatchObject({ status: 403, json: { error_code: 40301 } });
    expect(refused.type).toContain(CONFLUENT_TYPE);
    expect(await asReader('PUT', '/config', { compatibility: 'NONE' })).toMatchObject({ status: 403 });
  });

  it('turns a subject strict after approvals by two different identities and audits it', async () => {
    const subject = 'test-keyed';
    expect(await asAlice('POST', `/subjects/${subject}/versions`, { schema: barSchema() })).toMatchObject({ status: 200 });
    const requested = await asAlice('POST', `/subjects/${subject}/promotions`, { changeRequest: 'CR-42' });
    const { promotion } = requested.json as { promotion: Promotion & { requestedBy: string } };
    expect(promotion).toMatchObject({ requestedBy: 'alice', state: 'pending' });
    expect(await asReader('POST', `/promotions/${promotion.id}/approvals`)).toMatchObject({ status: 403 });

    expect(await asAlice('POST', `/promotions/${promotion.id}/approvals`)).toMatchObject({ status: 200, json: { promotion: { state: 'pending' } } });
    expect(await asAlice('POST', `/promotions/${promotion.id}/approvals`)).toMatchObject({ status: 409, json: { reason: 'duplicate_approval' } });
    expect(await asReader('GET', `/mode/${subject}`)).toMatchObject({ json: { mode: 'canary' } });

    const approved = await asBob('POST', `/promotions/${promotion.id}/approvals`);
    expect(approved).toMatchObject({ status: 200, json: { promotion: { state: 'approved', approvals: [{ identity: 'alice' }, { identity: 'bob' }] } } });
    expect(await asReader('GET', `/mode/${subject}`)).toMatchObject({ json: { mode: 'strict' } });

    const { entries } = (await asReader('GET', `/audit?subject=${subject}`)).json as { entries: Record<string, unknown>[] };
    const entry = entries.find((e) => e.action === 'promotion');
    expect(entry).toMatchObject({ subject, version: 1, approvers: ['alice', 'bob'], changeRequest: 'CR-42', actor: 'bob', canaryFailures: 0 });
    expect(String(entry?.bundleSha)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(entries.find((e) => e.action === 'register')).toMatchObject({ actor: 'alice' });

    // Strict already: a new request is refused; rolling back to canary is allowed and audited.
    expect(await asAlice('POST', `/subjects/${subject}/promotions`, { changeRequest: 'CR-43' })).toMatchObject({ status: 409, json: { reason: 'already_strict' } });
    expect(await asBob('PUT', `/mode/${subject}`, { mode: 'canary' })).toMatchObject({ status: 200, json: { mode: 'canary' } });
    const after = (await asReader('GET', `/audit?subject=${subject}`)).json as { entries: Record<string, unknown>[] };
    expect(after.entries.at(-1)).toMatchObject({ action: 'mode_change', actor: 'bob' });
  });
});
