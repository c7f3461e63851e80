/**
 * The registry's wire compatibility with Confluent's OFFICIAL client
 * (@confluentinc/schemaregistry): register, read, compatibility, and soft / permanent deletes
 * (which the client sends as DELETE with Confluent's content type and no body), each delete
 * audited; plus strict subjects that keep validating reads against their approved version while
 * a newer version is canary.
 */
import { SchemaRegistryClient } from '@confluentinc/schemaregistry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfig } from '../../src/config/internal.js';
import { generateApiKey, serveGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';
import type { Seamless } from '../../src/app/index.js';
import { SHIPPED_SCHEMAS } from '../../src/schema/internal.js';
import { tempDir } from '../helpers/temp-dir.js';

const CONFLUENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const NUMBER = { type: 'number' };

function schemaWith(extra: Record<string, unknown> = {}, required: string[] = []): string {
  return JSON.stringify({
    type: 'object',
    title: 'test.bar',
    properties: { ts: { type: 'integer', $comment: 'timestamp-millis' }, open: NUMBER, high: NUMBER, low: NUMBER, close: NUMBER, volume: NUMBER, ...extra },
    required: ['ts', 'open', 'high', 'low', 'close', 'volume', ...required],
  });
}

/** The rest error the official client throws: its `status` and Confluent `errorCode`. */
async function restError(p: Promise<unknown>): Promise<{ status: number; errorCode: number; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { status?: number; errorCode?: number; message?: string };
    return { status: Number(e.status), errorCode: Number(e.errorCode), message: String(e.message) };
  }
  throw new TypeError('expected the client call to fail');
}

describe('schema registry and the official Confluent client', () => {
  const alice = generateApiKey('alice', ['read', 'admin']);
  const bob = generateApiKey('bob', ['read', 'admin']);
  let seamless: Seamless;
  let gateway: RunningGateway;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let client: SchemaRegistryClient;

  const call = async (secret: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(`${gateway.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${secret}`, ...(body !== undefined ? { 'content-type': CONFLUENT_TYPE } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: await res.json() };
  };

  beforeAll(async () => {
    dir = await tempDir();
    seamless = await createSeamless({
      config: { ...demoConfig(), dataDir: dir.path, auth: { keys: [alice.entry, bob.entry] } },
      env: {},
      logger: silentLogger(),
    });
    gateway = await serveGateway({ seamless, host: '127.0.0.1', port: 0 });
    client = new SchemaRegistryClient({
      baseURLs: [`${gateway.url}/registry`],
      createAxiosDefaults: { headers: { authorization: `Bearer ${alice.secret}` } },
      maxRetries: 0,
    });
  });

  afterAll(async () => {
    await gateway?.close();
    await seamless?.close();
    await dir?.remove();
  });

  it('registers, reads and checks compatibility through the official client', async () => {
    const subject = 'official-bars';
    const id = await client.register(subject, { schemaType: 'JSON', schema: schemaWith() });
    expect(id).toBeGreaterThan(0);
    expect(await client.getLatestSchemaMetadata(subject)).toMatchObject({ id, version: 1, schemaType: 'JSON' });
    expect(await client.getAllVersions(subject)).toEqual([1]);
    expect(await client.testSubjectCompatibility(subject, { schemaType: 'JSON', schema: schemaWith({ vwap: NUMBER }, ['vwap']) })).toBe(false);
    expect(await client.updateCompatibility(subject, 'NONE' as never)).toBe('NONE');
  });

  it('soft-deletes then permanently deletes a subject, each audited, ids still resolving', async () => {
    const subject = 'official-delete';
    const id1 = await client.register(subject, { schemaType: 'JSON', schema: schemaWith() });
    await client.updateCompatibility(subject, 'NONE' as never);
    await client.register(subject, { schemaType: 'JSON', schema: schemaWith({ vwap: NUMBER }, ['vwap']) });

    // Permanent before soft: 40405.
    expect(await restError(client.deleteSubject(subject, true))).toMatchObject({ status: 404, errorCode: 40405 });
    expect(await client.deleteSubject(subject, false)).toEqual([1, 2]);
    // Gone from listings and lookups unless deleted=true.
    expect(await call(alice.secret, 'GET', '/registry/subjects')).toMatchObject({ status: 200 });
    expect((await call(alice.secret, 'GET', '/registry/subjects')).json).not.toContain(subject);
    expect((await call(alice.secret, 'GET', '/registry/subjects?deleted=true')).json).toContain(subject);
    expect(await restError(client.getAllVersions(subject))).toMatchObject({ status: 404, errorCode: 40401 });
    expect(await call(alice.secret, 'GET', `/registry/subjects/${subject}/versions?deleted=true`)).toMatchObject({ status: 200, json: [1, 2] });
    expect(await call(alice.secret, 'GET', `/registry/subjects/${subject}/versions/1?deleted=true`)).toMatchObject({ status: 200, json: { version: 1, id: id1 } });
    // Soft again: 40404.
    expect(await restError(client.deleteSubject(subject, false))).toMatchObject({ status: 404, errorCode: 40404 });
    expect(await client.deleteSubject(subject, true)).toEqual([1, 2]);
    expect(await restError(client.deleteSubject(subject, false))).toMatchObject({ status: 404, errorCode: 40401 });
    expect(await call(alice.secret, 'GET', `/registry/schemas/ids/${id1}`)).toMatchObject({ status: 200 });

    // Registering after delete works.
    expect(await client.register(subject, { schemaType: 'JSON', schema: schemaWith() })).toBe(id1);
    expect(await client.getAllVersions(subject)).toEqual([1]);

    const { entries } = (await call(alice.secret, 'GET', `/registry/audit?subject=${subject}`)).json as { entries: { action: string; actor: string; detail: string }[] };
    const deletes = entries.filter((e) => e.action === 'delete');
    expect(deletes.map((e) => e.actor)).toEqual(['alice', 'alice']);
    expect(deletes[0].detail).toMatch(/soft-deleted versions 1, 2/);
    expect(deletes[1].detail).toMatch(/permanently deleted versions 1, 2/);
  });

  it('soft and permanently deletes one version, latest allowed, with Confluent\'s version codes', async () => {
    const subject = 'official-version-delete';
    await client.register(subject, { schemaType: 'JSON', schema: schemaWith() });
    await client.updateCompatibility(subject, 'NONE' as never);
    await client.register(subject, { schemaType: 'JSON', schema: schemaWith({ vwap: NUMBER }, ['vwap']) });

    expect(await restError(client.deleteSubjectVersion(subject, 2, true))).toMatchObject({ status: 404, errorCode: 40407 });
    expect(await client.deleteSubjectVersion(subject, 2, false)).toBe(2);
    expect(await restError(client.deleteSubjectVersion(subject, 2, false))).toMatchObject({ status: 404, errorCode: 40406 });
    expect(await restError(client.deleteSubjectVersion(subject, 9, false))).toMatchObject({ status: 404, errorCode: 40402 });
    expect(await client.getAllVersions(subject)).toEqual([1]);
    expect(await client.getLatestSchemaMetadata(subject)).toMatchObject({ version: 1 });
    expect(await client.deleteSubjectVersion(subject, 2, true)).toBe(2);
    expect(await call(alice.secret, 'GET', `/registry/subjects/${subject}/versions?deleted=true`)).toMatchObject({ json: [1] });
    // `latest` through the REST path, with the vendor content type and no body (as the client sends it).
    const res = await fetch(`${gateway.url}/registry/subjects/${subject}/versions/latest`, {
      method: 'DELETE', headers: { authorization: `Bearer ${bob.secret}`, 'content-type': CONFLUENT_TYPE },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toBe(1);
    const { entries } = (await call(alice.secret, 'GET', `/registry/audit?subject=${subject}`)).json as { entries: { action: string; actor: string; version: number }[] };
    expect(entries.filter((e) => e.action === 'delete').map((e) => [e.actor, e.version])).toEqual([['alice', 2], ['alice', 2], ['bob', 1]]);
  });

  it('keeps strict reads on the approved version while a newer version is canary, and refuses to promote it while it failed in the canary window', async () => {
    const subject = SHIPPED_SCHEMAS[0].subject;
    const read = async (): Promise<number> => (await fetch(`${gateway.url}/v1/bars?node=ohlcv:demo:BTC-USD&interval=1m&start=2024-03-01T00:00:00Z&end=2024-03-01T01:00:00Z`, {
      headers: { authorization: `Bearer ${alice.secret}` },
    })).status;
    const promote = async (): Promise<void> => {
      const requested = await call(alice.secret, 'POST', `/registry/subjects/${subject}/promotions`, { changeRequest: 'CR-1' });
      expect(requested.status).toBe(201);
      const { promotion } = requested.json as { promotion: { id: string } };
      await call(alice.secret, 'POST', `/registry/promotions/${promotion.id}/approvals`, {});
      expect(await call(bob.secret, 'POST', `/registry/promotions/${promotion.id}/approvals`, {})).toMatchObject({ status: 200, json: { promotion: { state: 'approved' } } });
    };
    await promote();
    expect(await read()).toBe(200);

    await client.updateCompatibility(subject, 'NONE' as never);
    await client.register(subject, { schemaType: 'JSON', schema: schemaWith({ vwap: NUMBER }, ['vwap']) });
    // The new version is canary: reads still pass strict validation against version 1.
    expect(await read()).toBe(200);
    expect(await seamless.registry.canaryFailures(subject)).toBeGreaterThan(0);
    expect(await call(alice.secret, 'GET', `/registry/mode/${subject}`)).toMatchObject({ json: { mode: 'strict' } });
    const refused = await call(alice.secret, 'POST', `/registry/subjects/${subject}/promotions`, { changeRequest: 'CR-2' });
    expect(refused).toMatchObject({ status: 409, json: { reason: 'canary_failures' } });
  });
});
