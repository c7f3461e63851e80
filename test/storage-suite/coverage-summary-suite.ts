/**
 * The catalog's part of the BarStore suite, run on every engine from `describeBarStore`:
 * `coverageSummary()` (rows counted, first and last bar, known-empty and failed bars, last
 * write) and `datedCoverage()` (coverage entries with their last change).
 */
import { describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, createFrame } from '../../src/core/index.js';
import type { Frame } from '../../src/core/index.js';
import type { BarStore, DatasetKey } from '../../src/storage/index.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

function bars(ts: readonly number[]): Frame {
  const values = OHLCV_SCHEMA.columns.map(() => new Float64Array(ts.length).fill(1));
  return createFrame(OHLCV_SCHEMA, Float64Array.from(ts), values);
}

function range(start: number, n: number, step: number): number[] {
  return Array.from({ length: n }, (_, i) => start + i * step);
}

export function describeCoverageSummary(name: string, store: () => BarStore): void {
  describe(`coverage summary: ${name}`, () => {
    const ds: DatasetKey = { nodeId: 'ohlcv:x:ETH/USDT', intervalMs: MIN };

    it('summarises each dataset: rows counted, first and last bar, known-empty and failed bars, last write', async () => {
      const before = Date.now();
      await store().write({ dataset: ds, frame: bars(range(10 * MIN, 5, MIN)), coverage: [
        { start: 10 * MIN, end: 15 * MIN, state: 'stored' }, { start: 15 * MIN, end: 22 * MIN, state: 'known_empty' },
      ] }, OHLCV_SCHEMA);
      await store().markFailed(ds, { start: 30 * MIN, end: 33 * MIN }, 'upstream 503');
      await store().write({ dataset: { nodeId: ds.nodeId, intervalMs: HOUR }, frame: bars(range(0, 3, HOUR)), coverage: [{ start: 0, end: 3 * HOUR, state: 'stored' }] }, OHLCV_SCHEMA);
      await store().markFailed({ nodeId: 'only-failed', intervalMs: MIN }, { start: 0, end: 2 * MIN }, 'boom');
      const after = Date.now();

      const summary = await store().coverageSummary();
      expect(summary.map((s) => [s.nodeId, s.intervalMs])).toEqual([[ds.nodeId, MIN], [ds.nodeId, HOUR], ['only-failed', MIN]]);
      expect(summary[0]).toMatchObject({ schema: 'ohlcv', barsStored: 5, firstTs: 10 * MIN, lastTs: 14 * MIN, knownEmptyBars: 7, failedBars: 3 });
      expect(summary[1]).toMatchObject({ schema: 'ohlcv', barsStored: 3, firstTs: 0, lastTs: 2 * HOUR, knownEmptyBars: 0, failedBars: 0 });
      expect(summary[2]).toMatchObject({ schema: '', barsStored: 0, firstTs: undefined, lastTs: undefined, knownEmptyBars: 0, failedBars: 2 });
      for (const s of summary) {
        expect(s.lastWriteAt).toBeGreaterThanOrEqual(before);
        expect(s.lastWriteAt).toBeLessThanOrEqual(after);
      }
    });

    it('counts the rows stored, not the span of the stored coverage', async () => {
      // Bar 13 is absent from the batch: coverage records two runs, the count says 9.
      const ts = range(10 * MIN, 10, MIN).filter((t) => t !== 13 * MIN);
      await store().write({ dataset: ds, frame: bars(ts), coverage: [{ start: 10 * MIN, end: 20 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
      const [summary] = await store().coverageSummary();
      expect(summary).toMatchObject({ barsStored: 9, firstTs: 10 * MIN, lastTs: 19 * MIN, knownEmptyBars: 0, failedBars: 0 });
    });

    it('gives nothing for an empty store', async () => {
      expect(await store().coverageSummary()).toEqual([]);
    });

    it('dates each coverage entry with its last change and keeps the overlap filter of coverage()', async () => {
      const before = Date.now();
      await store().write({ dataset: ds, frame: bars(range(0, 5, MIN)), coverage: [{ start: 0, end: 5 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
      await store().markFailed(ds, { start: 10 * MIN, end: 12 * MIN }, 'timeout');
      const after = Date.now();
      const dated = await store().datedCoverage(ds);
      expect(dated.map(({ updatedAt: _, ...entry }) => entry)).toEqual(await store().coverage(ds));
      expect(dated.map((e) => e.state)).toEqual(['stored', 'failed']);
      expect(dated[1]).toMatchObject({ reason: 'timeout', attempts: 1 });
      for (const e of dated) {
        expect(e.updatedAt).toBeGreaterThanOrEqual(before);
        expect(e.updatedAt).toBeLessThanOrEqual(after);
      }
      expect((await store().datedCoverage(ds, { start: 10 * MIN, end: 11 * MIN })).map((e) => e.start)).toEqual([10 * MIN]);
      expect(await store().datedCoverage({ nodeId: 'unknown', intervalMs: MIN })).toEqual([]);
    });
  });
}
