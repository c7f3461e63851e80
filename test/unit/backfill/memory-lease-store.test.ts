import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryLeaseStore } from '../../../src/backfill/index.js';
import { createMemoryLeaseBackend } from '../../../src/backfill/internal.js';
import type { MemoryLeaseBackend } from '../../../src/backfill/internal.js';
import { describeLeaseStore } from '../../storage-suite/lease-store-suite.js';

let backend: MemoryLeaseBackend;
// Runs before the suite's own hooks: every test starts on an empty backend.
beforeEach(() => {
  backend = createMemoryLeaseBackend();
});

describeLeaseStore('memory', async () => backend.open());

describe('memory lease store', () => {
  it('is of kind memory', () => {
    expect(createMemoryLeaseStore().kind).toBe('memory');
  });

  it('keeps separate backends apart', async () => {
    const a = createMemoryLeaseStore();
    const b = createMemoryLeaseStore();
    await a.ensureShards([{ key: '["k"]', nodeId: 'n', intervalMs: 60_000, start: 0, end: 60_000 }], 1);
    expect(await b.shard('["k"]')).toBeUndefined();
  });

  it('refuses calls on a closed handle while other handles of the backend keep working', async () => {
    const shared = createMemoryLeaseBackend();
    const closed = shared.open();
    const open = shared.open();
    await closed.close();
    await closed.close();
    await expect(closed.ping()).rejects.toMatchObject({ code: 'internal' });
    await expect(open.ping()).resolves.toBeUndefined();
  });

  it('hands out records that cannot be changed behind the store', async () => {
    const store = createMemoryLeaseStore();
    const [shard] = await store.ensureShards([{ key: '["k"]', nodeId: 'n', intervalMs: 60_000, start: 0, end: 60_000 }], 1);
    expect(Object.isFrozen(shard)).toBe(true);
    const keys = ['["k"]'];
    await store.createJob({ id: 'j', nodeId: 'n', intervalMs: 60_000, shardKeys: keys, requestedBy: 'test', createdAt: 1 });
    keys.push('["other"]');
    expect((await store.job('j'))?.shardKeys).toEqual(['["k"]']);
  });
});
