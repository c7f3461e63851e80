/**
 * Cache coherence in the composition root (src/app/cache-coherence.ts), on a fake change feed (our
 * own StorageChangeFeed port) and a real response cache and findings index: another process's
 * change drops exactly the overlapping segments of its dataset (every world), this process's own
 * changes are skipped, a resync clears everything, and the metrics count and time what was applied.
 */
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/core/internal.js';
import { createMetrics, silentLogger } from '../../../src/observability/index.js';
import { applyStorageChanges } from '../../../src/app/index.js';
import { createFindingsIndex, createResponseCache } from '../../../src/provider/index.js';
import { cacheKey } from '../../../src/provider/internal.js';
import type { IngestFindingStore } from '../../../src/conformance/index.js';
import type { DatasetKey, StorageChange, StorageChangeEvent, StorageChangeFeed } from '../../../src/storage/index.js';
import { ohlcvBars } from '../../storage-suite/bar-store-suite.js';

const MIN = 60_000;
const NODE = 'ohlcv:test:BTC/USD';
const OTHER = 'ohlcv:test:ETH/USD';
const NOW = Date.UTC(2025, 0, 1);

function fakeFeed(origin: string): StorageChangeFeed & { emit(event: StorageChangeEvent): void } {
  const listeners = new Set<(event: StorageChangeEvent) => void>();
  return {
    origin,
    subscribe(listener) {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },
    health: () => ({ ok: true, detail: 'fake' }),
    close: async () => undefined,
    emit(event) {
      for (const l of listeners) l(event);
    },
  };
}

function setup() {
  const clock = createManualClock(NOW);
  const cache = createResponseCache({ maxBytes: 1e9, maxEntries: 1_000, ttlMs: 3_600_000 }, clock);
  let loads = 0;
  // A fake of our own port: counts the loads the index makes.
  const findingsStore: IngestFindingStore = {
    appendFindings: async () => undefined,
    findings: async () => { loads++; return []; },
    history: async () => [],
  };
  const findings = createFindingsIndex(findingsStore);
  const metrics = createMetrics({ defaultMetrics: false });
  const feed = fakeFeed('me');
  // A fake of our own port (the standby's read router): records the datasets marked as written.
  const marked: DatasetKey[] = [];
  const replica = { wrote: (dataset: DatasetKey) => { marked.push(dataset); } };
  const stop = applyStorageChanges({ changes: feed, cache, findings, metrics, clock, logger: silentLogger(), replica });
  const key = (node: string, world?: string) => cacheKey(node, MIN, world, undefined, 'v1');
  for (const k of [key(NODE), key(NODE, 'w1'), key(OTHER)]) {
    cache.insert(k, { start: 0, end: 10 * MIN }, ohlcvBars(0, 10));
    cache.insert(k, { start: 20 * MIN, end: 30 * MIN }, ohlcvBars(20 * MIN, 10));
  }
  return { clock, cache, findings, metrics, feed, stop, key, marked, loads: () => loads };
}

function change(over: Partial<StorageChange> = {}): StorageChange {
  return { kind: 'write', dataset: { nodeId: NODE, intervalMs: MIN }, range: { start: 5 * MIN, end: 6 * MIN }, origin: 'other', seq: 1, committedAt: NOW - 20, ...over };
}

describe('cache coherence across processes', () => {
  it('drops the overlapping segments of the changed dataset in every world, and nothing else', () => {
    const { cache, feed, key } = setup();
    feed.emit({ type: 'changed', change: change() });
    for (const k of [key(NODE), key(NODE, 'w1')]) {
      expect(cache.lookup(k, { start: 0, end: 30 * MIN }).remaining).toEqual([{ start: 0, end: 20 * MIN }]);
    }
    expect(cache.lookup(key(OTHER), { start: 0, end: 30 * MIN }).remaining).toEqual([{ start: 10 * MIN, end: 20 * MIN }]);
  });

  it('drops the whole dataset when the change names no range', () => {
    const { cache, feed, key } = setup();
    feed.emit({ type: 'changed', change: change({ kind: 'purge', range: undefined }) });
    expect(cache.lookup(key(NODE), { start: 0, end: 30 * MIN }).pieces).toHaveLength(0);
    expect(cache.lookup(key(OTHER), { start: 0, end: 30 * MIN }).pieces).toHaveLength(2);
  });

  it('skips the changes this process made itself (they were invalidated where they were written)', () => {
    const { cache, feed, key } = setup();
    feed.emit({ type: 'changed', change: change({ origin: 'me' }) });
    expect(cache.lookup(key(NODE), { start: 0, end: 30 * MIN }).pieces).toHaveLength(2);
  });

  it('clears the whole cache and every dataset\'s findings on a resync', async () => {
    const { cache, feed, findings, loads } = setup();
    await findings.range(NODE, MIN, 0, 10 * MIN);
    await findings.range(NODE, MIN, 0, 10 * MIN);
    expect(loads()).toBe(1);
    feed.emit({ type: 'resync', reason: 'test' });
    expect(cache.stats().entries).toBe(0);
    await findings.range(NODE, MIN, 0, 10 * MIN);
    expect(loads()).toBe(2);
  });

  it('sends the next reads of a dataset another process changed to the primary until the standby has replayed the change', () => {
    const { feed, marked } = setup();
    feed.emit({ type: 'changed', change: change({ origin: 'me' }) });
    expect(marked).toEqual([]);
    feed.emit({ type: 'changed', change: change() });
    feed.emit({ type: 'changed', change: change({ kind: 'purge', dataset: { nodeId: OTHER, intervalMs: MIN } }) });
    expect(marked).toEqual([{ nodeId: NODE, intervalMs: MIN }, { nodeId: OTHER, intervalMs: MIN }]);
  });

  it('reloads the dataset\'s findings after another process\'s change', async () => {
    const { feed, findings, loads } = setup();
    await findings.range(NODE, MIN, 0, 10 * MIN);
    feed.emit({ type: 'changed', change: change() });
    await findings.range(NODE, MIN, 0, 10 * MIN);
    expect(loads()).toBe(2);
  });

  it('counts what it applied by kind and observes the lag from the writer\'s commit', async () => {
    const { feed, metrics, stop } = setup();
    feed.emit({ type: 'changed', change: change() });
    feed.emit({ type: 'changed', change: change({ kind: 'purge' }) });
    feed.emit({ type: 'changed', change: change({ origin: 'me' }) });
    feed.emit({ type: 'resync', reason: 'test' });
    const text = await metrics.registry.metrics();
    expect(text).toContain('seamless_cache_invalidations_received_total{kind="write"} 1');
    expect(text).toContain('seamless_cache_invalidations_received_total{kind="purge"} 1');
    expect(text).toContain('seamless_cache_invalidations_received_total{kind="resync"} 1');
    expect(text).toContain('seamless_cache_invalidation_lag_seconds_sum 0.04');
    expect(text).toContain('seamless_cache_invalidation_lag_seconds_count 2');
    stop();
    feed.emit({ type: 'resync', reason: 'after stop' });
    expect(await metrics.registry.metrics()).toContain('seamless_cache_invalidations_received_total{kind="resync"} 1');
  });
});
