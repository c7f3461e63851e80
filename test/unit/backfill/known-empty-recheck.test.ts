/**
 * A known-empty shard is a worker's word, re-checkable: a job that wants it again
 * KNOWN_EMPTY_RECHECK_MS after it was decided re-opens it (the upstream is asked again); before
 * that, it stays settled. Completed shards are never re-opened. The memory lease store (every
 * store applies the same reopenShard in ensureShards).
 */
import { describe, expect, it } from 'vitest';
import { createMemoryLeaseStore } from '../../../src/backfill/index.js';
import { KNOWN_EMPTY_RECHECK_MS } from '../../../src/backfill/internal.js';

const T0 = Date.UTC(2024, 0, 6);
const MIN = 60_000;
const spec = (n: number) => ({ key: `["s",${n}]`, nodeId: 'ohlcv:test:RECHECK', intervalMs: MIN, start: T0 + n * 60 * MIN, end: T0 + (n + 1) * 60 * MIN });

describe('known-empty re-check', () => {
  it('re-opens a known_empty shard wanted again after the re-check age, not before, and never a completed one', async () => {
    const store = createMemoryLeaseStore();
    const [empty, full] = [spec(0), spec(1)];
    await store.ensureShards([empty, full], T0);
    for (const [s, state] of [[empty, 'known_empty'], [full, 'completed']] as const) {
      const claim = await store.claim(s.key, 'w1', 30_000, T0);
      if (!claim.granted) return expect.unreachable(`claim of ${s.key} not granted`);
      await store.complete(s.key, claim.token, { state, rowsWritten: 0 }, T0 + 1);
    }
    const soon = await store.ensureShards([empty, full], T0 + KNOWN_EMPTY_RECHECK_MS - 1);
    expect(soon.map((s) => s.state)).toEqual(['known_empty', 'completed']);
    const later = await store.ensureShards([empty, full], T0 + 1 + KNOWN_EMPTY_RECHECK_MS);
    expect(later.map((s) => s.state)).toEqual(['pending', 'completed']);
    const again = await store.claim(empty.key, 'w2', 30_000, T0 + 2 + KNOWN_EMPTY_RECHECK_MS);
    expect(again).toMatchObject({ granted: true, token: 2 });
  });
});
