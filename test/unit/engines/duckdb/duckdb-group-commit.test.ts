/**
 * Single writes issued together on the DuckDB bar store share one transaction (group commit,
 * write-coalescer.ts). What the callers and storage see must be what the same writes one after
 * the other give: random batches (datasets repeated, findings, fences, known-empty claims)
 * written concurrently against a second store written in sequence; and one stale fence among
 * them fails that write alone.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, StaleFencingTokenError } from '../../../../src/core/index.js';
import { createEmbeddedDatabase } from '../../../../src/engines/duckdb/internal.js';
import type { DatasetKey, WriteBatch } from '../../../../src/storage/index.js';
import { batchArb, batchOf, contents } from '../../../storage-suite/bar-store-write-many-suite.js';
import type { WriteManyStores } from '../../../storage-suite/bar-store-write-many-suite.js';
import { MIN, rowsOf, seededBars } from '../../../storage-suite/suite-frames.js';

async function open(): Promise<WriteManyStores> {
  const db = await createEmbeddedDatabase({ path: ':memory:' });
  return { bars: db.bars, findings: db.findings };
}

describe('duckdb bar store: writes issued together', () => {
  let together: WriteManyStores;
  let sequential: WriteManyStores;
  beforeEach(async () => {
    together = await open();
    sequential = await open();
  });
  afterEach(async () => {
    await together.bars.close();
    await sequential.bars.close();
  });

  it('store and report what the same writes one after the other store and report (random batches)', async () => {
    let run = 0;
    let token = 0;
    await fc.assert(fc.asyncProperty(fc.array(batchArb, { minLength: 1, maxLength: 6 }), async (specs) => {
      run += 1;
      const datasets = [0, 1, 2].map((k): DatasetKey => ({ nodeId: `ohlcv:together:${run}:${k}`, intervalMs: MIN }));
      const batches = specs.map((s) => batchOf(s, datasets, ++token));
      const reports = await Promise.all(batches.map((b) => together.bars.write(b, OHLCV_SCHEMA)));
      const expected = [];
      for (const b of batches) expected.push(await sequential.bars.write(b, OHLCV_SCHEMA));
      expect(reports).toEqual(expected);
      for (const d of datasets) expect(await contents(together, d)).toEqual(await contents(sequential, d));
    }), { numRuns: 30 });
  });

  it('fails only the write whose fence is stale; the others issued with it are stored', async () => {
    const datasets = [0, 1, 2].map((k): DatasetKey => ({ nodeId: `ohlcv:stale-among:${k}`, intervalMs: MIN }));
    await together.bars.advanceFence({ key: 'shard:1', token: 9 });
    const batches = datasets.map((d, k): WriteBatch => ({
      dataset: d, frame: seededBars(0, 4, k + 1), coverage: [{ start: 0, end: 4 * MIN, state: 'stored' }], fence: { key: `shard:${k}`, token: k === 1 ? 3 : 1 },
    }));
    const outcomes = await Promise.allSettled(batches.map((b) => together.bars.write(b, OHLCV_SCHEMA)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(StaleFencingTokenError);
    for (const k of [0, 2]) expect(rowsOf(await together.bars.read(datasets[k], OHLCV_SCHEMA, { start: 0, end: 4 * MIN }))).toEqual(rowsOf(seededBars(0, 4, k + 1)));
    expect(await together.bars.coverage(datasets[1])).toEqual([]);
  });
});
