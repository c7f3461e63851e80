/**
 * The state many gateways share on PostgreSQL (issue 18.1, migration 9) against a real server
 * (test/harness/postgres-server.ts): the RegistryStore conformance suite on PostgreSQL, two
 * stores on one database racing for global ids and versions, reports archived through one store
 * served by another, the migration of a version-8 database, and two in-process gateways on one
 * database driven through the Confluent REST surface — a schema registered on A is served by B,
 * a promotion approved on A is in force on B within `schema_registry.refresh_ms`.
 * Skipped when the PostgreSQL server binaries are not installed.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceReport } from '../../src/conformance/index.js';
import { demoConfig } from '../../src/config/internal.js';
import { migrate, PG_MIGRATIONS } from '../../src/engines/postgres/internal.js';
import type { PostgresStorage } from '../../src/engines/postgres/internal.js';
import { generateApiKey } from '../../src/gateway/index.js';
import { postgresAvailable } from '../harness/postgres-server.js';
import { postgresForSuite } from '../helpers/postgres-storage.js';
import { startInProcessGateway } from '../helpers/in-process-gateway.js';
import { until } from '../helpers/until.js';
import type { InProcessGateway } from '../helpers/in-process-gateway.js';
import { describeRegistryStore } from '../storage-suite/registry-store-suite.js';

const MIN = 60_000;
const CONFLUENT_TYPE = 'application/vnd.schemaregistry.v1+json';
/** The bound the gateways below run with (schema_registry.refresh_ms). */
const REFRESH_MS = 500;
/** Polls only guard against hangs: far beyond the bound, never asserted as a duration. */
const HANG_GUARD_MS = 15_000;

function fingerprint(i: number): string {
  return `sha256:${i.toString(16).padStart(64, '0')}`;
}

function report(id: string, nodeId: string, createdAt: number): ConformanceReport {
  return {
    id, uri: `qmtl://observability/seamless/${nodeId}/${id}`, nodeId, intervalMs: MIN, origin: 'read', createdAt, mode: 'blocking',
    range: { start: 0, end: 10 * MIN }, rowsIn: 10, rowsOut: 10, flags: { gap: 1 },
    warnings: [{ flag: 'gap', level: 'error', column: '*', count: 1, firstTs: null, message: 'a gap' }],
    gaps: [{ start: 5 * MIN, end: 6 * MIN }],
    completeness: { windowMs: 5 * MIN, windows: [{ start: 0, end: 5 * MIN, expected: 5, present: 5, ratio: 1 }, { start: 5 * MIN, end: 10 * MIN, expected: 0, present: 0, ratio: Number.NaN }] },
    hasErrors: true, regression: null, schema: null,
  };
}

/** The first answer of `read` that `done` accepts, polled through test/helpers/until.ts (a hang guard only). */
async function settled<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  await until(async () => {
    last = await read();
    return done(last);
  }, what, HANG_GUARD_MS);
  if (last === undefined) throw new TypeError(`no answer while waiting for ${what}`);
  return last;
}

function barSchema(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: 'object', title: 'shared.bar',
    properties: { ts: { type: 'integer', $comment: 'timestamp-millis' }, close: { type: 'number' }, ...extra },
    required: ['ts', 'close'], additionalProperties: false,
  });
}

describe.skipIf(!postgresAvailable())('shared state on PostgreSQL', () => {
  const server = postgresForSuite({ databasePrefix: 'shared' });
  const open = (url?: string): Promise<PostgresStorage> => server.open(url);

  describeRegistryStore('postgres', async () => (await open()).registry);

  it('never hands out one global id or one version twice when two stores on one database register at once', async () => {
    const url = await server.createDatabase('race');
    const [a, b] = [await open(url), await open(url)];
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 24; i++) {
      const store = i % 2 === 0 ? a.registry : b.registry;
      // Every schema under two subjects: the second registration of a fingerprint reuses its id.
      writes.push(store.appendVersion('race-one', `{"i":${i}}`, fingerprint(i), i));
      writes.push((i % 2 === 0 ? b.registry : a.registry).appendVersion('race-two', `{"i":${i}}`, fingerprint(i), i));
    }
    await Promise.all(writes);
    for (const subject of ['race-one', 'race-two']) {
      const versions = await a.registry.versions(subject);
      expect(versions.map((v) => v.version)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    }
    const one = await b.registry.versions('race-one');
    const two = await b.registry.versions('race-two');
    const idOf = new Map(one.map((v) => [v.fingerprint, v.id]));
    expect(new Set(one.map((v) => v.id)).size).toBe(24);
    for (const v of two) expect(v.id).toBe(idOf.get(v.fingerprint));
    expect([...idOf.values()].sort((x, y) => x - y)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
  });

  it('keeps one version when two stores register the same schema under a subject at once', async () => {
    const url = await server.createDatabase('same');
    const [a, b] = [await open(url), await open(url)];
    const [va, vb] = await Promise.all([
      a.registry.appendVersion('same', '{}', fingerprint(7), 1),
      b.registry.appendVersion('same', '{}', fingerprint(7), 2),
    ]);
    expect(va).toEqual(vb);
    expect(await a.registry.versions('same')).toHaveLength(1);
  });

  it('serves a report archived through one store from another, and refuses its id twice across them', async () => {
    const url = await server.createDatabase('reports');
    const [a, b] = [await open(url), await open(url)];
    const r = report('r-1', 'ohlcv:shared:BTC/USD', 1_000);
    await a.reports.append(r);
    expect(await b.reports.get('r-1')).toEqual(r);
    expect(await b.reports.list({ nodeId: 'ohlcv:shared:BTC/USD' })).toEqual([r]);
    expect(await b.reports.latest('ohlcv:shared:BTC/USD', MIN, { start: 9 * MIN, end: 20 * MIN })).toEqual(r);
    expect(await b.reports.latest('ohlcv:shared:BTC/USD', MIN, { start: 10 * MIN, end: 20 * MIN })).toBeUndefined();
    await expect(b.reports.append({ ...r, createdAt: 2_000 })).rejects.toMatchObject({ code: 'conflict', details: { reason: 'duplicate_report_id' } });
    expect(await a.reports.get('r-1')).toEqual(r);
  });

  it('migrates a database at version 8 to the shared-state tables and keeps its bars', async () => {
    const url = await server.createDatabase('from8');
    const database = decodeURIComponent(new URL(url).pathname.slice(1));
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    const client = await pool.connect();
    try {
      await migrate(client, url, PG_MIGRATIONS.filter((m) => m.version <= 8));
    } finally {
      client.release();
      await pool.end();
    }
    await server.query("INSERT INTO datasets (node_id, interval_ms) VALUES ('ohlcv:old:BTC/USD', 60000)", [], database);
    await server.query('INSERT INTO bars_ohlcv (dataset_id, ts, "open", "high", "low", "close", "volume") VALUES (1, 0, 1, 2, 0.5, 1.5, 10)', [], database);
    const before = await server.query<{ version: number }>('SELECT max(version) AS version FROM schema_migrations', [], database);
    expect(before[0].version).toBe(8);

    const storage = await open(url);
    const versions = await server.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version', [], database);
    expect(versions.map((v) => v.version)).toContain(9);
    expect(await server.query('SELECT ts::int AS ts, "close" FROM bars_ohlcv', [], database)).toEqual([{ ts: 0, close: 1.5 }]);
    // The new tables work on the migrated database.
    const v = await storage.registry.appendVersion('after-migration', '{}', fingerprint(1), 5);
    expect(v).toMatchObject({ version: 1, id: 1 });
  });

  describe('two gateways on one database', () => {
    const alice = generateApiKey('alice', ['read', 'admin']);
    const bob = generateApiKey('bob', ['read', 'admin']);
    let a: InProcessGateway;
    let b: InProcessGateway;

    beforeAll(async () => {
      const url = await server.createDatabase('gateways');
      const options = (dataDir: string) => ({
        config: {
          ...demoConfig(), dataDir, storage: { engine: 'postgres' as const, url },
          schema_registry: { refresh_ms: REFRESH_MS },
          auth: { keys: [alice.entry, bob.entry] },
        },
      });
      // Started at once: both register the shipped schemas on the same empty registry.
      [a, b] = await Promise.all([startInProcessGateway(options), startInProcessGateway(options)]);
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
    });

    function call(gateway: () => InProcessGateway, secret: string) {
      return async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
        const res = await fetch(`${gateway().url}/registry${path}`, {
          method,
          headers: { authorization: `Bearer ${secret}`, ...(body === undefined ? {} : { 'content-type': CONFLUENT_TYPE }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: res.status, json: await res.json() };
      };
    }
    const onA = call(() => a, alice.secret);
    const onABob = call(() => a, bob.secret);
    const onB = call(() => b, bob.secret);

    it('registered the shipped schemas once although both started at the same time', async () => {
      const subjects = (await onA('GET', '/subjects')).json as string[];
      expect(subjects.length).toBeGreaterThan(0);
      expect((await onB('GET', '/subjects')).json).toEqual(subjects);
      for (const subject of subjects) {
        expect((await onB('GET', `/subjects/${subject}/versions`)).json).toEqual([1]);
      }
    });

    it('serves on B a schema registered on A, under the same global id', async () => {
      const subject = 'shared-bars-value';
      const listed = (await onB('GET', '/subjects')).json as string[];
      expect(listed).not.toContain(subject);
      const registered = await onA('POST', `/subjects/${subject}/versions`, { schema: barSchema() });
      expect(registered.status).toBe(200);
      const { id } = registered.json as { id: number };
      const latest = await settled(() => onB('GET', `/subjects/${subject}/versions/latest`), (r) => r.status === 200, 'B serves the version');
      expect(latest.json).toMatchObject({ subject, version: 1, id });
      expect(await onB('GET', `/schemas/ids/${id}`)).toMatchObject({ status: 200, json: { schema: barSchema() } });
      await settled(() => onB('GET', '/subjects'), (r) => (r.json as string[]).includes(subject), 'B lists the subject');
      // The same schema registered on B is the same version, not a second one.
      expect(await onB('POST', `/subjects/${subject}/versions`, { schema: barSchema() })).toMatchObject({ status: 200, json: { id } });
      expect((await onA('GET', `/subjects/${subject}/versions`)).json).toEqual([1]);
    });

    it('puts a promotion approved on A in force on B, which had the canary mode cached', async () => {
      const subject = 'shared-promoted-value';
      expect(await onA('POST', `/subjects/${subject}/versions`, { schema: barSchema() })).toMatchObject({ status: 200 });
      // B reads (and caches) the mode before the promotion.
      await settled(() => onB('GET', `/mode/${subject}`), (r) => r.status === 200, 'B answers the mode');
      expect(await onB('GET', `/mode/${subject}`)).toMatchObject({ json: { mode: 'canary' } });

      const requested = await onA('POST', `/subjects/${subject}/promotions`, { changeRequest: 'CR-18' });
      const { promotion } = requested.json as { promotion: { id: string } };
      // Approved on A by two identities; B never sees the write, only the database.
      expect(await onA('POST', `/promotions/${promotion.id}/approvals`)).toMatchObject({ status: 200, json: { promotion: { state: 'pending' } } });
      expect(await onABob('POST', `/promotions/${promotion.id}/approvals`)).toMatchObject({ status: 200, json: { promotion: { state: 'approved' } } });
      expect(await onA('GET', `/mode/${subject}`)).toMatchObject({ json: { mode: 'strict' } });

      const modeOnB = await settled(() => onB('GET', `/mode/${subject}`), (r) => (r.json as { mode?: string }).mode === 'strict', 'strict on B');
      expect(modeOnB.json).toEqual({ mode: 'strict' });
      expect(await onB('GET', `/promotions/${promotion.id}`)).toMatchObject({ status: 200, json: { promotion: { state: 'approved' } } });
      // The audit log is one: both gateways list the promotion entry with both approvers.
      const audit = (await onA('GET', `/audit?subject=${subject}`)).json as { entries: Record<string, unknown>[] };
      expect(audit.entries.find((e) => e.action === 'promotion')).toMatchObject({ approvers: ['alice', 'bob'], changeRequest: 'CR-18' });
      expect((await onB('GET', `/audit?subject=${subject}`)).json).toEqual(audit);
    });

    it('puts a mode change made on B in force on A within the bound', async () => {
      const subject = 'shared-promoted-value';
      await settled(() => onA('GET', `/mode/${subject}`), (r) => (r.json as { mode?: string }).mode === 'strict', 'strict on A');
      expect(await onB('PUT', `/mode/${subject}`, { mode: 'canary' })).toMatchObject({ status: 200, json: { mode: 'canary' } });
      await settled(() => onA('GET', `/mode/${subject}`), (r) => (r.json as { mode?: string }).mode === 'canary', 'canary on A');
    });

    it('counts both approvals when alice approves on A and bob on B at the same instant', async () => {
      // Several rounds: without one lock across both processes, two approvals read the same
      // pending promotion and the later save drops the earlier approval.
      for (let round = 0; round < 6; round++) {
        const subject = `shared-race-${round}-value`;
        expect(await onA('POST', `/subjects/${subject}/versions`, { schema: barSchema() })).toMatchObject({ status: 200 });
        const requested = await onA('POST', `/subjects/${subject}/promotions`, { changeRequest: `CR-race-${round}` });
        const { promotion } = requested.json as { promotion: { id: string } };
        const [first, second] = await Promise.all([
          onA('POST', `/promotions/${promotion.id}/approvals`),
          onB('POST', `/promotions/${promotion.id}/approvals`),
        ]);
        expect([first.status, second.status]).toEqual([200, 200]);
        const states = [first, second].map((r) => (r.json as { promotion: { state: string } }).promotion.state).sort();
        expect(states).toEqual(['approved', 'pending']);
        const stored = await onB('GET', `/promotions/${promotion.id}`);
        expect(stored.json).toMatchObject({ promotion: { state: 'approved' } });
        const approvers = (stored.json as { promotion: { approvals: { identity: string }[] } }).promotion.approvals.map((x) => x.identity).sort();
        expect(approvers).toEqual(['alice', 'bob']);
      }
    });
  });
});
