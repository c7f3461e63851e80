/**
 * The writeMany part of the BarStore conformance suite: BarStore.writeMany writes its batches as
 * that many `write` calls would (rows, coverage, versions, findings, reports), checked on random
 * batches against a second store written batch by batch, and in ONE transaction (a stale fence or
 * an invalid batch anywhere refuses the whole call and nothing is written). Each engine that
 * implements writeMany runs it (test/unit/engines/duckdb, test/integration/postgres-bar-store).
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidRequestError, OHLCV_SCHEMA, StaleFencingTokenError } from '../../src/core/index.js';
import type { IngestFinding } from '../../src/core/index.js';
import type { IngestFindingStore } from '../../src/conformance/index.js';
import type { BarStore, CoverageClaim, DatasetKey, WriteBatch } from '../../src/storage/index.js';
import { MIN, rejection, rowsOf, seededBars as bars } from './suite-frames.js';


export interface WriteManyStores {
  readonly bars: BarStore;
  /** The findings committed with the bars' writes (same database); closed with `bars`. */
  readonly findings: IngestFindingStore;
}

/** One generated batch: bars [from, from + rows) of dataset `ds`, claimed to from + rows + extra (a second claim after a gap with `split`). */
export interface BatchSpec {
  readonly ds: number;
  readonly from: number;
  readonly rows: number;
  readonly extra: number;
  readonly seed: number;
  readonly split: boolean;
  readonly finding: boolean;
  readonly fenced: boolean;
  readonly live: boolean;
}

export const batchArb: fc.Arbitrary<BatchSpec> = fc.record({
  ds: fc.integer({ min: 0, max: 2 }), from: fc.integer({ min: 0, max: 14 }), rows: fc.integer({ min: 0, max: 5 }), extra: fc.integer({ min: 0, max: 2 }),
  seed: fc.integer({ min: 1, max: 9 }), split: fc.boolean(), finding: fc.boolean(), fenced: fc.boolean(), live: fc.boolean(),
});

/** The WriteBatch of a spec; `token` numbers its fence (growing, so never stale). */
export function batchOf(spec: BatchSpec, datasets: readonly DatasetKey[], token: number): WriteBatch {
  const dataset = datasets[spec.ds];
  const end = spec.from + spec.rows + Math.max(spec.extra, spec.rows === 0 ? 1 : 0);
  const coverage: CoverageClaim[] = [{ start: spec.from * MIN, end: end * MIN, state: 'stored' }];
  // A second claim after a one-bar gap: known empty (a claim under no stored row).
  if (spec.split) coverage.push({ start: (end + 1) * MIN, end: (end + 3) * MIN, state: 'known_empty' });
  const findings: IngestFinding[] = spec.finding
    ? [{ nodeId: dataset.nodeId, intervalMs: MIN, flag: 'duplicate_ts', ts: spec.from * MIN, count: 1, at: 1, detail: `seed ${spec.seed}` }]
    : [];
  return {
    dataset, frame: bars(spec.from, spec.rows, spec.seed), coverage, findings,
    ...(spec.fenced ? { fence: { key: `shard:${dataset.nodeId}`, token } } : {}),
    ...(spec.live ? { source: 'live' } : {}),
  };
}

/** What a store holds of a dataset, with the commit times left out (the two stores commit at different times). */
export async function contents(stores: WriteManyStores, dataset: DatasetKey): Promise<unknown> {
  const whole = { start: 0, end: 100 * MIN };
  const versions = await stores.bars.versions?.(dataset, 1_000) ?? [];
  const findings = await stores.findings.history(dataset.nodeId, MIN, whole.start, whole.end);
  return {
    rows: rowsOf(await stores.bars.read(dataset, OHLCV_SCHEMA, whole)),
    coverage: await stores.bars.coverage(dataset),
    versions: versions.map((v) => ({ ...v, at: 0 })),
    findings: findings.map((f) => ({ ...f, supersededAt: f.supersededAt === null ? null : 'superseded' })),
  };
}

export function describeBarStoreWriteMany(name: string, open: () => Promise<WriteManyStores>): void {
  describe(`bar store writeMany: ${name}`, () => {
    let many: WriteManyStores;
    let single: WriteManyStores;
    beforeEach(async () => {
      many = await open();
      single = await open();
    });
    afterEach(async () => {
      await many.bars.close();
      await single.bars.close();
    });

    it('writes every batch as that many writes would: rows, coverage, versions, findings and reports (random batches, datasets repeated)', async () => {
      let run = 0;
      let token = 0;
      await fc.assert(fc.asyncProperty(fc.array(batchArb, { maxLength: 3 }), fc.array(batchArb, { minLength: 1, maxLength: 6 }), async (before, specs) => {
        run += 1;
        const datasets = [0, 1, 2].map((k): DatasetKey => ({ nodeId: `ohlcv:many:${name}:${run}:${k}`, intervalMs: MIN }));
        // What the datasets held before: the same writes on both stores.
        for (const spec of before) {
          const batch = batchOf(spec, datasets, ++token);
          await many.bars.write(batch, OHLCV_SCHEMA);
          await single.bars.write(batch, OHLCV_SCHEMA);
        }
        const batches = specs.map((s) => batchOf(s, datasets, ++token));
        const reports = await many.bars.writeMany?.(batches, OHLCV_SCHEMA);
        const expected = [];
        for (const b of batches) expected.push(await single.bars.write(b, OHLCV_SCHEMA));
        expect(reports).toEqual(expected);
        for (const d of datasets) expect(await contents(many, d)).toEqual(await contents(single, d));
      }), { numRuns: 30 });
    });

    it('leaves nothing written when the fence of batch 3 of 5 is stale, and writes the next call in full', async () => {
      const datasets = [0, 1, 2, 3, 4].map((k): DatasetKey => ({ nodeId: `ohlcv:atomic:${k}`, intervalMs: MIN }));
      // Each dataset holds [0, 5) with a finding at 0; the shard of dataset 2 has a newer holder (token 7).
      for (const d of datasets) {
        await many.bars.write({ dataset: d, frame: bars(0, 5, 1), coverage: [{ start: 0, end: 5 * MIN, state: 'stored' }],
          findings: [{ nodeId: d.nodeId, intervalMs: MIN, flag: 'duplicate_ts', ts: 0, count: 1, at: 1, detail: 'before' }] }, OHLCV_SCHEMA);
      }
      await many.bars.advanceFence({ key: 'shard:2', token: 7 });
      const before = await Promise.all(datasets.map((d) => contents(many, d)));
      // Every batch restates [0, 3) and adds [5, 8): rows replaced, findings superseded, coverage extended.
      const batches = datasets.map((d, k): WriteBatch => ({
        dataset: d, frame: bars(0, 8, 2), coverage: [{ start: 0, end: 8 * MIN, state: 'stored' }],
        ...(k === 2 ? { fence: { key: 'shard:2', token: 5 } } : { fence: { key: `shard:${k}`, token: 1 } }),
      }));
      const err = await rejection(many.bars.writeMany?.(batches, OHLCV_SCHEMA) ?? Promise.resolve());
      expect(err).toBeInstanceOf(StaleFencingTokenError);
      expect(await Promise.all(datasets.map((d) => contents(many, d)))).toEqual(before);
      // The fences of the other batches were not advanced either: token 1 is still news to storage.
      for (const k of [0, 1, 3, 4]) await many.bars.advanceFence({ key: `shard:${k}`, token: 1 });

      const retried = batches.map((b, k) => (k === 2 ? { ...b, fence: { key: 'shard:2', token: 7 } } : b));
      const reports = await many.bars.writeMany?.(retried, OHLCV_SCHEMA);
      expect(reports?.map((r) => r.rowsWritten)).toEqual([8, 8, 8, 8, 8]);
      for (const d of datasets) {
        expect(rowsOf(await many.bars.read(d, OHLCV_SCHEMA, { start: 0, end: 10 * MIN }))).toEqual(rowsOf(bars(0, 8, 2)));
        expect(await many.bars.coverage(d)).toEqual([{ start: 0, end: 8 * MIN, state: 'stored' }]);
        expect(await many.findings.findings(d.nodeId, MIN, 0, 10 * MIN)).toEqual([]);
      }
    });

    it('refuses an invalid batch before writing anything, naming it (batches[2].frame.ts)', async () => {
      const datasets = [0, 1, 2].map((k): DatasetKey => ({ nodeId: `ohlcv:invalid:${k}`, intervalMs: MIN }));
      const batches = datasets.map((d): WriteBatch => ({ dataset: d, frame: bars(0, 3, 1), coverage: [{ start: 0, end: 3 * MIN, state: 'stored' }] }));
      const bad = [...batches];
      bad[2] = { ...batches[2], coverage: [{ start: 0, end: 2 * MIN, state: 'stored' }] };
      const err = await rejection(many.bars.writeMany?.(bad, OHLCV_SCHEMA) ?? Promise.resolve());
      expect(err).toBeInstanceOf(InvalidRequestError);
      expect((err as InvalidRequestError).field).toBe('batches[2].frame.ts');
      for (const d of datasets) {
        expect(await many.bars.coverage(d)).toEqual([]);
        expect((await many.bars.read(d, OHLCV_SCHEMA, { start: 0, end: 3 * MIN })).length).toBe(0);
      }
    });
  });
}
