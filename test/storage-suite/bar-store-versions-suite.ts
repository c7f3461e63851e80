/**
 * The versions part of the BarStore conformance suite (readAsOf, coverageAsOf, versions,
 * pruneVersions): every write and purge is a version, a restatement keeps the earlier values, and
 * a read as of T answers exactly what was known at T. Includes a property test: random
 * write/restate/purge histories, every as_of read equal to the replay of the history up to T.
 * Called from describeBarStore, so each engine runs it.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidRequestError, OHLCV_SCHEMA } from '../../src/core/index.js';
import { AsOfBeyondRetentionError } from '../../src/storage/index.js';
import type { BarStore, CoverageRange, DatasetKey } from '../../src/storage/index.js';
import { MIN, rejection, rowsOf, seededBars as bars } from './suite-frames.js';

const DS: DatasetKey = { nodeId: 'ohlcv:binance:SOL/USDT', intervalMs: MIN };

/** Waits until the store's clock (the system clock in this suite) has moved past `at`. */
async function after(at: number): Promise<void> {
  while (Date.now() <= at) await new Promise((r) => setImmediate(r));
}

/** One step of a history: a write of bars [from, from + rows) claimed up to `claimTo`, or a purge of [from, to). */
type Op =
  | { readonly type: 'write'; readonly from: number; readonly rows: number; readonly extra: number; readonly seed: number }
  | { readonly type: 'purge'; readonly from: number; readonly to: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('write' as const), from: fc.integer({ min: 0, max: 15 }), rows: fc.integer({ min: 0, max: 6 }), extra: fc.integer({ min: 0, max: 2 }), seed: fc.integer({ min: 1, max: 9 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('purge' as const), from: fc.integer({ min: 0, max: 18 }), to: fc.integer({ min: 1, max: 22 }) }) },
);

export function describeBarStoreVersions(name: string, open: () => Promise<BarStore>): void {
  describe(`bar store versions: ${name}`, () => {
    let store: BarStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    function asOf(dataset: DatasetKey, at: number, end = 30 * MIN): ReturnType<NonNullable<BarStore['readAsOf']>> {
      if (store.readAsOf === undefined) throw new InvalidRequestError('store', `${name} keeps no versions`);
      return store.readAsOf(dataset, OHLCV_SCHEMA, { start: 0, end }, at);
    }

    async function newestVersion(dataset: DatasetKey): Promise<{ id: number; at: number }> {
      const [v] = await store.versions?.(dataset, 1) ?? [];
      if (v === undefined) throw new InvalidRequestError('versions', 'no version recorded');
      return v;
    }

    it('keeps a restated bar: as of before the restatement reads the old values, without as_of the new ones', async () => {
      const first = await store.write({ dataset: DS, frame: bars(0, 5, 1), coverage: [{ start: 0, end: 5 * MIN, state: 'stored' }], source: 'backfill' }, OHLCV_SCHEMA);
      const v1 = await newestVersion(DS);
      expect(v1.id).toBe(first.versionId);
      await after(v1.at);
      await store.write({ dataset: DS, frame: bars(2, 1, 7), coverage: [{ start: 2 * MIN, end: 3 * MIN, state: 'stored' }], source: 'import', fence: { key: 'shard-a', token: 3 } }, OHLCV_SCHEMA);
      const v2 = await newestVersion(DS);

      const before = await asOf(DS, v1.at);
      expect(rowsOf(before.frame)).toEqual(rowsOf(bars(0, 5, 1)));
      expect(before.versions).toEqual([v1.id]);
      expect(before.newestVersionAt).toBe(v1.at);
      const now = await asOf(DS, v2.at);
      expect(now.frame.values[3][2]).toBe(7002.3);
      expect(now.versions).toEqual([v1.id, v2.id]);
      expect((await store.read(DS, OHLCV_SCHEMA, { start: 0, end: 5 * MIN })).values[3][2]).toBe(7002.3);

      const [restated] = await store.versions?.(DS, 1) ?? [];
      expect(restated).toMatchObject({ kind: 'write', source: 'import', fenceKey: 'shard-a', fenceToken: 3, start: 2 * MIN, end: 3 * MIN, rows: 1 });
      expect(restated?.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    });

    it('knows nothing before the first version: an empty frame, no versions, no coverage', async () => {
      await store.write({ dataset: DS, frame: bars(0, 3, 1), coverage: [{ start: 0, end: 3 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
      const v1 = await newestVersion(DS);
      const early = await asOf(DS, v1.at - 1);
      expect(early.frame.length).toBe(0);
      expect(early.versions).toEqual([]);
      expect(await store.coverageAsOf?.(DS, v1.at - 1)).toEqual([]);
      expect(await store.coverageAsOf?.(DS, v1.at)).toEqual([{ start: 0, end: 3 * MIN, state: 'stored' }]);
    });

    it('keeps what a purge removed: as of before the purge still reads the rows and the coverage', async () => {
      await store.write({ dataset: DS, frame: bars(0, 6, 1), coverage: [{ start: 0, end: 6 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
      const v1 = await newestVersion(DS);
      await after(v1.at);
      await store.purge({ dataset: DS, range: { start: 2 * MIN, end: 4 * MIN }, fences: [], actor: 'ops-admin', action: 'purge' });
      const purge = await store.versions?.(DS, 1) ?? [];
      expect(purge[0]).toMatchObject({ kind: 'purge', source: 'ops-admin', rows: 2, start: 2 * MIN, end: 4 * MIN });
      expect((await asOf(DS, v1.at)).frame.length).toBe(6);
      expect(await store.coverageAsOf?.(DS, v1.at)).toEqual([{ start: 0, end: 6 * MIN, state: 'stored' }]);
      expect(Array.from((await asOf(DS, purge[0].at)).frame.ts)).toEqual([0, MIN, 4 * MIN, 5 * MIN]);
    });

    it('refuses an as_of older than the pruning horizon, naming asOf, and still answers after it and before the first version', async () => {
      await store.write({ dataset: DS, frame: bars(0, 3, 1), coverage: [{ start: 0, end: 3 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
      const v1 = await newestVersion(DS);
      await after(v1.at);
      await store.write({ dataset: DS, frame: bars(0, 3, 2), coverage: [{ start: 0, end: 3 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
      const v2 = await newestVersion(DS);
      await after(v2.at);
      expect(await store.pruneVersions?.(v2.at + 1)).toBe(3);
      const err = await rejection(asOf(DS, v1.at));
      expect(err).toBeInstanceOf(AsOfBeyondRetentionError);
      expect(err).toMatchObject({ code: 'invalid_request', field: 'asOf', details: { reason: 'as_of_beyond_retention' } });
      expect(rowsOf((await asOf(DS, v2.at + 1)).frame)).toEqual(rowsOf(bars(0, 3, 2)));
      // Before the dataset's first version nothing was known: still exact after pruning, so answered.
      expect((await asOf(DS, v1.at - 1)).frame.length).toBe(0);
      expect(await store.coverageAsOf?.(DS, v1.at - 1)).toEqual([]);
    });

    it('answers as of the newest version, and any time after it, exactly as the plain read, with the versions that served', async () => {
      await store.write({ dataset: DS, frame: bars(0, 8, 1), coverage: [{ start: 0, end: 8 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
      const v1 = await newestVersion(DS);
      await after(v1.at);
      await store.write({ dataset: DS, frame: bars(3, 2, 5), coverage: [{ start: 3 * MIN, end: 5 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
      const v2 = await newestVersion(DS);
      const plain = await store.read(DS, OHLCV_SCHEMA, { start: 0, end: 30 * MIN });
      for (const at of [v2.at, v2.at + 1, v2.at + 86_400_000]) {
        const got = await asOf(DS, at);
        expect(rowsOf(got.frame)).toEqual(rowsOf(plain));
        expect(got.versions).toEqual([v1.id, v2.id]);
        expect(got.newestVersionAt).toBe(v2.at);
      }
      // A range of the newest version holding none of its rows still names it.
      expect((await store.readAsOf?.(DS, OHLCV_SCHEMA, { start: 6 * MIN, end: 8 * MIN }, v2.at))?.versions).toEqual([v1.id, v2.id]);
    });

    it('reads as of just before the newest version from the history, also right after reads at the newest and after a later write', async () => {
      await store.write({ dataset: DS, frame: bars(0, 6, 1), coverage: [{ start: 0, end: 6 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
      const v1 = await newestVersion(DS);
      await after(v1.at);
      await store.write({ dataset: DS, frame: bars(2, 2, 4), coverage: [{ start: 2 * MIN, end: 4 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
      const v2 = await newestVersion(DS);
      const atV2 = rowsOf((await asOf(DS, v2.at)).frame);
      expect(atV2[2][1]).toBe(4002);
      const justBefore = await asOf(DS, v2.at - 1);
      expect(rowsOf(justBefore.frame)).toEqual(rowsOf(bars(0, 6, 1)));
      expect(justBefore.versions).toEqual([v1.id]);
      expect(justBefore.newestVersionAt).toBe(v1.at);
      // A version committed after those reads: as of v2 is still v2's answer, not the newest rows.
      await after(v2.at);
      await store.purge({ dataset: DS, range: { start: 0, end: 3 * MIN }, fences: [], actor: 'ops-admin', action: 'purge' });
      const v3 = await newestVersion(DS);
      const stillV2 = await asOf(DS, v2.at);
      expect(rowsOf(stillV2.frame)).toEqual(atV2);
      expect(stillV2.versions).toEqual([v1.id, v2.id]);
      expect(rowsOf((await asOf(DS, v3.at)).frame)).toEqual(rowsOf(await store.read(DS, OHLCV_SCHEMA, { start: 0, end: 30 * MIN })));
      expect((await asOf(DS, v3.at)).newestVersionAt).toBe(v3.at);
    });

    it('reads a range no later version touched as of an older version, and a range a later version touched from the history', async () => {
      await store.write({ dataset: DS, frame: bars(0, 5, 1), coverage: [{ start: 0, end: 5 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
      const v1 = await newestVersion(DS);
      await after(v1.at);
      await store.write({ dataset: DS, frame: bars(10, 5, 2), coverage: [{ start: 10 * MIN, end: 15 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
      const v2 = await newestVersion(DS);
      await after(v2.at);
      await store.write({ dataset: DS, frame: bars(3, 1, 3), coverage: [{ start: 3 * MIN, end: 4 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
      const read = (range: { start: number; end: number }, at: number) => store.readAsOf?.(DS, OHLCV_SCHEMA, range, at);
      // [0, 3) was not touched after v1: as of v1 it is the current rows, written by v1.
      const untouched = await read({ start: 0, end: 3 * MIN }, v1.at);
      expect(rowsOf(untouched?.frame ?? bars(0, 0, 0))).toEqual(rowsOf(bars(0, 3, 1)));
      expect(untouched?.versions).toEqual([v1.id]);
      expect(untouched?.newestVersionAt).toBe(v1.at);
      // [0, 5) was restated at 3 after v2: as of v2 it still holds v1's bar at 3, and not v2's bars after it.
      const touched = await read({ start: 0, end: 15 * MIN }, v2.at);
      expect(rowsOf(touched?.frame ?? bars(0, 0, 0))).toEqual([...rowsOf(bars(0, 5, 1)), ...rowsOf(bars(10, 5, 2))]);
      expect(touched?.versions).toEqual([v1.id, v2.id]);
      // Nothing of [10, 15) existed as of v1.
      expect((await read({ start: 10 * MIN, end: 15 * MIN }, v1.at))?.frame.length).toBe(0);
    });

    it('answers every as_of read with the replay of the history up to then (random write/restate/purge histories)', async () => {
      let run = 0;
      await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 7 }), async (ops) => {
        run += 1;
        const dataset: DatasetKey = { nodeId: `ohlcv:prop:${name}:${run}`, intervalMs: MIN };
        const model = new Map<number, number[]>();
        const snapshots: { at: number; rows: number[][]; coverage: CoverageRange[] }[] = [];
        for (const op of ops) {
          if (op.type === 'write') {
            const frame = bars(op.from, op.rows, 1 + (op.seed % 9));
            const claim = { start: op.from * MIN, end: (op.from + op.rows + op.extra) * MIN, state: 'stored' as const };
            if (claim.end === claim.start) continue;
            await store.write({ dataset, frame, coverage: [claim] }, OHLCV_SCHEMA);
            for (let t = op.from; t < op.from + op.rows + op.extra; t++) model.delete(t * MIN);
            for (const row of rowsOf(frame)) model.set(row[0], row);
          } else {
            if (op.to <= op.from) continue;
            await store.purge({ dataset, range: { start: op.from * MIN, end: op.to * MIN }, fences: [], actor: 'prop', action: 'purge' });
            for (let t = op.from; t < op.to; t++) model.delete(t * MIN);
          }
          const newest = await store.versions?.(dataset, 1) ?? [];
          if (newest.length === 0) continue;
          const rows = [...model.values()].sort((a, b) => a[0] - b[0]);
          snapshots.push({ at: newest[0].at, rows, coverage: await store.coverage(dataset) });
        }
        for (const s of snapshots) {
          // Several versions may commit in one millisecond: as of that time, the last of them is what was known.
          const expected = snapshots.filter((o) => o.at <= s.at).at(-1);
          const got = await asOf(dataset, s.at);
          expect(rowsOf(got.frame)).toEqual(expected?.rows);
          expect(await store.coverageAsOf?.(dataset, s.at)).toEqual(expected?.coverage);
        }
      }), { numRuns: 25 });
    });
  });
}
