import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, StaleFencingTokenError } from '../../../../src/core/index.js';
import type { AuditEntry, Promotion } from '../../../../src/schema/index.js';
import { StorageEngineError } from '../../../../src/storage/index.js';
import { createDuckDbBarStore, createEmbeddedDatabase } from '../../../../src/engines/duckdb/internal.js';
import type { DatasetKey } from '../../../../src/storage/index.js';
import { DUCKDB_MIGRATIONS, migrate } from '../../../../src/engines/duckdb/internal.js';
import { ohlcvBars } from '../../../storage-suite/bar-store-suite.js';
import { describeRegistryStore } from '../../../storage-suite/registry-store-suite.js';
import { embeddedDatabases } from '../../../helpers/embedded-databases.js';

const MIN = 60_000;
const DS: DatasetKey = { nodeId: 'ohlcv:test:BTC/USDT', intervalMs: MIN };
const FP_A = 'sha256:' + 'a'.repeat(64);
const FP_B = 'sha256:' + 'b'.repeat(64);
const SCHEMA_A = '{"type":"object","title":"a","properties":{"px":{"type":"number"}}}';
const SCHEMA_B = '{"type":"object","title":"b","properties":{"px":{"type":"string"}}}';

const { freshPath, open } = embeddedDatabases('seamless-registry-');

describeRegistryStore('duckdb (file)', async () => (await open(freshPath())).registry);
describeRegistryStore('duckdb (:memory:)', async () => (await open(':memory:')).registry);

function auditEntry(subject: string, at: number, over: Partial<Omit<AuditEntry, 'seq'>> = {}): Omit<AuditEntry, 'seq'> {
  return {
    at, action: 'register', subject, version: 1, bundleSha: FP_A, approvers: [], changeRequest: undefined,
    canaryWindowMs: undefined, canaryFailures: undefined, actor: 'alice', detail: 'registered', ...over,
  };
}

describe('duckdb registry store', () => {
  it('keeps versions, ids, settings, promotions, audit and failures across close and reopen', async () => {
    const path = freshPath();
    const first = await createEmbeddedDatabase({ path });
    const v1 = await first.registry.appendVersion('s', SCHEMA_A, FP_A, 1000);
    const v2 = await first.registry.appendVersion('s', SCHEMA_B, FP_B, 2000);
    await first.registry.setCompatibility(undefined, 'FULL');
    await first.registry.setCompatibility('s', 'NONE');
    await first.registry.setValidationMode('s', 'strict');
    const promo: Promotion = {
      id: 'p1', subject: 's', version: 2, requestedBy: 'alice', changeRequest: 'CR-9', requestedAt: 3000,
      approvals: [{ identity: 'bob', at: 3100 }, { identity: 'carol', at: 3200 }], state: 'approved', decidedAt: 3200,
    };
    await first.registry.savePromotion(promo);
    const e1 = await first.registry.appendAudit(auditEntry('s', 10));
    const e2 = await first.registry.appendAudit(auditEntry('s', 20, {
      action: 'promotion', version: 2, approvers: ['bob', 'carol'], changeRequest: 'CR-9', canaryWindowMs: 172_800_000, canaryFailures: 0,
    }));
    await first.registry.recordValidationFailure({ subject: 's', mode: 'canary', at: 500, messages: ['field "px" missing', 'x'] });
    await first.close();

    const again = await open(path);
    expect(await again.registry.subjects()).toEqual(['s']);
    expect(await again.registry.versions('s')).toEqual([v1, v2]);
    expect(await again.registry.schemaById(v2.id)).toEqual({ id: v2.id, schema: SCHEMA_B, fingerprint: FP_B });
    expect(await again.registry.compatibility(undefined)).toBe('FULL');
    expect(await again.registry.compatibility('s')).toBe('NONE');
    expect(await again.registry.validationMode('s')).toBe('strict');
    expect(await again.registry.promotion('p1')).toEqual(promo);
    expect(await again.registry.audit()).toEqual([e1, e2]);
    expect(await again.registry.validationFailures('s', 0)).toEqual([{ subject: 's', mode: 'canary', at: 500, messages: ['field "px" missing', 'x'] }]);
    // Sequences continue after a reopen: no id, version or audit seq is handed out twice.
    const v3 = await again.registry.appendVersion('s', '{"title":"c"}', 'sha256:c', 4000);
    expect(v3).toMatchObject({ version: 3, id: v2.id + 1 });
    expect((await again.registry.appendAudit(auditEntry('s', 30))).seq).toBeGreaterThan(e2.seq);
  });

  it('reuses one global id for a fingerprint across subjects, each keeping the text it registered', async () => {
    const db = await open(freshPath());
    const a = await db.registry.appendVersion('one', SCHEMA_A, FP_A, 1);
    const b = await db.registry.appendVersion('two', SCHEMA_B, FP_B, 2);
    const spaced = ` ${SCHEMA_A} `;
    const again = await db.registry.appendVersion('three', spaced, FP_A, 3);
    expect([a.id, b.id, again.id]).toEqual([1, 2, 1]);
    expect(again).toMatchObject({ subject: 'three', version: 1, schema: spaced });
    expect(await db.registry.versions('three')).toEqual([again]);
    // The id names the first text registered with that fingerprint.
    expect(await db.registry.schemaById(1)).toEqual({ id: 1, schema: SCHEMA_A, fingerprint: FP_A });
    expect(await db.registry.schemaById(3)).toBeUndefined();
    expect(await db.registry.schemaById(1.5)).toBeUndefined();
  });

  it('numbers concurrent registrations of one subject densely, one transaction each', async () => {
    const db = await open(freshPath());
    const added = await Promise.all(Array.from({ length: 20 }, (_, i) => db.registry.appendVersion('s', `{"n":${i}}`, `sha256:${i % 5}`, i)));
    expect(added.map((v) => v.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(added.map((v) => v.id))).toEqual(new Set([1, 2, 3, 4, 5]));
    expect((await db.registry.versions('s')).length).toBe(20);
  });

  it('keeps a re-saved promotion in its place and lists ties in request time by first save', async () => {
    const db = await open(freshPath());
    const base = { subject: 's', version: 1, requestedBy: 'a', changeRequest: 'CR', requestedAt: 100, approvals: [], state: 'pending', decidedAt: undefined } as const;
    await db.registry.savePromotion({ ...base, id: 'z' });
    await db.registry.savePromotion({ ...base, id: 'a' });
    await db.registry.savePromotion({ ...base, id: 'z', state: 'rejected', decidedAt: 150 });
    expect((await db.registry.promotions('s')).map((p) => [p.id, p.state])).toEqual([['z', 'rejected'], ['a', 'pending']]);
  });

  it('never updates or deletes the audit log (no such statement exists in the DuckDB engine)', async () => {
    const sources = join(process.cwd(), 'src/engines/duckdb');
    for (const name of await readdir(sources)) {
      const text = await readFile(join(sources, name), 'utf8');
      expect(text, name).not.toMatch(/(UPDATE|DELETE FROM|TRUNCATE)\s+audit_log/i);
    }
  });

  it('shares one file with the bar store: one write queue, one close for all stores', async () => {
    const path = freshPath();
    const db = await createEmbeddedDatabase({ path });
    await Promise.all([
      db.bars.write({ dataset: DS, frame: ohlcvBars(0, 10), coverage: [{ start: 0, end: 10 * MIN, state: 'stored' }], fence: { key: 'k', token: 2 } }, OHLCV_SCHEMA),
      db.registry.appendVersion('s', SCHEMA_A, FP_A, 1),
      db.reports.list({}),
      db.findings.appendFindings([{ nodeId: DS.nodeId, intervalMs: MIN, flag: 'duplicate_ts', ts: 0, count: 1, at: 5, detail: 'd' }]),
    ]);
    await db.bars.close();
    await db.close();
    await expect(db.registry.subjects()).rejects.toBeInstanceOf(StorageEngineError);
    await expect(db.registry.appendVersion('s', SCHEMA_B, FP_B, 2)).rejects.toMatchObject({ code: 'internal' });
    await expect(db.reports.get('r')).rejects.toBeInstanceOf(StorageEngineError);
    await expect(db.findings.findings(DS.nodeId, MIN, 0, MIN)).rejects.toBeInstanceOf(StorageEngineError);

    // The file is free again: the bar-store-only factory opens it and sees everything.
    const bars = await createDuckDbBarStore({ path });
    try {
      expect((await bars.read(DS, OHLCV_SCHEMA, { start: 0, end: 10 * MIN })).length).toBe(10);
      await expect(bars.markFailed(DS, { start: 0, end: MIN }, 'x', { key: 'k', token: 1 })).rejects.toBeInstanceOf(StaleFencingTokenError);
    } finally {
      await bars.close();
    }
    const reopened = await open(path);
    expect(await reopened.registry.subjects()).toEqual(['s']);
  });

  it('upgrades a database created by the previous migration set in place', async () => {
    const path = freshPath();
    const previous = DUCKDB_MIGRATIONS.filter((m) => m.version <= 3);
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    try {
      expect(await migrate(conn, previous)).toEqual([1, 2, 3]);
      await conn.run("INSERT INTO datasets (node_id, interval_ms, schema) VALUES ('ohlcv:test:BTC/USDT', 60000, 'ohlcv')");
      await conn.run('INSERT INTO bars_ohlcv VALUES (1, 0, 1, 2, 0.5, 1.5, 10), (1, 60000, 1.5, 2, 1, 1.8, 12)');
      await conn.run('INSERT INTO coverage VALUES (1, 0, 120000, \'stored\', NULL, NULL, 7)');
    } finally {
      conn.closeSync();
      instance.closeSync();
    }

    const db = await open(path);
    const bars = await db.bars.read(DS, OHLCV_SCHEMA, { start: 0, end: 2 * MIN });
    expect(Array.from(bars.column('close'))).toEqual([1.5, 1.8]);
    // Rows from before versioning (migration 13) are version 0: known at every as_of.
    const asOf = await db.bars.readAsOf?.(DS, OHLCV_SCHEMA, { start: 0, end: 2 * MIN }, 1);
    expect(asOf === undefined ? [] : Array.from(asOf.frame.column('close'))).toEqual([1.5, 1.8]);
    expect(await db.bars.coverage(DS)).toEqual([{ start: 0, end: 2 * MIN, state: 'stored' }]);
    expect(await db.registry.appendVersion('s', SCHEMA_A, FP_A, 1)).toMatchObject({ version: 1, id: 1 });
    await db.close();

    const check = await DuckDBInstance.create(path);
    const c = await check.connect();
    try {
      const rows = (await c.runAndReadAll('SELECT version FROM schema_migrations ORDER BY version')).getRowsJS();
      expect(rows.map((r) => r[0])).toEqual(DUCKDB_MIGRATIONS.map((m) => m.version));
    } finally {
      c.closeSync();
      check.closeSync();
    }
  });
});
