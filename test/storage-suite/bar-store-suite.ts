/**
 * The BarStore conformance suite: every storage engine runs these same behaviours
 * (`describeBarStore('duckdb', open)`, later `describeBarStore('postgres', open)`).
 * `open` must return a fresh, empty store each time.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidRequestError, OHLCV_SCHEMA, StaleFencingTokenError, TICK_SCHEMA, createFrame } from '../../src/core/index.js';
import type { Frame, FrameSchema } from '../../src/core/index.js';
import type { BarStore, CoverageClaim, DatasetKey } from '../../src/storage/index.js';
import { describeCoverageSummary } from './coverage-summary-suite.js';
import { describeBarStorePurge } from './bar-store-purge-suite.js';
import { describeBarStoreVersions } from './bar-store-versions-suite.js';
import { rejection } from './suite-frames.js';

const MIN = 60_000;
const DS: DatasetKey = { nodeId: 'ohlcv:binance:BTC/USDT', intervalMs: MIN };

/** OHLCV bars at `startTs`, `startTs + MIN`, … with values derived from `seed` and the row. */
export function ohlcvBars(startTs: number, rows: number, seed = 1, intervalMs = MIN): Frame {
  const ts = new Float64Array(rows);
  const values = OHLCV_SCHEMA.columns.map(() => new Float64Array(rows));
  for (let i = 0; i < rows; i++) {
    ts[i] = startTs + i * intervalMs;
    for (let c = 0; c < values.length; c++) values[c][i] = seed * 1000 + i + c / 10;
  }
  return createFrame(OHLCV_SCHEMA, ts, values);
}

function stored(start: number, end: number): CoverageClaim {
  return { start, end, state: 'stored' };
}

function columnsOf(f: Frame): number[][] {
  return [Array.from(f.ts), ...f.values.map((v) => Array.from(v))];
}


export function describeBarStore(name: string, open: () => Promise<BarStore>): void {
  describeBarStorePurge(name, open);
  describeBarStoreVersions(name, open);
  describe(`bar store conformance: ${name}`, () => {
    let store: BarStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    async function write(frame: Frame, coverage: CoverageClaim[], dataset: DatasetKey = DS, schema: FrameSchema = OHLCV_SCHEMA): Promise<void> {
      await store.write({ dataset, frame, coverage }, schema);
    }

    it('returns identical columns for what was written', async () => {
      const frame = ohlcvBars(0, 500);
      const report = await store.write({ dataset: DS, frame, coverage: [stored(0, 500 * MIN)] }, OHLCV_SCHEMA);
      expect(report.rowsWritten).toBe(500);
      const back = await store.read(DS, OHLCV_SCHEMA, { start: 0, end: 500 * MIN });
      expect(back.schema.name).toBe('ohlcv');
      expect(columnsOf(back)).toEqual(columnsOf(frame));
    });

    it('reads half-open ranges: the row at end is excluded', async () => {
      await write(ohlcvBars(0, 10), [stored(0, 10 * MIN)]);
      const back = await store.read(DS, OHLCV_SCHEMA, { start: 2 * MIN, end: 5 * MIN });
      expect(Array.from(back.ts)).toEqual([2 * MIN, 3 * MIN, 4 * MIN]);
    });

    it('returns an empty frame for an unknown dataset or an empty range', async () => {
      const unknown = await store.read({ nodeId: 'nobody', intervalMs: MIN }, OHLCV_SCHEMA, { start: 0, end: 10 * MIN });
      expect(unknown.length).toBe(0);
      expect(unknown.values.length).toBe(5);
      await write(ohlcvBars(0, 10), [stored(0, 10 * MIN)]);
      expect((await store.read(DS, OHLCV_SCHEMA, { start: 20 * MIN, end: 30 * MIN })).length).toBe(0);
      expect((await store.read(DS, OHLCV_SCHEMA, { start: 5 * MIN, end: 5 * MIN })).length).toBe(0);
      expect(await store.coverage({ nodeId: 'nobody', intervalMs: MIN })).toEqual([]);
    });

    it('upserts: a row at the same ts replaces the old one', async () => {
      await write(ohlcvBars(0, 10, 1), [stored(0, 10 * MIN)]);
      await write(ohlcvBars(3 * MIN, 2, 7), [stored(3 * MIN, 5 * MIN)]);
      const back = await store.read(DS, OHLCV_SCHEMA, { start: 0, end: 10 * MIN });
      expect(back.length).toBe(10);
      expect(back.column('close')[3]).toBe(7000 + 0.3);
      expect(back.column('close')[4]).toBe(7001 + 0.3);
      expect(back.column('close')[5]).toBe(1005 + 0.3);
    });

    it('replaces every row of a claimed range, dropping rows the new write does not carry', async () => {
      await write(ohlcvBars(0, 10), [stored(0, 10 * MIN)]);
      await write(ohlcvBars(2 * MIN, 1, 5), [stored(2 * MIN, 6 * MIN)]);
      const back = await store.read(DS, OHLCV_SCHEMA, { start: 0, end: 10 * MIN });
      expect(Array.from(back.ts)).toEqual([0, 1, 2, 6, 7, 8, 9].map((i) => i * MIN));
    });

    it('merges adjacent coverage claims of one state into one entry', async () => {
      await write(ohlcvBars(0, 5), [stored(0, 5 * MIN)]);
      await write(ohlcvBars(5 * MIN, 5), [stored(5 * MIN, 10 * MIN)]);
      await write(ohlcvBars(20 * MIN, 5), [stored(20 * MIN, 25 * MIN)]);
      expect(await store.coverage(DS)).toEqual([
        { start: 0, end: 10 * MIN, state: 'stored' },
        { start: 20 * MIN, end: 25 * MIN, state: 'stored' },
      ]);
    });

    it('records known_empty claims next to stored ones', async () => {
      await write(ohlcvBars(0, 5), [stored(0, 5 * MIN), { start: 5 * MIN, end: 60 * MIN, state: 'known_empty' }]);
      expect(await store.coverage(DS)).toEqual([
        { start: 0, end: 5 * MIN, state: 'stored' },
        { start: 5 * MIN, end: 60 * MIN, state: 'known_empty' },
      ]);
      await write(ohlcvBars(0, 0), [{ start: 60 * MIN, end: 120 * MIN, state: 'known_empty' }]);
      expect((await store.coverage(DS)).at(-1)).toEqual({ start: 5 * MIN, end: 120 * MIN, state: 'known_empty' });
    });

    it('records a stored claim as the runs of bars actually written: a bar absent from the batch is missing', async () => {
      // Bars 0–2 and 6–9 of a claim over 0–10: 3, 4 and 5 are absent (no known-empty evidence).
      const frame = ohlcvBars(0, 10);
      const keep = [0, 1, 2, 6, 7, 8, 9];
      const gappy = createFrame(OHLCV_SCHEMA, Float64Array.from(keep, (i) => frame.ts[i]), frame.values.map((v) => Float64Array.from(keep, (i) => v[i])));
      const report = await store.write({ dataset: DS, frame: gappy, coverage: [stored(0, 10 * MIN), { start: 10 * MIN, end: 12 * MIN, state: 'known_empty' }] }, OHLCV_SCHEMA);
      const expected = [
        { start: 0, end: 3 * MIN, state: 'stored' },
        { start: 6 * MIN, end: 10 * MIN, state: 'stored' },
        { start: 10 * MIN, end: 12 * MIN, state: 'known_empty' },
      ];
      expect(report.coverageWritten).toEqual(expected);
      expect(await store.coverage(DS)).toEqual(expected);
    });

    it('drops the coverage of a claimed range the new write leaves without bars', async () => {
      await write(ohlcvBars(0, 10), [stored(0, 10 * MIN)]);
      await store.markFailed(DS, { start: 10 * MIN, end: 12 * MIN }, 'timeout');
      await write(ohlcvBars(2 * MIN, 1, 5), [stored(2 * MIN, 6 * MIN)]);
      await write(ohlcvBars(0, 0), [stored(10 * MIN, 12 * MIN)]);
      expect(await store.coverage(DS)).toEqual([
        { start: 0, end: 3 * MIN, state: 'stored' },
        { start: 6 * MIN, end: 10 * MIN, state: 'stored' },
      ]);
    });

    it('returns coverage entries overlapping the range, unclipped', async () => {
      await write(ohlcvBars(0, 10), [stored(0, 10 * MIN)]);
      await write(ohlcvBars(20 * MIN, 10), [stored(20 * MIN, 30 * MIN)]);
      expect(await store.coverage(DS, { start: 5 * MIN, end: 15 * MIN })).toEqual([{ start: 0, end: 10 * MIN, state: 'stored' }]);
      expect(await store.coverage(DS, { start: 10 * MIN, end: 20 * MIN })).toEqual([]);
    });

    it('writes nothing and names frame.ts when a row is off the grid', async () => {
      const frame = ohlcvBars(0, 5);
      frame.ts[3] = 3 * MIN + 1;
      const err = await rejection(store.write({ dataset: DS, frame, coverage: [stored(0, 5 * MIN)] }, OHLCV_SCHEMA));
      expect(err).toBeInstanceOf(InvalidRequestError);
      expect((err as InvalidRequestError).field).toBe('frame.ts');
      expect((await store.read(DS, OHLCV_SCHEMA, { start: 0, end: 5 * MIN })).length).toBe(0);
      expect(await store.coverage(DS)).toEqual([]);
    });

    it('writes nothing and names frame.ts when a row lies outside its stored claims', async () => {
      const err = await rejection(store.write({ dataset: DS, frame: ohlcvBars(0, 5), coverage: [stored(0, 4 * MIN)] }, OHLCV_SCHEMA));
      expect((err as InvalidRequestError).field).toBe('frame.ts');
      const err2 = await rejection(store.write({
        dataset: DS, frame: ohlcvBars(0, 5), coverage: [{ start: 0, end: 5 * MIN, state: 'known_empty' }],
      }, OHLCV_SCHEMA));
      expect((err2 as InvalidRequestError).field).toBe('frame.ts');
      expect(await store.datasets()).toEqual([]);
    });

    it('refuses misaligned or inverted claims, naming the field', async () => {
      const misaligned = await rejection(store.write({ dataset: DS, frame: ohlcvBars(0, 0), coverage: [stored(1, 5 * MIN)] }, OHLCV_SCHEMA));
      expect((misaligned as InvalidRequestError).field).toBe('coverage[0].start');
      const inverted = await rejection(store.write({ dataset: DS, frame: ohlcvBars(0, 0), coverage: [stored(5 * MIN, 0)] }, OHLCV_SCHEMA));
      expect((inverted as InvalidRequestError).field).toBe('coverage[0].end');
      expect(await store.coverage(DS)).toEqual([]);
    });

    it('rejects a stale fencing token and writes nothing; equal or newer tokens pass', async () => {
      const fence = (token: number) => ({ key: JSON.stringify(['shard', DS.nodeId, 0]), token });
      await store.write({ dataset: DS, frame: ohlcvBars(0, 5, 1), coverage: [stored(0, 5 * MIN)], fence: fence(5) }, OHLCV_SCHEMA);
      const err = await rejection(store.write({ dataset: DS, frame: ohlcvBars(0, 5, 2), coverage: [stored(0, 5 * MIN)], fence: fence(4) }, OHLCV_SCHEMA));
      expect(err).toBeInstanceOf(StaleFencingTokenError);
      expect(err).toMatchObject({ token: 4, newest: 5, code: 'conflict' });
      expect((await store.read(DS, OHLCV_SCHEMA, { start: 0, end: 5 * MIN })).column('open')[0]).toBe(1000);
      await store.write({ dataset: DS, frame: ohlcvBars(0, 5, 3), coverage: [stored(0, 5 * MIN)], fence: fence(5) }, OHLCV_SCHEMA);
      expect((await store.read(DS, OHLCV_SCHEMA, { start: 0, end: 5 * MIN })).column('open')[0]).toBe(3000);
      await store.write({ dataset: DS, frame: ohlcvBars(0, 5, 4), coverage: [stored(0, 5 * MIN)], fence: fence(9) }, OHLCV_SCHEMA);
      expect(await rejection(store.markFailed(DS, { start: 0, end: 5 * MIN }, 'late', fence(8)))).toBeInstanceOf(StaleFencingTokenError);
      expect((await store.read(DS, OHLCV_SCHEMA, { start: 0, end: 5 * MIN })).column('open')[0]).toBe(4000);
    });

    it('rejects the write of a lease holder once a newer lease advanced the fence, before any write', async () => {
      const fence = (token: number) => ({ key: JSON.stringify(['shard', DS.nodeId, 'advance']), token });
      await store.advanceFence(fence(7));
      const late = await rejection(store.write({ dataset: DS, frame: ohlcvBars(0, 5, 1), coverage: [stored(0, 5 * MIN)], fence: fence(6) }, OHLCV_SCHEMA));
      expect(late).toBeInstanceOf(StaleFencingTokenError);
      expect(await store.coverage(DS)).toEqual([]);
      expect(await rejection(store.advanceFence(fence(5)))).toBeInstanceOf(StaleFencingTokenError);
      await store.advanceFence(fence(7));
      await store.write({ dataset: DS, frame: ohlcvBars(0, 5, 1), coverage: [stored(0, 5 * MIN)], fence: fence(7) }, OHLCV_SCHEMA);
      expect(await store.coverage(DS)).toEqual([{ start: 0, end: 5 * MIN, state: 'stored' }]);
    });

    it('records failures with growing attempts and never overrides stored ranges', async () => {
      await write(ohlcvBars(0, 5), [stored(0, 5 * MIN)]);
      await store.markFailed(DS, { start: 0, end: 10 * MIN }, 'timeout');
      expect(await store.coverage(DS)).toEqual([
        { start: 0, end: 5 * MIN, state: 'stored' },
        { start: 5 * MIN, end: 10 * MIN, state: 'failed', reason: 'timeout', attempts: 1 },
      ]);
      await store.markFailed(DS, { start: 5 * MIN, end: 15 * MIN }, 'http 503');
      expect(await store.coverage(DS)).toEqual([
        { start: 0, end: 5 * MIN, state: 'stored' },
        { start: 5 * MIN, end: 10 * MIN, state: 'failed', reason: 'http 503', attempts: 2 },
        { start: 10 * MIN, end: 15 * MIN, state: 'failed', reason: 'http 503', attempts: 1 },
      ]);
    });

    it('lets a stored claim override a failed range', async () => {
      await store.markFailed(DS, { start: 0, end: 10 * MIN }, 'timeout');
      await write(ohlcvBars(2 * MIN, 3), [stored(2 * MIN, 5 * MIN)]);
      expect(await store.coverage(DS)).toEqual([
        { start: 0, end: 2 * MIN, state: 'failed', reason: 'timeout', attempts: 1 },
        { start: 2 * MIN, end: 5 * MIN, state: 'stored' },
        { start: 5 * MIN, end: 10 * MIN, state: 'failed', reason: 'timeout', attempts: 1 },
      ]);
    });

    it('keeps node ids with colons, slashes and quotes intact', async () => {
      const ids = ["ohlcv:binance:BTC/USDT", "a'b\"c;--DROP TABLE datasets", 'x/y:z?q=1&r=%20'];
      for (let i = 0; i < ids.length; i++) await write(ohlcvBars(0, 3, i + 1), [stored(0, 3 * MIN)], { nodeId: ids[i], intervalMs: MIN });
      for (let i = 0; i < ids.length; i++) {
        const back = await store.read({ nodeId: ids[i], intervalMs: MIN }, OHLCV_SCHEMA, { start: 0, end: 3 * MIN });
        expect(back.column('open')[0]).toBe((i + 1) * 1000);
      }
      expect((await store.datasets()).map((d) => d.nodeId).sort()).toEqual([...ids].sort());
    });

    it('keeps two intervals of one node as separate datasets', async () => {
      const hourly: DatasetKey = { nodeId: DS.nodeId, intervalMs: 60 * MIN };
      await write(ohlcvBars(0, 120, 1), [stored(0, 120 * MIN)]);
      await write(ohlcvBars(0, 2, 2, 60 * MIN), [stored(0, 120 * MIN)], hourly);
      expect((await store.read(DS, OHLCV_SCHEMA, { start: 0, end: 120 * MIN })).length).toBe(120);
      const h = await store.read(hourly, OHLCV_SCHEMA, { start: 0, end: 120 * MIN });
      expect(Array.from(h.ts)).toEqual([0, 60 * MIN]);
      expect(h.column('open')[0]).toBe(2000);
    });

    it('refuses a second frame schema for a dataset, naming both', async () => {
      await write(ohlcvBars(0, 2), [stored(0, 2 * MIN)]);
      const tick = createFrame(TICK_SCHEMA, new Float64Array([5 * MIN]), [new Float64Array([1]), new Float64Array([2])]);
      const err = await rejection(store.write({ dataset: DS, frame: tick, coverage: [stored(5 * MIN, 6 * MIN)] }, TICK_SCHEMA));
      expect(err).toMatchObject({ code: 'conflict' });
      expect((err as Error).message).toContain('ohlcv');
      expect((err as Error).message).toContain('tick');
    });

    it('reads many datasets in one call, each dataset\'s span equal to its single read', async () => {
      const ids = ['ohlcv:demo:ETH-USD', "a'b\"c;--DROP TABLE datasets", 'ohlcv:demo:BTC-USD'];
      for (let i = 0; i < ids.length; i++) await write(ohlcvBars((i + 1) * MIN, 20 + i, i + 1), [stored((i + 1) * MIN, (21 + 2 * i) * MIN)], { nodeId: ids[i], intervalMs: MIN });
      const asked: DatasetKey[] = [{ nodeId: ids[2], intervalMs: MIN }, { nodeId: 'nobody', intervalMs: MIN }, { nodeId: ids[0], intervalMs: MIN }, { nodeId: ids[1], intervalMs: MIN }];
      const range = { start: 2 * MIN, end: 15 * MIN };
      const readMany = store.readMany?.bind(store);
      expect(readMany).toBeDefined();
      if (readMany === undefined) return;
      const many = await readMany(asked, OHLCV_SCHEMA, range);
      expect(many.starts.length).toBe(asked.length);
      let total = 0;
      for (let i = 0; i < asked.length; i++) {
        const single = await store.read(asked[i], OHLCV_SCHEMA, range);
        const from = many.starts[i];
        const to = many.ends[i];
        total += to - from;
        expect(to - from).toBe(single.length);
        expect([Array.from(many.frame.ts.subarray(from, to)), ...many.frame.values.map((v) => Array.from(v.subarray(from, to)))]).toEqual(columnsOf(single));
      }
      expect(many.ends[1] - many.starts[1]).toBe(0);
      expect(many.frame.length).toBe(total);
      expect(total).toBeGreaterThan(20);
    });

    it('answers a universe read as single reads do when datasets were written interleaved and out of time order', async () => {
      const a: DatasetKey = { nodeId: 'ohlcv:test:A', intervalMs: MIN };
      const b: DatasetKey = { nodeId: 'ohlcv:test:B', intervalMs: MIN };
      // Stored newest first and alternating, with a restated stretch: a scan in storage order meets each dataset in several runs, descending.
      await write(ohlcvBars(40 * MIN, 10, 1), [stored(40 * MIN, 50 * MIN)], a);
      await write(ohlcvBars(30 * MIN, 10, 2), [stored(30 * MIN, 40 * MIN)], b);
      await write(ohlcvBars(10 * MIN, 10, 3), [stored(10 * MIN, 20 * MIN)], a);
      await write(ohlcvBars(0, 10, 4), [stored(0, 10 * MIN)], b);
      await write(ohlcvBars(0, 5, 5), [stored(0, 5 * MIN)], a);
      await write(ohlcvBars(44 * MIN, 3, 6), [stored(44 * MIN, 47 * MIN)], a);
      const asked = [b, a];
      const range = { start: 2 * MIN, end: 48 * MIN };
      const many = await store.readMany?.(asked, OHLCV_SCHEMA, range);
      expect(many).toBeDefined();
      if (many === undefined) return;
      for (let i = 0; i < asked.length; i++) {
        const single = await store.read(asked[i], OHLCV_SCHEMA, range);
        const span = many.frame.slice(many.starts[i], many.ends[i]);
        expect(columnsOf(span)).toEqual(columnsOf(single));
      }
      expect(many.frame.length).toBe((many.ends[0] - many.starts[0]) + (many.ends[1] - many.starts[1]));
      expect(many.ends[1] - many.starts[1]).toBe(3 + 10 + 8);
    });

    it('answers the coverage of many datasets in one call, as each single lookup does', async () => {
      const other: DatasetKey = { nodeId: 'ohlcv:demo:ETH-USD', intervalMs: MIN };
      await write(ohlcvBars(0, 5), [stored(0, 5 * MIN)]);
      await store.markFailed(DS, { start: 5 * MIN, end: 10 * MIN }, 'timeout');
      await write(ohlcvBars(20 * MIN, 5, 2), [stored(20 * MIN, 25 * MIN), { start: 25 * MIN, end: 30 * MIN, state: 'known_empty' }], other);
      const asked = [other, { nodeId: 'nobody', intervalMs: MIN }, DS];
      const range = { start: 3 * MIN, end: 27 * MIN };
      const coverageMany = store.coverageMany?.bind(store);
      expect(coverageMany).toBeDefined();
      if (coverageMany === undefined) return;
      const many = await coverageMany(asked, range);
      expect(many).toEqual([await store.coverage(other, range), [], await store.coverage(DS, range)]);
      expect(many[2].map((c) => c.state)).toEqual(['stored', 'failed']);
    });

    it('refuses a universe read of a dataset stored under another schema, naming both', async () => {
      await write(ohlcvBars(0, 2), [stored(0, 2 * MIN)]);
      const err = await rejection(store.readMany?.([DS], TICK_SCHEMA, { start: 0, end: 2 * MIN }) ?? Promise.resolve());
      expect(err).toMatchObject({ code: 'conflict' });
      expect((err as Error).message).toContain('tick');
    });

    it('summarises datasets with rows or coverage', async () => {
      await write(ohlcvBars(10 * MIN, 5), [stored(10 * MIN, 15 * MIN)]);
      await store.markFailed({ nodeId: 'only-failed', intervalMs: MIN }, { start: 0, end: MIN }, 'boom');
      expect(await store.datasets()).toEqual([
        { nodeId: DS.nodeId, intervalMs: MIN, schema: 'ohlcv', rows: 5, firstTs: 10 * MIN, lastTs: 14 * MIN },
        { nodeId: 'only-failed', intervalMs: MIN, schema: '', rows: 0, firstTs: undefined, lastTs: undefined },
      ]);
    });

    it('stores tick and quote frames too, with NaN kept as NaN', async () => {
      const tickDs: DatasetKey = { nodeId: 'tick:x', intervalMs: 1000 };
      const tick = createFrame(TICK_SCHEMA, new Float64Array([0, 1000, 2000]), [new Float64Array([1, Number.NaN, 3]), new Float64Array([4, 5, 6])]);
      await store.write({ dataset: tickDs, frame: tick, coverage: [stored(0, 3000)] }, TICK_SCHEMA);
      const back = await store.read(tickDs, TICK_SCHEMA, { start: 0, end: 3000 });
      expect(Array.from(back.column('price'))).toEqual([1, Number.NaN, 3]);
    });

    it('closes under reads in flight: each read settles with its rows or a storage error, and nothing crashes', async () => {
      await store.write({ dataset: DS, frame: ohlcvBars(0, 20_000), coverage: [stored(0, 20_000 * MIN)] }, OHLCV_SCHEMA);
      const reads = Array.from({ length: 16 }, (_, i) => store.read(DS, OHLCV_SCHEMA, { start: i * MIN, end: 20_000 * MIN }));
      const pings = Array.from({ length: 4 }, () => store.ping());
      const outcomes = Promise.allSettled([...reads, ...pings]);
      await store.close();
      const settled = await outcomes;
      for (const [i, r] of settled.entries()) {
        if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'internal' });
        else if (i < reads.length) expect((r.value as Frame).length).toBe(20_000 - i);
      }
      store = await open();
    });

    it('answers ping and closes idempotently', async () => {
      await store.ping();
      await store.close();
      await store.close();
      await expect(store.ping()).rejects.toMatchObject({ code: 'internal' });
      store = await open();
    });

    describeCoverageSummary(name, () => store);
  });
}
