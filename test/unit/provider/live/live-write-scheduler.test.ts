import { afterEach, describe, expect, it } from 'vitest';
import { InvalidRequestError, OHLCV_SCHEMA, StaleFencingTokenError } from '../../../../src/core/index.js';
import type { Logger } from '../../../../src/observability/index.js';
import { createLogger, silentLogger } from '../../../../src/observability/index.js';
import { createLiveWriteScheduler } from '../../../../src/provider/internal.js';
import type { LiveWriteScheduler, LiveWriter } from '../../../../src/provider/internal.js';
import type { BarStore, DatasetKey, WriteBatch } from '../../../../src/storage/index.js';
import { createFakeBarStore } from '../../sources/fake-bar-store.js';
import type { FakeBarStore } from '../../sources/fake-bar-store.js';
import { until } from '../../../helpers/until.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 5, 1);
const DATASET = { nodeId: 'ohlcv:live:BTC/USDT', intervalMs: MIN };
const row = (x: number): number[] => [x, x + 2, x - 1, x + 1, 10];
const ds = (name: string): DatasetKey => ({ nodeId: `ohlcv:live:${name}`, intervalMs: MIN });

const schedulers: LiveWriteScheduler[] = [];
afterEach(async () => {
  for (const s of schedulers.splice(0)) await s.close();
});

interface Outcomes {
  readonly written: { rows: number; start: number; end: number }[];
  readonly failed: { rows: number; dropped: boolean }[];
}

/** A scheduler on `store`; `writer(dataset)` adds a dataset and records what its callbacks were told. */
function scheduler(store: BarStore, options: { flushBars?: number; flushMs?: number; maxPendingBars?: number; logger?: Logger } = {}) {
  const s = createLiveWriteScheduler({
    store, flushMs: options.flushMs ?? 60_000, flushBars: options.flushBars ?? 100, maxPendingBars: options.maxPendingBars ?? 1_000,
    logger: options.logger ?? silentLogger(),
  });
  schedulers.push(s);
  const outcomes = new Map<string, Outcomes>();
  function writer(dataset: DatasetKey): LiveWriter {
    const o: Outcomes = { written: [], failed: [] };
    outcomes.set(dataset.nodeId, o);
    return s.add({
      dataset, schema: OHLCV_SCHEMA,
      onWritten: (rows, start, end) => o.written.push({ rows, start, end }),
      onFailed: (rows, dropped) => o.failed.push({ rows, dropped }),
    });
  }
  const of = (dataset: DatasetKey): Outcomes => outcomes.get(dataset.nodeId) ?? { written: [], failed: [] };
  return { s, writer, of };
}

/**
 * The fake store with writeMany (all batches or none: every batch is checked by `refuse` first),
 * recording each call; `refuse(batch)` returns the error a batch fails with, if any, in both
 * writeMany and write.
 */
function storeWithWriteMany(refuse: (batch: WriteBatch) => Error | undefined = () => undefined) {
  const inner: FakeBarStore = createFakeBarStore();
  const calls: WriteBatch[][] = [];
  const singles: WriteBatch[] = [];
  const store: BarStore = {
    ...inner,
    async write(batch, schema) {
      singles.push(batch);
      const error = refuse(batch);
      if (error !== undefined) throw error;
      return await inner.write(batch, schema);
    },
    async writeMany(batches, schema) {
      calls.push([...batches]);
      for (const b of batches) {
        const error = refuse(b);
        if (error !== undefined) throw error;
      }
      const out = [];
      for (const b of batches) out.push(await inner.write(b, schema));
      return out;
    },
  };
  return { store, inner, calls, singles };
}

describe('live write-through scheduler', () => {
  it('writes each batch with stored coverage for exactly [ts, ts + interval) of its bars, adjacent bars merged', async () => {
    const store = createFakeBarStore();
    const { writer, of } = scheduler(store);
    const w = writer(DATASET);
    for (const k of [0, 1, 2, 5, 6]) w.enqueue(T0 + k * MIN, row(k));
    w.enqueue(T0 + MIN, row(9)); // the newest values for a ts win
    await w.flush();
    expect(store.writes).toHaveLength(1);
    expect(store.writes[0].coverage).toEqual([
      { start: T0, end: T0 + 3 * MIN, state: 'stored' },
      { start: T0 + 5 * MIN, end: T0 + 7 * MIN, state: 'stored' },
    ]);
    expect(store.writes[0].source).toBe('live');
    expect(Array.from(store.writes[0].frame.ts)).toEqual([0, 1, 2, 5, 6].map((k) => T0 + k * MIN));
    expect(store.writes[0].frame.values[3][1]).toBe(10);
    expect(of(DATASET).written).toEqual([{ rows: 5, start: T0, end: T0 + 7 * MIN }]);
  });

  it('writes at once when flushBars bars are pending, without waiting for flushMs', async () => {
    const store = createFakeBarStore();
    const { writer } = scheduler(store, { flushBars: 3 }); // flushMs is a minute: only the count can trigger the write
    const w = writer(DATASET);
    for (let k = 0; k < 3; k++) w.enqueue(T0 + k * MIN, row(k));
    await until(() => store.writes.length === 1, 'the batch of three to be written');
    expect(store.writes[0].frame.length).toBe(3);
  });

  it('writes the closed bars of every dataset pending at a flush in ONE writeMany call (one storage transaction)', async () => {
    const { store, inner, calls, singles } = storeWithWriteMany();
    const { writer, of } = scheduler(store, { flushMs: 5 });
    const names = ['A', 'B', 'C'].map(ds);
    const writers = names.map((d) => writer(d));
    writers.forEach((w, k) => w.enqueue(T0, row(k)));
    await until(() => inner.writes.length === 3, 'the three datasets to be written');
    expect(calls.map((c) => c.map((b) => b.dataset.nodeId))).toEqual([names.map((d) => d.nodeId)]);
    expect(singles).toEqual([]);
    for (const d of names) {
      expect(of(d).written).toEqual([{ rows: 1, start: T0, end: T0 + MIN }]);
      expect(await inner.coverage(d)).toEqual([{ start: T0, end: T0 + MIN, state: 'stored' }]);
    }
  });

  it('writes dataset by dataset on a store without writeMany', async () => {
    const store = createFakeBarStore();
    const { writer, of } = scheduler(store, { flushMs: 5 });
    const names = ['A', 'B'].map(ds);
    for (const d of names) writer(d).enqueue(T0, row(1));
    await until(() => store.writes.length === 2, 'both datasets to be written');
    for (const d of names) expect(of(d).written).toEqual([{ rows: 1, start: T0, end: T0 + MIN }]);
  });

  it('falls back to one write per dataset when the flush of all fails, so a failing dataset does not block the others', async () => {
    const bad = ds('BAD');
    const { store, inner, calls } = storeWithWriteMany((b) => (b.dataset.nodeId === bad.nodeId ? new StaleFencingTokenError('k', 1, 2) : undefined));
    const { writer, of } = scheduler(store, { flushMs: 5 });
    const good = ['A', 'B'].map(ds);
    const goodWriters = good.map((d) => writer(d));
    const badWriter = writer(bad);
    goodWriters.forEach((w) => w.enqueue(T0, row(1)));
    badWriter.enqueue(T0, row(1));
    await until(() => of(good[0]).written.length === 1 && of(good[1]).written.length === 1, 'the good datasets to be written despite the bad one');
    expect(of(bad).failed[0]).toEqual({ rows: 1, dropped: false });
    expect(badWriter.pending).toBe(1); // kept for its retry
    // The next minute's bars of the good datasets are written while the bad one keeps failing.
    goodWriters.forEach((w) => w.enqueue(T0 + MIN, row(2)));
    await until(() => of(good[0]).written.length === 2 && of(good[1]).written.length === 2, 'the next bars of the good datasets');
    for (const d of good) expect(Array.from((await inner.read(d, OHLCV_SCHEMA, { start: T0, end: T0 + 5 * MIN })).ts)).toEqual([T0, T0 + MIN]);
    expect(await inner.coverage(bad)).toEqual([]);
    expect(calls.length).toBeGreaterThanOrEqual(2);
  });

  it('retries a failing dataset with a doubling delay, its bars kept, and never throws into the caller', async () => {
    const inner = createFakeBarStore();
    let failures = 3;
    const store: BarStore = {
      ...inner,
      write: (batch, schema) => (failures-- > 0 ? Promise.reject(new StaleFencingTokenError('k', 1, 2)) : inner.write(batch, schema)),
    };
    const delays: unknown[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (line: string) => { delays.push((JSON.parse(line) as { retryInMs?: number }).retryInMs); } } });
    const { writer, of } = scheduler(store, { flushBars: 1, flushMs: 5, logger });
    writer(DATASET).enqueue(T0, row(0));
    await until(() => inner.writes.length === 1, 'the write to succeed after three failures');
    expect(of(DATASET).failed).toEqual([{ rows: 1, dropped: false }, { rows: 1, dropped: false }, { rows: 1, dropped: false }]);
    expect(delays).toEqual([10, 20, 40]);
    expect(await inner.coverage(DATASET)).toEqual([{ start: T0, end: T0 + MIN, state: 'stored' }]);
  });

  it('drops, and reports, a batch storage refuses as invalid (repeating it cannot help), without holding up the others', async () => {
    const bad = ds('INVALID');
    const { store, inner } = storeWithWriteMany((b) => (b.dataset.nodeId === bad.nodeId ? new InvalidRequestError('frame.ts', 'nope') : undefined));
    const { writer, of } = scheduler(store);
    const good = writer(ds('A'));
    const refused = writer(bad);
    good.enqueue(T0, row(0));
    refused.enqueue(T0, row(0));
    await good.flush();
    expect(of(bad).failed).toEqual([{ rows: 1, dropped: true }]);
    expect(refused.pending).toBe(0);
    expect(of(ds('A')).written).toEqual([{ rows: 1, start: T0, end: T0 + MIN }]);
    expect(await inner.coverage(ds('A'))).toEqual([{ start: T0, end: T0 + MIN, state: 'stored' }]);
  });

  it('bounds each dataset\'s pending bars: past maxPendingBars the oldest are dropped and reported, the newest written later', async () => {
    let down = true;
    const { store, inner } = storeWithWriteMany(() => (down ? new StaleFencingTokenError('k', 1, 2) : undefined));
    const { s, writer, of } = scheduler(store, { maxPendingBars: 3 });
    const w = writer(DATASET);
    const other = writer(ds('OTHER'));
    for (let k = 0; k < 5; k++) w.enqueue(T0 + k * MIN, row(k));
    other.enqueue(T0, row(0));
    expect(of(DATASET).failed).toEqual([{ rows: 1, dropped: true }, { rows: 1, dropped: true }]);
    expect(w.pending).toBe(3);
    await s.flush(); // fails: the bars go back, still bounded
    w.enqueue(T0 + 5 * MIN, row(5));
    expect(w.pending).toBe(3);
    down = false;
    await s.flush();
    expect(Array.from((await inner.read(DATASET, OHLCV_SCHEMA, { start: T0, end: T0 + 10 * MIN })).ts)).toEqual([3, 4, 5].map((k) => T0 + k * MIN));
    expect(other.pending).toBe(0);
    expect(of(ds('OTHER')).written).toEqual([{ rows: 1, start: T0, end: T0 + MIN }]);
  });
});
