/**
 * The purge part of the LeaseStore conformance suite (LeaseStore.resetShards): the shards of a
 * purged range are no longer settled, a holder of an old grant is refused, and the next job
 * re-opens them with a newer token. Called from describeLeaseStore (same `open` contract).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StaleLeaseError } from '../../src/backfill/index.js';
import type { LeaseStore, ShardSpec } from '../../src/backfill/index.js';

const MIN = 60_000;
const NODE = 'ohlcv:test:ETH/USDT';
const LEASE_MS = 10_000;
const T0 = 1_700_000_000_000;

function spec(index: number): ShardSpec {
  const start = T0 + index * 1000 * MIN;
  return { key: JSON.stringify(['shard', NODE, MIN, start, start + 1000 * MIN]), nodeId: NODE, intervalMs: MIN, start, end: start + 1000 * MIN };
}

export function describeLeaseStoreReset(name: string, open: () => Promise<LeaseStore>): void {
  describe(`lease store purge reset: ${name}`, () => {
    let store: LeaseStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('un-settles a completed shard so the next job fetches it again, with a newer token', async () => {
      const s = spec(0);
      await store.ensureShards([s], T0);
      const grant = await store.claim(s.key, 'w1', LEASE_MS, T0);
      if (!grant.granted) throw new StaleLeaseError(s.key, 0, 0, 'unknown');
      await store.complete(s.key, grant.token, { state: 'completed', rowsWritten: 1000 }, T0 + 1);
      const [reset] = await store.resetShards([s], 'purged by ops', T0 + 2);
      expect(reset).toMatchObject({ key: s.key, state: 'failed', token: grant.token + 1, lastError: 'purged by ops', rowsWritten: 0, leaseUntil: null });
      // Not claimable by itself: a purge leaves a hole, it does not start a fetch.
      expect(await store.claimable(T0 + 3, 10)).toEqual([]);
      const [reopened] = await store.ensureShards([s], T0 + 4);
      expect(reopened).toMatchObject({ state: 'pending', attempts: 0 });
      const again = await store.claim(s.key, 'w2', LEASE_MS, T0 + 5);
      expect(again).toMatchObject({ granted: true, token: grant.token + 2 });
    });

    it('ends a lease in flight: its holder can no longer complete the purged shard', async () => {
      const s = spec(1);
      await store.ensureShards([s], T0);
      const grant = await store.claim(s.key, 'w1', LEASE_MS, T0);
      if (!grant.granted) throw new StaleLeaseError(s.key, 0, 0, 'unknown');
      await store.resetShards([s], 'purged', T0 + 1);
      await expect(store.complete(s.key, grant.token, { state: 'completed', rowsWritten: 5 }, T0 + 2)).rejects.toBeInstanceOf(StaleLeaseError);
      expect(await store.leased()).toEqual([]);
    });

    it('records an unknown shard of the purged range at token 1, and answers in the order asked', async () => {
      const known = spec(2);
      await store.ensureShards([known], T0);
      const records = await store.resetShards([spec(3), known], 'purged', T0 + 1);
      expect(records.map((r) => [r.key, r.state, r.token])).toEqual([[spec(3).key, 'failed', 1], [known.key, 'failed', 1]]);
      expect(await store.shard(spec(3).key)).toMatchObject({ state: 'failed', token: 1, nodeId: NODE, start: spec(3).start, end: spec(3).end });
    });
  });
}
