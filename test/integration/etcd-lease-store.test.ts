/**
 * The etcd LeaseStore against a real 3-member etcd cluster on loopback (test/harness/etcd-cluster.ts):
 * the shared LeaseStore conformance suite, then what only a cluster can show — failover when the
 * leader dies, a clean "unavailable" (no hang) without quorum, recovery on restart, watches that
 * survive a member restart, etcd lease keys that expire, and exactly one winner among claimants on
 * separate clients. Skipped when the etcd binary is not installed (scripts/system-packages.txt).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { InvalidRequestError } from '../../src/core/index.js';
import { LeaseStoreUnavailableError } from '../../src/backfill/index.js';
import { createEtcdLeaseStore } from '../../src/engines/etcd/index.js';
import { retryUnavailable } from '../../src/engines/etcd/internal.js';
import type { LeaseStore, ShardChange, ShardSpec } from '../../src/backfill/index.js';
import { describeLeaseStore } from '../storage-suite/lease-store-suite.js';
import { etcdAvailable, startEtcdCluster } from '../harness/etcd-cluster.js';
import type { EtcdCluster } from '../harness/etcd-cluster.js';

const MIN = 60_000;
const T0 = 1_700_000_000_000;
const LEASE_MS = 10_000;

function spec(index: number): ShardSpec {
  const start = T0 + index * 1000 * MIN;
  return { key: JSON.stringify(['shard', 'ohlcv:test:ETH/USDT', MIN, start, start + 1000 * MIN]), nodeId: 'ohlcv:test:ETH/USDT', intervalMs: MIN, start, end: start + 1000 * MIN };
}

/** Polls `check` until it holds or `timeoutMs` passes (no fixed sleeps). */
async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits out a leader election / quorum return: the caller-level use of the retry wrapper. */
function acrossFailover<T>(op: () => Promise<T>): Promise<T> {
  // Generous: on a loaded 2-core CI machine an election plus etcd3's 5 s circuit breakers can take long.
  return retryUnavailable(op, { budgetMs: 45_000, maxAttempts: 1_000, baseDelayMs: 100, maxDelayMs: 500 });
}

/**
 * A claim across a failover. A claim whose reply was lost may have landed: the next call then sees
 * the shard held by this very holder, whose record carries the token.
 */
async function claimAcrossFailover(store: LeaseStore, key: string, holder: string, now: number): Promise<number> {
  const claim = await acrossFailover(() => store.claim(key, holder, LEASE_MS, now));
  if (claim.granted) return claim.token;
  if (claim.reason === 'held' && claim.shard?.holder === holder) return claim.shard.token;
  throw new Error(`claim of ${key} refused: ${claim.reason}`);
}

describe.skipIf(!etcdAvailable())('etcd lease store', () => {
  let cluster: EtcdCluster;
  let prefix = '';
  let n = 0;
  const opened: LeaseStore[] = [];

  async function open(options: { endpoints?: readonly string[]; callTimeoutMs?: number } = {}): Promise<LeaseStore> {
    const store = await createEtcdLeaseStore({ endpoints: options.endpoints ?? cluster.endpoints(), prefix, callTimeoutMs: options.callTimeoutMs });
    opened.push(store);
    return store;
  }

  beforeAll(async () => {
    cluster = await startEtcdCluster({ size: 3 });
  }, 30_000);
  afterAll(async () => {
    for (const store of opened.splice(0)) await store.close();
    await cluster?.stop();
  });
  beforeEach(() => {
    prefix = `/seamless-test/${process.pid}-${++n}/`;
  });

  describeLeaseStore('etcd', () => open(), { settleMs: 5000 });

  describe('on a 3-member cluster', () => {
    it('rejects a store with no endpoints', async () => {
      await expect(createEtcdLeaseStore({ endpoints: [] })).rejects.toBeInstanceOf(InvalidRequestError);
    });

    it('grants exactly one of 16 concurrent claims made through 4 separate clients', async () => {
      const stores = await Promise.all([open(), open(), open(), open()]);
      await stores[0].ensureShards([spec(0)], T0);
      const claims = await Promise.all(Array.from({ length: 16 }, (_, i) => stores[i % 4].claim(spec(0).key, `w${i}`, LEASE_MS, T0 + 1)));
      const granted = claims.filter((c) => c.granted);
      expect(granted).toHaveLength(1);
      expect(claims.filter((c) => !c.granted && c.reason === 'held')).toHaveLength(15);
      expect(await stores[3].shard(spec(0).key)).toEqual(granted[0].shard);
    });

    it('shows a watcher on one client the changes made through another client', async () => {
      const [writer, reader] = await Promise.all([open(), open()]);
      const seen: ShardChange[] = [];
      const stop = reader.watch((change) => seen.push(change));
      await writer.ensureShards([spec(0)], T0);
      const claim = await writer.claim(spec(0).key, 'w1', LEASE_MS, T0 + 1);
      if (!claim.granted) throw new Error('claim refused');
      const done = await writer.complete(spec(0).key, claim.token, { state: 'completed', rowsWritten: 5 }, T0 + 2);
      await eventually(() => seen.length >= 3, 5000, 'three changes seen by the other client');
      stop();
      expect(seen.map((c) => c.shard.state)).toEqual(['pending', 'leased', 'completed']);
      expect(seen[2]).toEqual({ key: spec(0).key, shard: done });
    });

    it('keeps a lease key in etcd only while the lease lives: etcd expires it, complete deletes it', async () => {
      const store = await open();
      const raw = new Etcd3({ hosts: cluster.endpoints(), defaultCallOptions: () => ({ deadline: Date.now() + 2000 }) });
      try {
        await store.ensureShards([spec(0), spec(1)], Date.now());
        const leaseKey = (i: number): string => `${prefix}leases/${encodeURIComponent(spec(i).key)}`;
        const a = await store.claim(spec(0).key, 'w1', 1000, Date.now());
        const b = await store.claim(spec(1).key, 'w2', 1000, Date.now());
        if (!a.granted || !b.granted) throw new Error('claims refused');
        expect(JSON.parse((await raw.get(leaseKey(0)).string()) ?? 'null')).toMatchObject({ holder: 'w1', token: a.token });
        await store.complete(spec(1).key, b.token, { state: 'completed', rowsWritten: 1 }, Date.now());
        expect(await raw.get(leaseKey(1)).string()).toBeNull();
        // No heartbeat: etcd drops the key after the TTL (1 s lease → 2 s TTL, ≥ etcd's minimum).
        await eventually(async () => (await raw.get(leaseKey(0)).string()) === null, 8000, 'lease key expired by etcd');
        // The record itself stays leased until a claimant or requeueExpired sees leaseUntil pass.
        expect(await store.shard(spec(0).key)).toMatchObject({ state: 'leased', token: a.token });
      } finally {
        raw.close();
      }
    });

    it('reads a known-empty record written before provenance was stored as one without it, re-checks it, then stores the new provenance', async () => {
      const store = await open();
      const raw = new Etcd3({ hosts: cluster.endpoints(), defaultCallOptions: () => ({ deadline: Date.now() + 2000 }) });
      try {
        const s = spec(0);
        // The JSON an older Seamless wrote: no knownEmpty field.
        const old = { key: s.key, nodeId: s.nodeId, intervalMs: s.intervalMs, start: s.start, end: s.end, state: 'known_empty', holder: 'w-old', token: 3,
          leaseUntil: null, attempts: 0, notBefore: 0, lastError: null, rowsWritten: 0, updatedAt: T0, priority: 'background', rank: 0 };
        await raw.put(`${prefix}shards/${encodeURIComponent(s.key)}`).value(JSON.stringify(old));
        expect(await store.shard(s.key)).toEqual({ ...old, knownEmpty: null });
        const [reopened] = await store.ensureShards([s], T0 + 5_000, { knownEmptyRecheckMs: 5_000 });
        expect(reopened).toMatchObject({ state: 'pending', token: 3, knownEmpty: null });
        const claim = await store.claim(s.key, 'w-new', LEASE_MS, T0 + 5_001);
        if (!claim.granted) throw new Error(`claim refused: ${claim.reason}`);
        await store.complete(s.key, claim.token, { state: 'known_empty', rowsWritten: 0, evidence: { source: 'binance', start: s.start, end: s.end, checkedAt: s.end } }, T0 + 5_002);
        const stored = JSON.parse((await raw.get(`${prefix}shards/${encodeURIComponent(s.key)}`).string()) ?? 'null') as Record<string, unknown>;
        expect(stored.knownEmpty).toEqual({ source: 'binance', worker: 'w-new', start: s.start, end: s.end, checkedAt: s.end, decidedAt: T0 + 5_002 });
        // A malformed provenance is an internal error naming the field, never a half-typed record.
        await raw.put(`${prefix}shards/${encodeURIComponent(s.key)}`).value(JSON.stringify({ ...old, knownEmpty: { source: 7 } }));
        await expect(store.shard(s.key)).rejects.toMatchObject({ code: 'internal', details: { field: 'knownEmpty' } });
      } finally {
        raw.close();
      }
    });

    it('lets etcd delete an opaque lease record by itself once its lease and the grace period have passed', async () => {
      const store = await createEtcdLeaseStore({ endpoints: cluster.endpoints(), prefix, opaqueGraceMs: 1000 });
      opened.push(store);
      const raw = new Etcd3({ hosts: cluster.endpoints(), defaultCallOptions: () => ({ deadline: Date.now() + 2000 }) });
      try {
        const key = JSON.stringify(['opaque', 'etcd-ttl']);
        await store.ensureOpaque(key, Date.now(), { maxKeys: 10, graceMs: 1000 });
        const claim = await store.claim(key, 'w1', 1000, Date.now());
        if (!claim.granted) throw new Error('opaque claim refused');
        // A job's shard is never attached to an expiry: it stays.
        await store.ensureShards([spec(0)], Date.now());
        // No heartbeat, no prune: etcd drops the record and its marker (1 s lease + 1 s grace → ~3 s TTL).
        await eventually(async () => (await store.shard(key)) === undefined, 15_000, 'opaque record deleted by etcd');
        expect(await raw.getAll().prefix(`${prefix}opaque/`).keys()).toEqual([]);
        expect(await store.shard(spec(0).key)).toMatchObject({ state: 'pending' });
      } finally {
        raw.close();
      }
    });

    it('fails over when the leader dies, answers unavailable without quorum, and recovers on restart', async () => {
      const callTimeoutMs = 1500;
      const leader = await cluster.leader();
      const others = [0, 1, 2].filter((i) => i !== leader);
      const store = await open({ callTimeoutMs });
      // A watcher connected only to the leader: it must resume after that member comes back.
      const watching = await open({ endpoints: [cluster.endpoints()[leader]] });
      const seen = new Map<string, string>();
      const stop = watching.watch((c) => seen.set(`${c.key}#${c.shard.state}`, c.shard.holder ?? ''));
      await store.ensureShards([spec(0), spec(1), spec(2), spec(3)], T0);

      // 1. Leader killed: after the election, claims and completes work on the two members left.
      await cluster.kill(leader);
      const t0 = await claimAcrossFailover(store, spec(0).key, 'w1', T0 + 1);
      const done = await acrossFailover(() => store.complete(spec(0).key, t0, { state: 'completed', rowsWritten: 7 }, T0 + 2));
      expect(done).toMatchObject({ state: 'completed', token: t0 });
      const t1 = await claimAcrossFailover(store, spec(1).key, 'w1', T0 + 3);

      // 2. A second member killed: no quorum. Calls reject as retryable unavailability within the deadline.
      await cluster.kill(others[0]);
      for (const call of [
        () => store.claim(spec(2).key, 'w1', LEASE_MS, T0 + 4),
        () => store.complete(spec(1).key, t1, { state: 'completed', rowsWritten: 1 }, T0 + 4),
        () => store.ping(),
      ]) {
        const started = Date.now();
        const error: unknown = await call().then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(LeaseStoreUnavailableError);
        expect(error).toMatchObject({ retryable: true, code: 'upstream_unavailable' });
        expect(Date.now() - started).toBeLessThan(callTimeoutMs + 3000); // fails fast: no hang (loose for a loaded CI machine)
      }

      // 3. The old leader restarted: quorum is back, the work continues where it stopped.
      await cluster.restart(leader);
      await acrossFailover(() => store.ping());
      // A write answered "unavailable" is ambiguous: etcd may still apply it once quorum returns.
      const s1 = await acrossFailover(() => store.shard(spec(1).key));
      const finished = s1?.state === 'completed' ? s1 : await acrossFailover(() => store.complete(spec(1).key, t1, { state: 'completed', rowsWritten: 1 }, T0 + 5));
      expect(finished).toMatchObject({ state: 'completed', token: t1 });
      const s2 = await acrossFailover(() => store.shard(spec(2).key));
      expect(s2?.state === 'pending' || (s2?.state === 'leased' && s2.holder === 'w1')).toBe(true);
      const t3 = await claimAcrossFailover(store, spec(3).key, 'w2', T0 + 6);
      expect(t3).toBeGreaterThan(0);

      // The watcher on the restarted member missed nothing committed while it was down.
      await eventually(() => seen.has(`${spec(0).key}#completed`) && seen.has(`${spec(1).key}#completed`) && seen.has(`${spec(3).key}#leased`), 15_000, 'watcher resumed after its member restarted');
      stop();
      await cluster.restart(others[0]);
    }, 60_000);
  });
});
