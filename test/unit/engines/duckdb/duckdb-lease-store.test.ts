import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { createEmbeddedDatabase } from '../../../../src/engines/duckdb/internal.js';
import { DUCKDB_MIGRATIONS, migrate } from '../../../../src/engines/duckdb/internal.js';
import type { EmbeddedDatabase } from '../../../../src/engines/duckdb/index.js';
import { compareClaimOrder } from '../../../../src/backfill/index.js';
import type { ShardSpec } from '../../../../src/backfill/index.js';
import { SHORT_QUEUE } from '../../../../src/engines/duckdb/internal.js';
import { tempDir } from '../../../helpers/temp-dir.js';
import { describeLeaseStore } from '../../../storage-suite/lease-store-suite.js';

const MIN = 60_000;
const LEASE_MS = 10_000;
const T0 = 1_700_000_000_000;

let dir: { path: string; remove: () => Promise<void> };
let counter = 0;
const opened: EmbeddedDatabase[] = [];

beforeAll(async () => {
  dir = await tempDir('seamless-leases-');
});
afterAll(async () => {
  await dir.remove();
});
afterEach(async () => {
  for (const db of opened.splice(0)) await db.close();
});

function freshPath(): string {
  counter += 1;
  return join(dir.path, `leases-${counter}.duckdb`);
}

async function open(path: string): Promise<EmbeddedDatabase> {
  const db = await createEmbeddedDatabase({ path });
  opened.push(db);
  return db;
}

// One database per test (opened before the suite's hooks); every `open` of the suite within a
// test gets that database's lease store.
let current: EmbeddedDatabase;
beforeEach(async () => {
  current = await open(freshPath());
});
describeLeaseStore('duckdb', async () => current.leases);

function spec(index: number): ShardSpec {
  const start = T0 + index * 1000 * MIN;
  return { key: JSON.stringify(['shard', 'ohlcv:test:BTC/USDT', MIN, start, start + 1000 * MIN]), nodeId: 'ohlcv:test:BTC/USDT', intervalMs: MIN, start, end: start + 1000 * MIN };
}

describe('duckdb lease store', () => {
  it('is the embedded kind', () => {
    expect(current.leases.kind).toBe('embedded');
  });

  it('replaces a job created again under its id, keeping its place among jobs of the same time', async () => {
    const job = (id: string, shardKeys: readonly string[], requestedBy: string) => ({ id, nodeId: 'ohlcv:test:BTC/USDT', intervalMs: MIN, shardKeys, requestedBy, createdAt: T0 });
    await current.leases.createJob(job('job-a', [spec(0).key], 'first'));
    await current.leases.createJob(job('job-b', [], 'other'));
    const again = job('job-a', [spec(0).key, spec(1).key], 'second');
    await current.leases.createJob(again);
    expect(await current.leases.job('job-a')).toEqual(again);
    // Same creation time: the tie-break is the first creation's order (seq), so job-b (created after job-a) stays first.
    expect((await current.leases.jobs(10)).map((j) => [j.id, j.requestedBy])).toEqual([['job-b', 'other'], ['job-a', 'second']]);
  });

  it('keeps a leased shard leased with its token across close and reopen, then requeues it once expired', async () => {
    const path = freshPath();
    const first = await createEmbeddedDatabase({ path });
    await first.leases.ensureShards([spec(0), spec(1)], T0);
    const claim = await first.leases.claim(spec(0).key, 'w1', LEASE_MS, T0 + 1);
    if (!claim.granted) throw new Error('claim refused');
    await first.leases.createJob({ id: 'job-1', nodeId: spec(0).nodeId, intervalMs: MIN, shardKeys: [spec(0).key, spec(1).key], requestedBy: 'test', createdAt: T0 });
    await first.close();

    const second = await open(path);
    expect(await second.leases.shard(spec(0).key)).toEqual(claim.shard);
    expect(await second.leases.leased()).toEqual([claim.shard]);
    expect(await second.leases.job('job-1')).toMatchObject({ shardKeys: [spec(0).key, spec(1).key] });
    // Recovery: the dead worker's lease expires, the shard goes back to pending, a new grant fences it out.
    expect(await second.leases.requeueExpired(spec(0).key, T0 + 1 + LEASE_MS - 1)).toBeUndefined();
    const requeued = await second.leases.requeueExpired(spec(0).key, T0 + 1 + LEASE_MS);
    expect(requeued).toMatchObject({ state: 'pending', token: claim.token });
    const again = await second.leases.claim(spec(0).key, 'w2', LEASE_MS, T0 + 2 + LEASE_MS);
    if (!again.granted) throw new Error('claim after recovery refused');
    expect(again.token).toBeGreaterThan(claim.token);
    await expect(second.leases.complete(spec(0).key, claim.token, { state: 'completed', rowsWritten: 1 }, T0 + 3 + LEASE_MS))
      .rejects.toMatchObject({ code: 'conflict' });
  });

  it('grants claims in claim order (reads, rank, longest waiting, start, key) for a short queue (ordered in JS) and a long one (ordered by DuckDB)', async () => {
    for (const n of [12, SHORT_QUEUE + 40]) {
      const db = await open(freshPath());
      // Shards registered at three times, mixed priorities and ranks, given out of order.
      const specs = Array.from({ length: n }, (_, i) => ({ ...spec(1000 * n + ((i * 7) % n)), priority: i % 3 === 0 ? 'read' as const : 'background' as const, rank: i % 4 }));
      for (let part = 0; part < 3; part++) await db.leases.ensureShards(specs.filter((_, i) => i % 3 === part), T0 + part * 1000);
      const expected = [...await db.leases.shards(specs.map((s) => s.key))].sort(compareClaimOrder).map((s) => s.key);
      expect((await db.leases.claimable(T0 + 5000, n)).map((s) => s.key)).toEqual(expected);
      const granted: string[] = [];
      for (;;) {
        const grants = await db.leases.claimBatch?.(Array.from({ length: 16 }, (_, w) => ({ holder: `w/${w}`, readsOnly: false })), LEASE_MS * 100, T0 + 5000) ?? [];
        if (grants.length === 0) break;
        granted.push(...grants.map((g) => g.shard.key));
      }
      expect(granted).toEqual(expected);
    }
  });

  it('registers a 527-shard job in bulk, in short transactions that let other writes in between', async () => {
    const specs = Array.from({ length: 527 }, (_, i) => spec(i));
    // Another store's write (the schema registry's), queued while the registration runs.
    let registered = false;
    const registration = current.leases.ensureShards(specs, T0).then((r) => { registered = true; return r; });
    const t0 = performance.now();
    let writeDoneBeforeRegistration: boolean | undefined;
    const otherWrite = current.registry.appendVersion('load-test-value', '{"type":"record","name":"V","fields":[]}', 'fp-load', T0)
      .then(() => { writeDoneBeforeRegistration = !registered; });
    const created = await registration;
    const elapsed = performance.now() - t0;
    await otherWrite;
    console.log(`[duckdb lease store] 527 shards registered in ${elapsed.toFixed(0)} ms (${(elapsed / 527).toFixed(2)} ms per shard)`);
    expect(created.map((s) => s.key)).toEqual(specs.map((s) => s.key));
    expect(await current.leases.claimable(T0, 1000)).toHaveLength(527);
    // One long transaction would make the registry write wait for all 527 shards.
    expect(writeDoneBeforeRegistration).toBe(true);
  });

  it('opens a data directory from before known-empty provenance (schema 10) and keeps its shards, the known-empty one re-checkable', async () => {
    const path = freshPath();
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    try {
      await migrate(conn, DUCKDB_MIGRATIONS.filter((m) => m.version <= 10));
      const insert = `INSERT INTO backfill_shards (key, node_id, interval_ms, start_ms, end_ms, state, holder, token, attempts,
        not_before_ms, rows_written, updated_at_ms, priority, rank) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, 0, $9, $10, 1, $11)`;
      await conn.run(insert, [spec(0).key, spec(0).nodeId, MIN, spec(0).start, spec(0).end, 'known_empty', 'w-old', 2, 0, T0, 0]);
      await conn.run(insert, [spec(1).key, spec(1).nodeId, MIN, spec(1).start, spec(1).end, 'completed', 'w-old', 1, 1000, T0, 1]);
      await conn.run('CHECKPOINT');
    } finally {
      conn.closeSync();
      instance.closeSync();
    }

    const db = await open(path);
    const [empty, done] = await db.leases.shards([spec(0).key, spec(1).key]);
    expect(empty).toMatchObject({ state: 'known_empty', holder: 'w-old', token: 2, updatedAt: T0, knownEmpty: null });
    expect(done).toMatchObject({ state: 'completed', rowsWritten: 1000, token: 1, rank: 1, knownEmpty: null });
    // Re-checked as any known-empty shard, and the new decision keeps its provenance.
    const [reopened] = await db.leases.ensureShards([spec(0)], T0 + 5_000, { knownEmptyRecheckMs: 5_000 });
    expect(reopened).toMatchObject({ state: 'pending', token: 2, knownEmpty: null });
    const claim = await db.leases.claim(spec(0).key, 'w-new', LEASE_MS, T0 + 5_001);
    if (!claim.granted) throw new Error(`claim refused: ${claim.reason}`);
    const evidence = { source: 'binance', start: spec(0).start, end: spec(0).end, checkedAt: spec(0).end };
    await db.leases.complete(spec(0).key, claim.token, { state: 'known_empty', rowsWritten: 0, evidence }, T0 + 5_002);
    await db.close();
    const again = await open(path);
    expect(await again.leases.shard(spec(0).key)).toMatchObject({ knownEmpty: { ...evidence, worker: 'w-new', decidedAt: T0 + 5_002 } });
  });

  it('keeps working after leases.close() and throws internal once the database is closed', async () => {
    const db = await createEmbeddedDatabase({ path: ':memory:' });
    await db.leases.close();
    await expect(db.leases.ping()).resolves.toBeUndefined();
    await db.close();
    await expect(db.leases.ping()).rejects.toMatchObject({ code: 'internal' });
    await expect(db.leases.claim(spec(0).key, 'w1', LEASE_MS, T0)).rejects.toMatchObject({ code: 'internal' });
  });
});
