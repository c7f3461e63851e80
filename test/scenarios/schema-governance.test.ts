/**
 * Scenario: schema governance on a real gateway process (`seamless serve` with a YAML config and a
 * docs directory in a temp dir), driven by Confluent's OFFICIAL client and the registry REST.
 * A strict subject gets a new, incompatible version: reads keep passing against the approved
 * version while the new one is canary (its failures recorded), promotion needs two approvals by
 * different API-key identities, the gateway is killed mid-canary (mode and approvals survive),
 * the deciding approval appends the entry to the governance markdown and strict then enforces the
 * new version; soft then permanent deletes through the official client are audited.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SchemaRegistryClient } from '@confluentinc/schemaregistry';
import { afterAll, describe, expect, it } from 'vitest';
import { demoConfig } from '../../src/config/internal.js';
import { generateApiKey } from '../../src/gateway/index.js';
import { eventually, killSeamlessProcesses, processReport, startSeamless, waitForLine } from '../harness/seamless-processes.js';
import type { SeamlessProcess } from '../harness/seamless-processes.js';
import { tempDir } from '../helpers/temp-dir.js';

const SUBJECT = 'governed-bars';
const NODE = 'ohlcv:test:GOVERNED';
const BARS = `/v1/bars?node=${encodeURIComponent(NODE)}&interval=1m&start=2024-03-01T00:00:00Z&end=2024-03-01T01:00:00Z`;
const CONFLUENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const NUMBER = { type: 'number' };

function barSchema(extra: Record<string, unknown> = {}, required: string[] = []): string {
  return JSON.stringify({
    type: 'object',
    title: 'governed.bar',
    properties: { ts: { type: 'integer', $comment: 'timestamp-millis' }, open: NUMBER, high: NUMBER, low: NUMBER, close: NUMBER, volume: NUMBER, ...extra },
    required: ['ts', 'open', 'high', 'low', 'close', 'volume', ...required],
  });
}

describe('schema governance scenario', () => {
  const alice = generateApiKey('alice', ['read', 'admin']);
  const bob = generateApiKey('bob', ['read', 'admin']);
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  let gateway: SeamlessProcess | undefined;

  afterAll(async () => {
    await killSeamlessProcesses();
    await dir?.remove();
  });

  async function startGateway(cwd: string): Promise<string> {
    gateway = startSeamless(['serve', '--port', '0', '--config', 'seamless.yml'], cwd, 'gateway');
    const [, url] = await waitForLine(gateway, /listening on (http:\/\/\S+)/, 60_000);
    return url;
  }

  it('keeps reads on the approved version while a new one is canary, survives a restart mid-canary, and audits promotion and deletes', async () => {
    dir = await tempDir('seamless-governance-');
    const docsDir = join(dir.path, 'docs');
    const base = demoConfig();
    // JSON is YAML. A short canary window so the scenario can wait it out.
    await writeFile(join(dir.path, 'seamless.yml'), JSON.stringify({
      ...base,
      dataDir: join(dir.path, 'data'),
      datasets: [...(base.datasets ?? []), { nodeId: NODE, intervals: ['1m'], source: 'synthetic', schemaSubject: SUBJECT }],
      auth: { keys: [alice.entry, bob.entry] },
      schema_registry: { docs_dir: docsDir, canary_window_ms: 1_500 },
      logging: { level: 'info' },
    }));
    let url = await startGateway(dir.path);
    const client = new SchemaRegistryClient({
      baseURLs: [`${url}/registry`], createAxiosDefaults: { headers: { authorization: `Bearer ${alice.secret}` } }, maxRetries: 0,
    });
    const call = async (secret: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${secret}`, ...(body !== undefined ? { 'content-type': CONFLUENT_TYPE } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, json: await res.json() as Record<string, unknown> };
    };
    const read = () => call(alice.secret, 'GET', BARS);
    const doc = join(docsDir, 'operations', 'schema_registry_governance.md');

    try {
      // The official client registers version 1; strict is reached only through the mode API's promotion.
      const id1 = await client.register(SUBJECT, { schemaType: 'JSON', schema: barSchema() });
      expect(await call(alice.secret, 'PUT', `/registry/mode/${SUBJECT}`, { mode: 'strict' })).toMatchObject({ status: 409, json: { reason: 'promotion_required' } });
      const first = (await call(alice.secret, 'POST', `/registry/subjects/${SUBJECT}/promotions`, { changeRequest: 'CR-1' })).json.promotion as { id: string };
      await call(alice.secret, 'POST', `/registry/promotions/${first.id}/approvals`, {});
      expect(await call(bob.secret, 'POST', `/registry/promotions/${first.id}/approvals`, {})).toMatchObject({ status: 200, json: { promotion: { state: 'approved' } } });
      expect(await call(alice.secret, 'GET', `/registry/mode/${SUBJECT}`)).toMatchObject({ json: { mode: 'strict' } });
      expect((await read()).status).toBe(200);

      // A new, incompatible version after compatibility NONE: reads keep passing (strict checks v1).
      await client.updateCompatibility(SUBJECT, 'NONE' as never);
      await client.register(SUBJECT, { schemaType: 'JSON', schema: barSchema({ vwap: NUMBER }, ['vwap']) });
      expect(await client.getLatestSchemaMetadata(SUBJECT)).toMatchObject({ version: 2 });
      const during = await read();
      expect(during.status, JSON.stringify(during.json)).toBe(200);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`seamless_schema_validation_failures_total\\{subject="${SUBJECT}",mode="canary"\\} [1-9]`));
      expect(gateway?.stderr).toContain('schema validation failed against the version awaiting promotion');
      // Its canary failures hold the promotion back until a window passes without any.
      expect(await call(alice.secret, 'POST', `/registry/subjects/${SUBJECT}/promotions`, { changeRequest: 'CR-2' })).toMatchObject({ status: 409, json: { reason: 'canary_failures' } });
      const second = await eventually('a promotion request once the canary window is clean', async () => {
        const r = await call(alice.secret, 'POST', `/registry/subjects/${SUBJECT}/promotions`, { changeRequest: 'CR-2' });
        return r.status === 201 ? r.json.promotion as { id: string; version: number } : undefined;
      }, 20_000, 250);
      expect(second.version).toBe(2);
      expect(await call(alice.secret, 'POST', `/registry/promotions/${second.id}/approvals`, {})).toMatchObject({ json: { promotion: { state: 'pending' } } });

      // Fault: the gateway dies mid-canary. Mode and approvals are where they were after a restart.
      await gateway?.kill('SIGKILL');
      url = await startGateway(dir.path);
      expect(await call(bob.secret, 'GET', `/registry/mode/${SUBJECT}`)).toMatchObject({ json: { mode: 'strict' } });
      expect(await call(bob.secret, 'GET', `/registry/promotions/${second.id}`)).toMatchObject({ json: { promotion: { state: 'pending', approvals: [{ identity: 'alice' }] } } });
      expect(await call(alice.secret, 'POST', `/registry/promotions/${second.id}/approvals`, {})).toMatchObject({ status: 409, json: { reason: 'duplicate_approval' } });
      expect(await call(bob.secret, 'POST', `/registry/promotions/${second.id}/approvals`, {})).toMatchObject({ status: 200, json: { promotion: { state: 'approved' } } });

      // The governance document holds the entry; strict now enforces version 2.
      const md = await readFile(doc, 'utf8');
      const section = md.split(/^## /m).find((s) => s.includes(`— promotion — ${SUBJECT}`) && s.includes('| change request | CR-2 |'));
      expect(section).toBeDefined();
      expect(section).toContain('| version | 2 |');
      expect(section).toContain('| approvers | alice, bob |');
      const blocked = await read();
      expect(blocked).toMatchObject({ status: 422, json: { error: { code: 'conformance_blocked', details: { reason: 'schema_validation', version: 2 } } } });

      // Soft then permanent delete of version 2 through the official client: strict falls back to v1.
      const client2 = new SchemaRegistryClient({
        baseURLs: [`${url}/registry`], createAxiosDefaults: { headers: { authorization: `Bearer ${alice.secret}` } }, maxRetries: 0,
      });
      expect(await client2.deleteSubjectVersion(SUBJECT, 2, false)).toBe(2);
      expect(await client2.getAllVersions(SUBJECT)).toEqual([1]);
      expect(await client2.deleteSubjectVersion(SUBJECT, 2, true)).toBe(2);
      expect((await read()).status).toBe(200);
      expect(await client2.deleteSubject(SUBJECT, false)).toEqual([1]);
      expect(await client2.deleteSubject(SUBJECT, true)).toEqual([1]);
      expect(await call(alice.secret, 'GET', `/registry/schemas/ids/${id1}`)).toMatchObject({ status: 200 });
      const { entries } = (await call(bob.secret, 'GET', `/registry/audit?subject=${SUBJECT}`)).json as { entries: { action: string; actor: string; detail: string }[] };
      expect(entries.filter((e) => e.action === 'delete').map((e) => e.detail.split(' version')[0])).toEqual(['soft-deleted', 'permanently deleted', 'soft-deleted', 'permanently deleted']);
      const finalDoc = await readFile(doc, 'utf8');
      expect(finalDoc.startsWith(md)).toBe(true);
      expect(finalDoc.match(new RegExp(`— delete — ${SUBJECT}`, 'g'))).toHaveLength(4);
    } catch (error) {
      if (gateway) throw new Error(`${String(error)}\n${processReport(gateway, 20)}`, { cause: error });
      throw error;
    }
  }, 120_000);
});
