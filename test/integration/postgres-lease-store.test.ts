/**
 * The PostgreSQL lease store (migration 9, used when no etcd is configured) against a real
 * server: the shared LeaseStore conformance suite (each test on a fresh database; every handle
 * of a test is its own pool on it, so watches cross "processes"), then two stores racing on one
 * database — one winner per shard, strictly growing fencing tokens, a stale token refused.
 * Skipped when the PostgreSQL server binaries are not installed.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ShardSpec } from '../../src/backfill/index.js';
import { createPostgresStorage } from '../../src/engines/postgres/internal.js';
import type { PostgresStorage } from '../../src/engines/postgres/internal.js';
import { postgresAvailable, startPostgresServer } from '../harness/postgres-server.js';
import type { PostgresServer } from '../harness/postgres-server.js';
import { describeLeaseStore } from '../storage-suite/lease-store-suite.js';

const MIN = 60_000;
const LEASE_MS = 10_000;
const T0 = 1_700_000_000_000;

function spec(index: number): ShardSpec {
  const start = T0 + index * 1000 * MIN;
  return { key: JSON.stringify(['shard', 'ohlcv:pg:BTC/USDT', MIN, start, start + 1000 * MIN]), nodeId: 'ohlcv:pg:BTC/USDT', intervalMs: MIN, start, end: start + 1000 * MIN };
}

describe.skipIf(!postgresAvailable())('postgres lease store', () => {
  let server: PostgresServer;
  let url = '';
  const opened: PostgresStorage[] = [];

  let database = '';

  beforeAll(async () => {
    server = await startPostgresServer();
    url = await server.createDatabase('leases');
    database = decodeURIComponent(new URL(url).pathname.slice(1));
  });
  afterAll(async () => {
    await server?.stop();
  });
  // Every test starts on empty lease tables (the first open migrates the database); every `open`
  // within a test is a new pool — another process — on it.
  beforeEach(async () => {
    await (await open()).close();
    opened.splice(0);
    await server.query('TRUNCATE backfill_shards, backfill_jobs, fences', [], database);
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });

  async function open(): Promise<PostgresStorage> {
    const storage = await createPostgresStorage({ url, pool: { max: 4 } });
    opened.push(storage);
    return storage;
  }

  describeLeaseStore('postgres', async () => (await open()).leases);

  it('grants each shard to one of two stores racing for it, with strictly growing tokens', async () => {
    const [a, b] = [await open(), await open()];
    const shards = Array.from({ length: 16 }, (_, i) => spec(i));
    await a.leases.ensureShards(shards, T0);
    const claims = await Promise.all(shards.flatMap((s) => [
      a.leases.claim(s.key, 'worker-a', LEASE_MS, T0 + 1),
      b.leases.claim(s.key, 'worker-b', LEASE_MS, T0 + 1),
    ]));
    for (let i = 0; i < shards.length; i++) {
      const pair = [claims[2 * i], claims[2 * i + 1]];
      expect(pair.filter((c) => c.granted)).toHaveLength(1);
      expect(pair.filter((c) => !c.granted)).toMatchObject([{ reason: 'held' }]);
    }
    // Batches from both stores at once: every claimable shard granted once, never twice.
    const more = Array.from({ length: 16 }, (_, i) => spec(100 + i));
    await b.leases.ensureShards(more, T0);
    const slots = (holder: string) => Array.from({ length: 6 }, (_, i) => ({ holder: `${holder}-${i}`, readsOnly: false }));
    const batches = await Promise.all([
      a.leases.claimBatch?.(slots('a'), LEASE_MS, T0 + 2) ?? [],
      b.leases.claimBatch?.(slots('b'), LEASE_MS, T0 + 2) ?? [],
      a.leases.claimBatch?.(slots('c'), LEASE_MS, T0 + 2) ?? [],
    ]);
    const granted = batches.flat().map((g) => g.shard.key);
    expect(granted).toHaveLength(16);
    expect(new Set(granted).size).toBe(16);
  });

  it('hands out a greater token to each new holder after expiry and refuses the stale one', async () => {
    const [a, b] = [await open(), await open()];
    const s = spec(0);
    await a.leases.ensureShards([s], T0);
    const tokens: number[] = [];
    let now = T0;
    for (let round = 0; round < 6; round++) {
      const store = round % 2 === 0 ? a.leases : b.leases;
      now += LEASE_MS + 1;
      // Both stores try at once after the previous lease expired: one stale claim wins.
      const [x, y] = await Promise.all([store.claim(s.key, `w${round}`, LEASE_MS, now), (round % 2 === 0 ? b : a).leases.claim(s.key, `v${round}`, LEASE_MS, now)]);
      const winners = [x, y].filter((c) => c.granted);
      expect(winners).toHaveLength(1);
      const winner = winners[0];
      if (!winner.granted) throw new TypeError('unreachable');
      tokens.push(winner.token);
    }
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1]);
    // The holder of an earlier token cannot heartbeat or complete any more.
    await expect(a.leases.heartbeat(s.key, tokens[0], LEASE_MS, now)).rejects.toMatchObject({ code: 'conflict' });
    await expect(b.leases.complete(s.key, tokens[4], { state: 'completed', rowsWritten: 1 }, now)).rejects.toMatchObject({ code: 'conflict' });
    expect(await a.leases.complete(s.key, tokens[5], { state: 'completed', rowsWritten: 1 }, now)).toMatchObject({ state: 'completed', token: tokens[5] });
  });
});
