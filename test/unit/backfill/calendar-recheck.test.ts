/**
 * Which known-empty words are re-checked: an upstream's (a `known_empty` shard, or a `completed`
 * shard whose upstream answered part of open time empty) after the re-check age; a calendar's
 * (`calendar:XNYS`: the market was closed) never. The memory lease store (every store applies the
 * same reopenShard in ensureShards).
 */
import { describe, expect, it } from 'vitest';
import { createMemoryLeaseStore } from '../../../src/backfill/index.js';
import { KNOWN_EMPTY_RECHECK_MS } from '../../../src/backfill/internal.js';
import type { ShardResult } from '../../../src/backfill/index.js';

const T0 = Date.UTC(2024, 0, 6);
const MIN = 60_000;
const spec = (n: number) => ({ key: `["c",${n}]`, nodeId: 'ohlcv:test:CAL', intervalMs: MIN, start: T0 + n * 60 * MIN, end: T0 + (n + 1) * 60 * MIN });
const evidence = (source: string, n: number) => ({ source, start: T0 + n * 60 * MIN, end: T0 + (n + 1) * 60 * MIN, checkedAt: T0 });

describe('re-check of known-empty words by their source', () => {
  it('never re-opens calendar-closed emptiness, re-opens upstream emptiness after the re-check age, also inside a completed shard', async () => {
    const store = createMemoryLeaseStore();
    const shards = [spec(0), spec(1), spec(2), spec(3)];
    const results: ShardResult[] = [
      { state: 'known_empty', rowsWritten: 0, evidence: evidence('calendar:XNYS', 0) },
      { state: 'known_empty', rowsWritten: 0, evidence: evidence('exchange', 1) },
      { state: 'completed', rowsWritten: 50, evidence: evidence('exchange', 2) },
      { state: 'completed', rowsWritten: 60 },
    ];
    await store.ensureShards(shards, T0);
    for (const [i, s] of shards.entries()) {
      const claim = await store.claim(s.key, 'w1', 30_000, T0);
      if (!claim.granted) return expect.unreachable(`claim of ${s.key} not granted`);
      await store.complete(s.key, claim.token, results[i], T0 + 1);
    }
    const done = await store.ensureShards(shards, T0 + 2);
    expect(done.map((s) => s.knownEmpty?.source ?? null)).toEqual(['calendar:XNYS', 'exchange', 'exchange', null]);
    const later = await store.ensureShards(shards, T0 + 10 * KNOWN_EMPTY_RECHECK_MS);
    expect(later.map((s) => s.state)).toEqual(['known_empty', 'pending', 'pending', 'completed']);
  });
});
