/**
 * The LeaseStore conformance suite (src/backfill/lease-store.ts): every lease store runs these
 * same behaviours (`describeLeaseStore('memory', open)`, `describeLeaseStore('duckdb', open)`,
 * `describeLeaseStore('etcd', open, { settleMs: 5000 })`).
 *
 * Contract for `open`: every call within one test returns a handle on the SAME backend (the
 * suite calls it twice to check that a change made through one handle reaches a watcher on the
 * other), and that backend is EMPTY when each test starts. Reset it in a `beforeEach` of the
 * calling file (a fresh memory backend, a fresh database, a fresh etcd key prefix): a file's
 * top-level hooks run before the suite's own. The suite closes every handle it opened.
 *
 * Time is never waited on: every call passes an explicit `now`. Watches are asynchronous (etcd
 * delivers them over the network), so watch assertions await the change with a timeout of
 * `settleMs` (default 2000); a listener must receive every change committed after `watch()`
 * returned, through whichever handle of the backend made it.
 *
 * Orders the suite pins down (shared by every store, see src/backfill/shard-transitions.ts):
 * `claimable` and `leased` list shards by `updatedAt` ascending, then `start`, then `key`;
 * `jobs` lists newest `createdAt` first.
 *
 * Over 400 lines on purpose: it is one contract, and a new store's author should read all of it
 * in one place.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OpaqueLeaseLimitError, StaleLeaseError } from '../../src/backfill/index.js';
import type { JobRecord, LeaseStore, ShardChange, ShardSpec } from '../../src/backfill/index.js';
import { describeLeaseStoreReset } from './lease-store-reset-suite.js';

const MIN = 60_000;
const NODE = 'ohlcv:test:BTC/USDT';
const LEASE_MS = 10_000;
const T0 = 1_700_000_000_000;

/** Structured keys like shardKey(): JSON arrays, with ':' and '/' inside the node id. */
function spec(index: number, nodeId = NODE): ShardSpec {
  const start = T0 + index * 1000 * MIN;
  const end = start + 1000 * MIN;
  return { key: JSON.stringify(['shard', nodeId, MIN, start, end]), nodeId, intervalMs: MIN, start, end };
}

function job(id: string, createdAt: number, shardKeys: readonly string[]): JobRecord {
  return { id, nodeId: NODE, intervalMs: MIN, shardKeys, requestedBy: 'suite', createdAt };
}

const COMPLETED = { state: 'completed', rowsWritten: 1000 } as const;

export function describeLeaseStore(name: string, open: () => Promise<LeaseStore>, options: { settleMs?: number } = {}): void {
  const settleMs = options.settleMs ?? 2000;
  describeLeaseStoreReset(name, open);

  describe(`lease store conformance: ${name}`, () => {
    const handles: LeaseStore[] = [];
    let store: LeaseStore;

    async function openHandle(): Promise<LeaseStore> {
      const handle = await open();
      handles.push(handle);
      return handle;
    }

    beforeEach(async () => {
      store = await openHandle();
    });
    afterEach(async () => {
      for (const handle of handles.splice(0)) await handle.close();
    });

    /** Resolves with the first change matching `match`; subscribe before acting. */
    function nextChange(on: LeaseStore, match: (change: ShardChange) => boolean): Promise<ShardChange> {
      return new Promise<ShardChange>((resolve, reject) => {
        const timer = setTimeout(() => {
          stop();
          reject(new Error(`no matching shard change within ${settleMs} ms`));
        }, settleMs);
        const stop = on.watch((change) => {
          if (!match(change)) return;
          clearTimeout(timer);
          stop();
          resolve(change);
        });
      });
    }

    /** A shard created and claimed at T0; returns its grant. */
    async function leasedShard(index = 0, holder = 'w1'): Promise<{ key: string; token: number }> {
      const s = spec(index);
      await store.ensureShards([s], T0);
      const claim = await store.claim(s.key, holder, LEASE_MS, T0);
      if (!claim.granted) throw new Error(`setup: claim of ${s.key} was refused (${claim.reason})`);
      return { key: s.key, token: claim.token };
    }

    describe('shards and jobs', () => {
      it('answers ping and starts empty', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
        expect(await store.shard(spec(0).key)).toBeUndefined();
        expect(await store.shards([spec(0).key])).toEqual([]);
        expect(await store.claimable(T0, 10)).toEqual([]);
        expect(await store.leased()).toEqual([]);
        expect(await store.jobs(10)).toEqual([]);
        expect(await store.job('nope')).toBeUndefined();
      });

      it('creates missing shards as pending with no grant yet, in input order', async () => {
        const specs = [spec(1), spec(0)];
        const created = await store.ensureShards(specs, T0);
        expect(created.map((s) => s.key)).toEqual([spec(1).key, spec(0).key]);
        expect(created[0]).toEqual({
          ...spec(1), state: 'pending', holder: null, token: 0, leaseUntil: null, attempts: 0, notBefore: 0, lastError: null,
          rowsWritten: 0, updatedAt: T0, priority: 'background', rank: 0, knownEmpty: null,
        });
        expect(await store.shard(spec(0).key)).toEqual(created[1]);
        expect(await store.shards([spec(0).key, 'unknown', spec(1).key])).toEqual([created[1], created[0]]);
      });

      it('leaves existing shards alone when ensured again (idempotent)', async () => {
        const first = await store.ensureShards([spec(0), spec(1)], T0);
        const again = await store.ensureShards([spec(0), spec(1)], T0 + 5000);
        expect(again).toEqual(first);
        expect(await store.shards([spec(0).key, spec(1).key])).toEqual(first);
      });

      it('keeps completed and leased shards as they are when ensured again', async () => {
        const { key, token } = await leasedShard(0);
        const done = await store.complete(key, token, COMPLETED, T0 + 1);
        const held = await leasedShard(1);
        const [a, b] = await store.ensureShards([spec(0), spec(1)], T0 + 2);
        expect(a).toEqual(done);
        expect(a).toMatchObject({ state: 'completed', rowsWritten: 1000 });
        expect(b).toMatchObject({ state: 'leased', token: held.token });
      });

      it('puts a failed shard back to pending with attempts reset when ensured again, keeping its token', async () => {
        const { key, token } = await leasedShard(0);
        await store.fail(key, token, { reason: 'upstream 500', final: true, notBefore: 0 }, T0 + 1);
        expect(await store.shard(key)).toMatchObject({ state: 'failed', attempts: 1 });
        const [reopened] = await store.ensureShards([spec(0)], T0 + 2);
        expect(reopened).toMatchObject({ state: 'pending', attempts: 0, token, updatedAt: T0 + 2 });
        const claim = await store.claim(key, 'w2', LEASE_MS, T0 + 3);
        expect(claim).toMatchObject({ granted: true, stale: false });
        if (claim.granted) expect(claim.token).toBeGreaterThan(token);
      });

      it('re-checks a known-empty shard after the knownEmptyRecheckMs it is given, not before', async () => {
        const { key, token } = await leasedShard(0);
        await store.complete(key, token, { state: 'known_empty', rowsWritten: 0 }, T0 + 1);
        const recheck = { knownEmptyRecheckMs: 5_000 };
        expect(await store.ensureShards([spec(0)], T0 + 5_000, recheck)).toMatchObject([{ state: 'known_empty' }]);
        expect(await store.ensureShards([spec(0)], T0 + 5_001, recheck)).toMatchObject([{ state: 'pending', token, updatedAt: T0 + 5_001 }]);
      });

      it('keeps the provenance of a known-empty decision: the source, the range it answered empty and when, the worker, the decision time', async () => {
        const { key, token } = await leasedShard(0, 'worker-7');
        const s = spec(0);
        const evidence = { source: 'binance', start: s.start, end: s.end, checkedAt: s.end + 42 };
        const done = await store.complete(key, token, { state: 'known_empty', rowsWritten: 0, evidence }, T0 + 9);
        const knownEmpty = { source: 'binance', worker: 'worker-7', start: s.start, end: s.end, checkedAt: s.end + 42, decidedAt: T0 + 9 };
        expect(done).toMatchObject({ state: 'known_empty', knownEmpty });
        expect(await store.shard(key)).toEqual(done);
        const other = await openHandle();
        expect(await other.shards([key])).toEqual([done]);
        // Ensured again before the re-check is due, the decision and its provenance stay.
        expect(await store.ensureShards([s], T0 + 10)).toEqual([done]);
      });

      it('records no provenance for a completed shard, nor for a known-empty completion that gave none', async () => {
        const a = await leasedShard(0);
        expect(await store.complete(a.key, a.token, COMPLETED, T0 + 1)).toMatchObject({ state: 'completed', knownEmpty: null });
        const b = await leasedShard(1);
        expect(await store.complete(b.key, b.token, { state: 'known_empty', rowsWritten: 0 }, T0 + 1)).toMatchObject({ state: 'known_empty', knownEmpty: null });
        expect((await store.shards([a.key, b.key])).map((r) => r.knownEmpty)).toEqual([null, null]);
      });

      it('clears the provenance when a known-empty shard is re-opened for a re-check, and keeps the new one after', async () => {
        const { key, token } = await leasedShard(0, 'w1');
        const s = spec(0);
        await store.complete(key, token, { state: 'known_empty', rowsWritten: 0, evidence: { source: 'first', start: s.start, end: s.end, checkedAt: s.end } }, T0 + 1);
        const [reopened] = await store.ensureShards([s], T0 + 5_001, { knownEmptyRecheckMs: 5_000 });
        expect(reopened).toMatchObject({ state: 'pending', knownEmpty: null });
        expect(await store.shard(key)).toMatchObject({ state: 'pending', knownEmpty: null });
        const again = await store.claim(key, 'w2', LEASE_MS, T0 + 5_002);
        if (!again.granted) throw new Error(`setup: re-claim refused (${again.reason})`);
        expect(again.shard.knownEmpty).toBeNull();
        await store.complete(key, again.token, { state: 'known_empty', rowsWritten: 0, evidence: { source: 'second', start: s.start, end: s.end, checkedAt: s.end + 1 } }, T0 + 5_003);
        expect(await store.shard(key)).toMatchObject({ knownEmpty: { source: 'second', worker: 'w2', checkedAt: s.end + 1, decidedAt: T0 + 5_003 } });
      });

      it('stores jobs and lists them newest first, respecting the limit', async () => {
        const a = job('job-a', T0, [spec(0).key]);
        const b = job('job-b', T0 + 2000, [spec(0).key, spec(1).key]);
        const c = job('job-c', T0 + 1000, []);
        await store.createJob(a);
        await store.createJob(b);
        await store.createJob(c);
        expect(await store.job('job-b')).toEqual(b);
        expect(await store.job('nope')).toBeUndefined();
        expect(await store.jobs(10)).toEqual([b, c, a]);
        expect(await store.jobs(2)).toEqual([b, c]);
        expect(await store.jobs(0)).toEqual([]);
      });
    });

    describe('claims', () => {
      it('grants a pending shard with a positive token and leaseUntil = now + leaseMs', async () => {
        await store.ensureShards([spec(0)], T0);
        const claim = await store.claim(spec(0).key, 'w1', LEASE_MS, T0 + 100);
        expect(claim).toMatchObject({ granted: true, stale: false, leaseUntil: T0 + 100 + LEASE_MS });
        if (!claim.granted) return;
        expect(claim.token).toBeGreaterThan(0);
        expect(claim.shard).toMatchObject({
          key: spec(0).key, state: 'leased', holder: 'w1', token: claim.token, leaseUntil: T0 + 100 + LEASE_MS, updatedAt: T0 + 100,
        });
        expect(await store.shard(spec(0).key)).toEqual(claim.shard);
      });

      it('refuses a second claim while the lease is held', async () => {
        const { key, token } = await leasedShard(0, 'w1');
        const second = await store.claim(key, 'w2', LEASE_MS, T0 + LEASE_MS - 1);
        expect(second).toMatchObject({ granted: false, reason: 'held', shard: { state: 'leased', holder: 'w1', token } });
      });

      it('refuses a claim of a completed or known-empty shard as done', async () => {
        const one = await leasedShard(0);
        await store.complete(one.key, one.token, COMPLETED, T0 + 1);
        const two = await leasedShard(1);
        await store.complete(two.key, two.token, { state: 'known_empty', rowsWritten: 0 }, T0 + 1);
        expect(await store.claim(one.key, 'w2', LEASE_MS, T0 + 2)).toMatchObject({ granted: false, reason: 'done', shard: { state: 'completed' } });
        expect(await store.claim(two.key, 'w2', LEASE_MS, T0 + 2)).toMatchObject({ granted: false, reason: 'done', shard: { state: 'known_empty' } });
      });

      it('refuses a claim before notBefore as backoff and grants it from notBefore on', async () => {
        const { key, token } = await leasedShard(0);
        await store.fail(key, token, { reason: 'timeout', final: false, notBefore: T0 + 5000 }, T0 + 1);
        expect(await store.claim(key, 'w2', LEASE_MS, T0 + 4999)).toMatchObject({ granted: false, reason: 'backoff', shard: { state: 'pending' } });
        const retry = await store.claim(key, 'w2', LEASE_MS, T0 + 5000);
        expect(retry).toMatchObject({ granted: true, stale: false });
        if (retry.granted) expect(retry.token).toBeGreaterThan(token);
      });

      it('answers unknown for a key it has never seen', async () => {
        expect(await store.claim('["shard","nope",60000,0,1]', 'w1', LEASE_MS, T0)).toEqual({ granted: false, shard: undefined, reason: 'unknown' });
      });

      it('grants an expired lease as a stale claim with a strictly larger token', async () => {
        const { key, token } = await leasedShard(0, 'w1');
        const stale = await store.claim(key, 'w2', LEASE_MS, T0 + LEASE_MS);
        expect(stale).toMatchObject({ granted: true, stale: true, staleHolder: 'w1', leaseUntil: T0 + 2 * LEASE_MS, shard: { holder: 'w2', state: 'leased' } });
        if (stale.granted) expect(stale.token).toBeGreaterThan(token);
      });

      it('grows tokens strictly across grants of a shard', async () => {
        const { key, token: t1 } = await leasedShard(0);
        await store.fail(key, t1, { reason: 'boom', final: false, notBefore: 0 }, T0 + 1);
        const c2 = await store.claim(key, 'w2', LEASE_MS, T0 + 2);
        const c3 = await store.claim(key, 'w3', LEASE_MS, T0 + 2 + LEASE_MS);
        expect(c2.granted && c3.granted).toBe(true);
        if (!c2.granted || !c3.granted) return;
        await store.requeueExpired(key, T0 + 2 + 2 * LEASE_MS);
        const c4 = await store.claim(key, 'w4', LEASE_MS, T0 + 3 + 2 * LEASE_MS);
        if (!c4.granted) throw new Error('fourth claim refused');
        expect(t1).toBeLessThan(c2.token);
        expect(c2.token).toBeLessThan(c3.token);
        expect(c3.token).toBeLessThan(c4.token);
      });
    });

    describe('holding and ending a lease', () => {
      it('extends the lease on heartbeat with the current token', async () => {
        const { key, token } = await leasedShard(0);
        const beat = await store.heartbeat(key, token, LEASE_MS, T0 + 8000);
        expect(beat).toMatchObject({ state: 'leased', token, leaseUntil: T0 + 8000 + LEASE_MS, updatedAt: T0 + 8000 });
        // The old deadline has passed, the extended one has not.
        expect(await store.claim(key, 'w2', LEASE_MS, T0 + LEASE_MS + 1)).toMatchObject({ granted: false, reason: 'held' });
      });

      it('rejects a heartbeat with an old token as a stale lease (conflict)', async () => {
        const { key, token } = await leasedShard(0, 'w1');
        const taken = await store.claim(key, 'w2', LEASE_MS, T0 + LEASE_MS);
        expect(taken.granted).toBe(true);
        const beat = store.heartbeat(key, token, LEASE_MS, T0 + LEASE_MS + 1);
        await expect(beat).rejects.toBeInstanceOf(StaleLeaseError);
        await expect(beat).rejects.toMatchObject({ code: 'conflict', key, token });
      });

      it('completes with the current token, keeping rowsWritten', async () => {
        const { key, token } = await leasedShard(0);
        const done = await store.complete(key, token, { state: 'completed', rowsWritten: 742 }, T0 + 50);
        expect(done).toMatchObject({ key, state: 'completed', rowsWritten: 742, token, updatedAt: T0 + 50 });
        expect(await store.shard(key)).toEqual(done);
        expect(await store.leased()).toEqual([]);
      });

      it('completes as known_empty', async () => {
        const { key, token } = await leasedShard(0);
        expect(await store.complete(key, token, { state: 'known_empty', rowsWritten: 0 }, T0 + 1)).toMatchObject({ state: 'known_empty', rowsWritten: 0 });
      });

      it('rejects complete and fail with a stale token and leaves the new holder in place', async () => {
        const { key, token } = await leasedShard(0, 'w1');
        const taken = await store.claim(key, 'w2', LEASE_MS, T0 + LEASE_MS);
        if (!taken.granted) throw new Error('stale claim refused');
        await expect(store.complete(key, token, COMPLETED, T0 + LEASE_MS + 1)).rejects.toBeInstanceOf(StaleLeaseError);
        await expect(store.fail(key, token, { reason: 'late', final: true, notBefore: 0 }, T0 + LEASE_MS + 1))
          .rejects.toMatchObject({ code: 'conflict', current: taken.token });
        expect(await store.shard(key)).toEqual(taken.shard);
      });

      it('rejects a second complete once the lease has ended', async () => {
        const { key, token } = await leasedShard(0);
        await store.complete(key, token, COMPLETED, T0 + 1);
        await expect(store.complete(key, token, COMPLETED, T0 + 2)).rejects.toBeInstanceOf(StaleLeaseError);
        await expect(store.heartbeat(key, token, LEASE_MS, T0 + 2)).rejects.toBeInstanceOf(StaleLeaseError);
      });

      it('rejects lease calls on an unknown key as stale', async () => {
        await expect(store.heartbeat('["shard","nope",60000,0,1]', 1, LEASE_MS, T0)).rejects.toBeInstanceOf(StaleLeaseError);
        await expect(store.complete('["shard","nope",60000,0,1]', 1, COMPLETED, T0)).rejects.toBeInstanceOf(StaleLeaseError);
      });

      it('returns a non-final failure to pending with attempts + 1, notBefore and lastError', async () => {
        const { key, token } = await leasedShard(0);
        const failed = await store.fail(key, token, { reason: 'upstream 503', final: false, notBefore: T0 + 9000 }, T0 + 10);
        expect(failed).toMatchObject({ state: 'pending', attempts: 1, notBefore: T0 + 9000, lastError: 'upstream 503', leaseUntil: null, updatedAt: T0 + 10 });
        const again = await store.claim(key, 'w1', LEASE_MS, T0 + 9000);
        if (!again.granted) throw new Error('retry claim refused');
        expect(await store.fail(key, again.token, { reason: 'upstream 504', final: false, notBefore: T0 + 20_000 }, T0 + 9001))
          .toMatchObject({ state: 'pending', attempts: 2, lastError: 'upstream 504' });
      });

      it('marks a final failure failed with its reason', async () => {
        const { key, token } = await leasedShard(0);
        const failed = await store.fail(key, token, { reason: 'symbol delisted', final: true, notBefore: 0 }, T0 + 10);
        expect(failed).toMatchObject({ state: 'failed', attempts: 1, lastError: 'symbol delisted', leaseUntil: null });
        expect(await store.claimable(T0 + 1_000_000, 10)).toEqual([]);
      });
    });

    describe('expiry and listings', () => {
      it('requeues only an expired lease', async () => {
        const { key, token } = await leasedShard(0);
        await store.ensureShards([spec(1)], T0);
        expect(await store.requeueExpired(key, T0 + LEASE_MS - 1)).toBeUndefined();
        expect(await store.shard(key)).toMatchObject({ state: 'leased', token });
        expect(await store.requeueExpired(spec(1).key, T0 + LEASE_MS)).toBeUndefined();
        expect(await store.requeueExpired('["shard","nope",60000,0,1]', T0 + LEASE_MS)).toBeUndefined();
        const requeued = await store.requeueExpired(key, T0 + LEASE_MS);
        expect(requeued).toMatchObject({ key, state: 'pending', leaseUntil: null, token, updatedAt: T0 + LEASE_MS });
        expect(await store.shard(key)).toEqual(requeued);
        expect(await store.requeueExpired(key, T0 + LEASE_MS + 1)).toBeUndefined();
        // The requeued lease is over: its token no longer completes the shard.
        await expect(store.complete(key, token, COMPLETED, T0 + LEASE_MS + 1)).rejects.toBeInstanceOf(StaleLeaseError);
        const next = await store.claim(key, 'w2', LEASE_MS, T0 + LEASE_MS + 2);
        expect(next).toMatchObject({ granted: true, stale: false });
      });

      it('does not requeue a completed shard', async () => {
        const { key, token } = await leasedShard(0);
        await store.complete(key, token, COMPLETED, T0 + 1);
        expect(await store.requeueExpired(key, T0 + 10 * LEASE_MS)).toBeUndefined();
      });

      it('lists claimable shards by updatedAt, then start, respecting backoff, expiry and the limit', async () => {
        // One ensureShards call at T0 (same updatedAt, so start decides), given out of order.
        await store.ensureShards([spec(2), spec(0), spec(1)], T0);
        await store.ensureShards([spec(3), spec(4)], T0 + 1000);
        // spec(1): leased at T0 + 2000 until T0 + 2000 + LEASE_MS.
        const held = await store.claim(spec(1).key, 'w1', LEASE_MS, T0 + 2000);
        // spec(2): failed at T0 + 3000, back off until T0 + 50_000.
        const failing = await store.claim(spec(2).key, 'w1', LEASE_MS, T0 + 2500);
        if (!held.granted || !failing.granted) throw new Error('setup claims refused');
        await store.fail(spec(2).key, failing.token, { reason: 'x', final: false, notBefore: T0 + 50_000 }, T0 + 3000);
        // spec(4): completed.
        const done = await store.claim(spec(4).key, 'w1', LEASE_MS, T0 + 3500);
        if (!done.granted) throw new Error('setup claim refused');
        await store.complete(spec(4).key, done.token, COMPLETED, T0 + 3600);

        const keys = async (now: number, limit: number): Promise<string[]> => (await store.claimable(now, limit)).map((s) => s.key);
        expect(await keys(T0 + 4000, 10)).toEqual([spec(0).key, spec(3).key]);
        expect(await keys(T0 + 2000 + LEASE_MS, 10)).toEqual([spec(0).key, spec(3).key, spec(1).key]);
        expect(await keys(T0 + 50_000, 10)).toEqual([spec(0).key, spec(3).key, spec(1).key, spec(2).key]);
        expect(await keys(T0 + 50_000, 2)).toEqual([spec(0).key, spec(3).key]);
        expect(await keys(T0 + 50_000, 0)).toEqual([]);
        const [first] = await store.claimable(T0 + 4000, 1);
        expect(first).toEqual(await store.shard(spec(0).key));
      });

      it('lists shards a waiting read needs first, then the k-th shard of every job before any job\'s (k+1)-th', async () => {
        // Two background jobs of three shards each, registered one after the other, then a read's shard.
        const a = [0, 1, 2].map((i) => ({ ...spec(i), rank: i }));
        const b = [10, 11, 12].map((i, rank) => ({ ...spec(i), rank }));
        await store.ensureShards(a, T0);
        await store.ensureShards(b, T0 + 1000);
        await store.ensureShards([{ ...spec(20), priority: 'read', rank: 0 }], T0 + 2000);
        const keys = (await store.claimable(T0 + 3000, 10)).map((s) => s.key);
        expect(keys).toEqual([spec(20), spec(0), spec(10), spec(1), spec(11), spec(2), spec(12)].map((s) => s.key));
        expect(await store.shard(spec(20).key)).toMatchObject({ priority: 'read', rank: 0 });
      });

      it('raises an unfinished background shard to read priority when a read ensures it, and leaves finished ones alone', async () => {
        await store.ensureShards([0, 1, 2].map((i) => ({ ...spec(i), rank: i })), T0);
        const done = await store.claim(spec(0).key, 'w1', LEASE_MS, T0 + 1);
        if (!done.granted) throw new Error('setup claim refused');
        await store.complete(spec(0).key, done.token, COMPLETED, T0 + 2);
        const raised = await store.ensureShards([{ ...spec(0), priority: 'read' }, { ...spec(2), priority: 'read' }], T0 + 3);
        expect(raised[0]).toMatchObject({ state: 'completed', priority: 'background' });
        expect(raised[1]).toMatchObject({ state: 'pending', priority: 'read', rank: 0, updatedAt: T0 });
        expect((await store.claimable(T0 + 4, 10)).map((s) => s.key)).toEqual([spec(2).key, spec(1).key]);
      });

      it('registers a large batch of shards in one call, in input order', async () => {
        const specs = Array.from({ length: 600 }, (_, i) => ({ ...spec(i), rank: i }));
        const created = await store.ensureShards(specs, T0);
        expect(created.map((s) => s.key)).toEqual(specs.map((s) => s.key));
        expect(await store.claimable(T0, 1000)).toHaveLength(600);
        expect((await store.claimable(T0, 3)).map((s) => s.rank)).toEqual([0, 1, 2]);
      });

      it('lists leased shards, expired or not', async () => {
        await store.ensureShards([spec(0), spec(1), spec(2)], T0);
        const a = await store.claim(spec(0).key, 'w1', LEASE_MS, T0 + 1);
        const b = await store.claim(spec(2).key, 'w2', 5 * LEASE_MS, T0 + 2);
        if (!a.granted || !b.granted) throw new Error('setup claims refused');
        expect(await store.leased()).toEqual([a.shard, b.shard]);
        await store.complete(spec(0).key, a.token, COMPLETED, T0 + 3);
        expect(await store.leased()).toEqual([b.shard]);
      });
    });

    describe('watch', () => {
      it('reports claim, heartbeat, complete, fail and requeue with the new record', async () => {
        await store.ensureShards([spec(0), spec(1)], T0);
        const key = spec(0).key;
        const claimed = nextChange(store, (c) => c.key === key && c.shard.state === 'leased');
        const claim = await store.claim(key, 'w1', LEASE_MS, T0 + 1);
        if (!claim.granted) throw new Error('claim refused');
        expect(await claimed).toEqual({ key, shard: claim.shard });

        const beat = nextChange(store, (c) => c.key === key && c.shard.updatedAt === T0 + 2);
        const beatRecord = await store.heartbeat(key, claim.token, LEASE_MS, T0 + 2);
        expect(await beat).toEqual({ key, shard: beatRecord });

        const failedChange = nextChange(store, (c) => c.key === key && c.shard.state === 'pending' && c.shard.attempts === 1);
        const failed = await store.fail(key, claim.token, { reason: 'boom', final: false, notBefore: 0 }, T0 + 3);
        expect(await failedChange).toEqual({ key, shard: failed });

        const again = await store.claim(key, 'w1', LEASE_MS, T0 + 4);
        if (!again.granted) throw new Error('second claim refused');
        const completed = nextChange(store, (c) => c.key === key && c.shard.state === 'completed');
        const done = await store.complete(key, again.token, COMPLETED, T0 + 5);
        expect(await completed).toEqual({ key, shard: done });

        const other = spec(1).key;
        const lease = await store.claim(other, 'w1', LEASE_MS, T0 + 6);
        if (!lease.granted) throw new Error('third claim refused');
        const requeuedChange = nextChange(store, (c) => c.key === other && c.shard.state === 'pending' && c.shard.token === lease.token);
        const requeued = await store.requeueExpired(other, T0 + 6 + LEASE_MS);
        expect(await requeuedChange).toEqual({ key: other, shard: requeued });
      });

      it('reports a final failure', async () => {
        const { key, token } = await leasedShard(0);
        const change = nextChange(store, (c) => c.key === key && c.shard.state === 'failed');
        const failed = await store.fail(key, token, { reason: 'gone', final: true, notBefore: 0 }, T0 + 1);
        expect((await change).shard).toEqual(failed);
      });

      it('delivers a change made through one handle to a watcher on another', async () => {
        const other = await openHandle();
        await store.ensureShards([spec(0)], T0);
        const seen = nextChange(other, (c) => c.key === spec(0).key && c.shard.state === 'leased');
        const claim = await store.claim(spec(0).key, 'w1', LEASE_MS, T0 + 1);
        if (!claim.granted) throw new Error('claim refused');
        expect((await seen).shard).toEqual(claim.shard);
        // And the other handle reads the same state.
        expect(await other.shard(spec(0).key)).toEqual(claim.shard);
        const done = nextChange(store, (c) => c.key === spec(0).key && c.shard.state === 'completed');
        await other.complete(spec(0).key, claim.token, COMPLETED, T0 + 2);
        expect((await done).shard).toMatchObject({ state: 'completed', rowsWritten: 1000 });
      });

      it('stops calling a listener once unsubscribed', async () => {
        await store.ensureShards([spec(0), spec(1)], T0);
        const seen: string[] = [];
        const stop = store.watch((c) => seen.push(c.key));
        stop();
        // A second watcher proves the change was delivered before checking the first stayed silent.
        const delivered = nextChange(store, (c) => c.key === spec(0).key && c.shard.state === 'leased');
        await store.claim(spec(0).key, 'w1', LEASE_MS, T0 + 1);
        await delivered;
        expect(seen).toEqual([]);
      });
    });

    describe('concurrency', () => {
      it('grants exactly one of 16 concurrent claims of one pending shard', async () => {
        const other = await openHandle();
        await store.ensureShards([spec(0)], T0);
        const claims = await Promise.all(Array.from({ length: 16 }, (_, i) =>
          (i % 2 === 0 ? store : other).claim(spec(0).key, `w${i}`, LEASE_MS, T0 + 1)));
        const granted = claims.filter((c) => c.granted);
        expect(granted).toHaveLength(1);
        for (const c of claims) if (!c.granted) expect(c.reason).toBe('held');
        const winner = granted[0];
        if (!winner.granted) return;
        expect(await store.shard(spec(0).key)).toEqual(winner.shard);
      });

      it('gives 16 concurrent claimants distinct shards until all 40 are granted exactly once', async () => {
        const other = await openHandle();
        const specs = Array.from({ length: 40 }, (_, i) => spec(i));
        await store.ensureShards(specs, T0);
        const grants: { key: string; worker: number; token: number }[] = [];
        const holding = new Set<string>();
        let overlaps = 0;

        async function worker(id: number): Promise<void> {
          const handle = id % 2 === 0 ? store : other;
          // Bounded: each round either wins a shard or sees one won by someone else.
          for (let round = 0; round < 200; round++) {
            const candidates = await handle.claimable(T0 + 1, 40);
            if (candidates.length === 0) return;
            for (let i = 0; i < candidates.length; i++) {
              const key = candidates[(i + id) % candidates.length].key;
              const claim = await handle.claim(key, `w${id}`, LEASE_MS, T0 + 1);
              if (!claim.granted) continue;
              if (holding.has(key)) overlaps += 1;
              holding.add(key);
              grants.push({ key, worker: id, token: claim.token });
              await handle.complete(key, claim.token, COMPLETED, T0 + 2);
              holding.delete(key);
              break;
            }
          }
        }

        await Promise.all(Array.from({ length: 16 }, (_, id) => worker(id)));
        expect(overlaps).toBe(0);
        expect(grants).toHaveLength(40);
        expect(new Set(grants.map((g) => g.key)).size).toBe(40);
        const states = await store.shards(specs.map((s) => s.key));
        expect(states.every((s) => s.state === 'completed')).toBe(true);
        expect(await store.claimable(T0 + 1, 40)).toEqual([]);
      });
    });

    describe('opaque lease keys (wire-protocol keys no job created)', () => {
      const GRACE = 5_000;
      const POLICY = { maxKeys: 3, graceMs: GRACE };
      const opaque = (name: string): string => JSON.stringify(['opaque', name]);

      it('creates an opaque key as a pending record with no dataset and returns an existing key as it is', async () => {
        const created = await store.ensureOpaque(opaque('a'), T0, POLICY);
        expect(created).toMatchObject({ key: opaque('a'), nodeId: '', state: 'pending', holder: null });
        const claim = await store.claim(opaque('a'), 'w1', LEASE_MS, T0 + 1);
        expect(claim.granted).toBe(true);
        expect(await store.ensureOpaque(opaque('a'), T0 + 2, POLICY)).toMatchObject({ state: 'leased', holder: 'w1' });
      });

      it('deletes a released opaque record once the grace period has passed, and leaves job shards alone', async () => {
        await store.ensureShards([spec(0)], T0);
        await store.ensureOpaque(opaque('a'), T0, POLICY);
        const claim = await store.claim(opaque('a'), 'w1', LEASE_MS, T0 + 1);
        if (!claim.granted) throw new Error('setup: opaque claim refused');
        await store.complete(opaque('a'), claim.token, COMPLETED, T0 + 2);
        expect(await store.pruneOpaque(T0 + 2 + GRACE - 1, GRACE)).toBe(0);
        expect(await store.shard(opaque('a'))).toMatchObject({ state: 'completed' });
        expect(await store.pruneOpaque(T0 + 2 + GRACE, GRACE)).toBe(1);
        expect(await store.shard(opaque('a'))).toBeUndefined();
        expect(await store.pruneOpaque(T0 + 1_000 * GRACE, GRACE)).toBe(0);
        expect(await store.shard(spec(0).key)).toMatchObject({ state: 'pending', nodeId: NODE });
      });

      it('deletes an opaque record whose lease ended longer than the grace period ago, but not one kept alive by heartbeats', async () => {
        await store.ensureOpaque(opaque('lapsed'), T0, POLICY);
        await store.ensureOpaque(opaque('kept'), T0, POLICY);
        const lapsed = await store.claim(opaque('lapsed'), 'w1', LEASE_MS, T0);
        const kept = await store.claim(opaque('kept'), 'w2', LEASE_MS, T0);
        if (!lapsed.granted || !kept.granted) throw new Error('setup: opaque claims refused');
        const end = T0 + LEASE_MS + GRACE;
        await store.heartbeat(opaque('kept'), kept.token, LEASE_MS, end - 1);
        expect(await store.pruneOpaque(end - 1, GRACE)).toBe(0);
        expect(await store.pruneOpaque(end, GRACE)).toBe(1);
        expect(await store.shard(opaque('lapsed'))).toBeUndefined();
        expect(await store.shard(opaque('kept'))).toMatchObject({ state: 'leased', holder: 'w2' });
      });

      it('refuses a new opaque key beyond the limit, naming it, and accepts one once an expired key is gone', async () => {
        for (const name of ['a', 'b', 'c']) await store.ensureOpaque(opaque(name), T0, POLICY);
        const refused = store.ensureOpaque(opaque('d'), T0 + 1, POLICY);
        await expect(refused).rejects.toBeInstanceOf(OpaqueLeaseLimitError);
        await expect(store.ensureOpaque(opaque('d'), T0 + 1, POLICY)).rejects.toThrow(/maxKeys = 3/);
        expect(await store.shard(opaque('d'))).toBeUndefined();
        // An existing key is not a new one.
        await expect(store.ensureOpaque(opaque('a'), T0 + 1, POLICY)).resolves.toMatchObject({ key: opaque('a') });
        // Pending and never claimed: expired GRACE after creation, deleted by the next creation.
        await expect(store.ensureOpaque(opaque('d'), T0 + GRACE, POLICY)).resolves.toMatchObject({ key: opaque('d'), state: 'pending' });
        expect(await store.shards([opaque('a'), opaque('b'), opaque('c')])).toEqual([]);
      });

      it('creates an opaque key again once its expired record was deleted, claimable from its first grant', async () => {
        await store.ensureOpaque(opaque('a'), T0, POLICY);
        const first = await store.claim(opaque('a'), 'w1', LEASE_MS, T0);
        if (!first.granted) throw new Error('setup: opaque claim refused');
        await store.complete(opaque('a'), first.token, COMPLETED, T0 + 1);
        expect(await store.pruneOpaque(T0 + 1 + GRACE, GRACE)).toBe(1);
        expect(await store.ensureOpaque(opaque('a'), T0 + 2 + GRACE, POLICY)).toMatchObject({ state: 'pending', token: 0, holder: null });
        await expect(store.claim(opaque('a'), 'w2', LEASE_MS, T0 + 2 + GRACE)).resolves.toMatchObject({ granted: true, token: 1 });
      });
    });
  });
}
