/**
 * The repair service (provider/repair.ts) over a real DuckDB bar store: what it refuses before
 * anything changes, and the order it works in (leases reset, then one purge carrying their fences).
 * The coordinator's reset is a fake of our own function type, recording its calls.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALWAYS_OPEN, InvalidRequestError, OHLCV_SCHEMA, StaleFencingTokenError, createFrame, systemClock } from '../../../src/core/index.js';
import type { TimeRange } from '../../../src/core/index.js';
import { createDuckDbBarStore } from '../../../src/engines/duckdb/internal.js';
import { createMetrics, silentLogger } from '../../../src/observability/index.js';
import { PurgeNeedsCoordinatorError, createRepair, createResponseCache } from '../../../src/provider/index.js';
import type { ResolvedDataset } from '../../../src/provider/index.js';
import type { BarStore, DatasetKey, Fence } from '../../../src/storage/index.js';

const MIN = 60_000;
const DS: DatasetKey = { nodeId: 'ohlcv:test:BTC', intervalMs: MIN };
const RESOLVED: ResolvedDataset = { dataset: DS, schema: OHLCV_SCHEMA, source: undefined, sourceName: undefined, configured: true, subject: 'ohlcv', calendar: ALWAYS_OPEN };

function bars(rows: number) {
  const ts = new Float64Array(rows);
  const values = OHLCV_SCHEMA.columns.map(() => new Float64Array(rows).fill(1));
  for (let i = 0; i < rows; i++) ts[i] = i * MIN;
  return createFrame(OHLCV_SCHEMA, ts, values);
}

describe('repair service', () => {
  let store: BarStore;
  const resets: { range: TimeRange; reason: string }[] = [];
  let fences: Fence[] = [];
  beforeEach(async () => {
    store = await createDuckDbBarStore({ path: ':memory:' });
    await store.write({ dataset: DS, frame: bars(60), coverage: [{ start: 0, end: 60 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
    resets.length = 0;
    fences = [{ key: 'shard-0', token: 2 }];
  });
  afterEach(async () => {
    await store.close();
  });

  function repair(withCoordinator = true) {
    return createRepair({
      store, resolve: async (nodeId) => (nodeId === DS.nodeId ? RESOLVED : undefined),
      resetRange: withCoordinator ? async (_d, range, reason) => { resets.push({ range, reason }); return fences; } : undefined,
      coordinatorEndpoint: 'http://coordinator:8080', cache: createResponseCache({ maxBytes: 1 << 20, maxEntries: 10, ttlMs: 60_000 }, systemClock),
      metrics: createMetrics(), logger: silentLogger(),
    });
  }
  const command = { nodeId: DS.nodeId, interval: '1m', start: 10 * MIN, end: 20 * MIN, actor: 'ops' };

  it('resets the leases of the range first, then purges carrying their fences', async () => {
    const outcome = await repair().purge(command, 'purge');
    expect(resets).toEqual([{ range: { start: 10 * MIN, end: 20 * MIN }, reason: 'purged by ops (purge): re-fetched when a read or backfill asks' }]);
    expect(outcome).toMatchObject({ nodeId: DS.nodeId, intervalMs: MIN, rowsRemoved: 10, audit: { actor: 'ops', action: 'purge' } });
    // The fence went to storage with the purge: an older holder of shard-0 is refused.
    await expect(store.write({ dataset: DS, frame: bars(1), coverage: [{ start: 0, end: MIN, state: 'stored' }], fence: { key: 'shard-0', token: 1 } }, OHLCV_SCHEMA))
      .rejects.toBeInstanceOf(StaleFencingTokenError);
  });

  it('refuses a purge with a remote coordinator (409 purge_needs_coordinator) and changes nothing', async () => {
    const err = await repair(false).purge(command, 'purge').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PurgeNeedsCoordinatorError);
    expect(err).toMatchObject({ code: 'conflict', details: { reason: 'purge_needs_coordinator', endpoint: 'http://coordinator:8080' } });
    expect((await store.read(DS, OHLCV_SCHEMA, { start: 0, end: 60 * MIN })).length).toBe(60);
    expect(await store.repairAudit({ limit: 5 })).toEqual([]);
  });

  it('runs the precheck before resetting or purging anything (a forced backfill of a dataset with no source)', async () => {
    const refusal = new InvalidRequestError('node', 'has no upstream source to backfill from');
    await expect(repair().purge(command, 'force_backfill', () => { throw refusal; })).rejects.toBe(refusal);
    expect(resets).toEqual([]);
    expect((await store.read(DS, OHLCV_SCHEMA, { start: 0, end: 60 * MIN })).length).toBe(60);
  });

  it('refuses off-grid bounds and an unknown dataset before resetting any lease', async () => {
    await expect(repair().purge({ ...command, start: 10 * MIN + 1 }, 'purge')).rejects.toMatchObject({ field: 'start' });
    await expect(repair().purge({ ...command, end: '2024-13-01' }, 'purge')).rejects.toMatchObject({ field: 'end' });
    await expect(repair().purge({ ...command, nodeId: 'ohlcv:nowhere' }, 'purge')).rejects.toMatchObject({ code: 'not_found' });
    expect(resets).toEqual([]);
  });

  it('bounds the audit listing, naming limit', async () => {
    await expect(repair().audit({ limit: 0 })).rejects.toMatchObject({ field: 'limit' });
    await expect(repair().audit({ limit: 1001 })).rejects.toMatchObject({ field: 'limit' });
    expect(await repair().audit({ limit: 1 })).toEqual([]);
  });
});
