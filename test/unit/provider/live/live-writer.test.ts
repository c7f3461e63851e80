import { afterEach, describe, expect, it } from 'vitest';
import { InvalidRequestError, OHLCV_SCHEMA, StaleFencingTokenError } from '../../../../src/core/index.js';
import { silentLogger } from '../../../../src/observability/index.js';
import { createLiveWriter } from '../../../../src/provider/internal.js';
import type { LiveWriter } from '../../../../src/provider/internal.js';
import type { BarStore } from '../../../../src/storage/index.js';
import { createFakeBarStore } from '../../sources/fake-bar-store.js';
import { until } from '../../../helpers/until.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 5, 1);
const DATASET = { nodeId: 'ohlcv:live:BTC/USDT', intervalMs: MIN };
const row = (x: number): number[] => [x, x + 2, x - 1, x + 1, 10];

const writers: LiveWriter[] = [];
afterEach(async () => {
  for (const w of writers.splice(0)) await w.close();
});

function writer(store: BarStore, flushBars = 100, flushMs = 60_000) {
  const written: { rows: number; start: number; end: number }[] = [];
  const failed: { rows: number; dropped: boolean }[] = [];
  const w = createLiveWriter({
    store, dataset: DATASET, schema: OHLCV_SCHEMA, flushMs, flushBars, maxPendingBars: 1_000, logger: silentLogger(),
    onWritten: (rows, start, end) => written.push({ rows, start, end }),
    onFailed: (rows, dropped) => failed.push({ rows, dropped }),
  });
  writers.push(w);
  return { w, written, failed };
}

describe('live write-through', () => {
  it('writes each batch with stored coverage for exactly [ts, ts + interval) of its bars, adjacent bars merged', async () => {
    const store = createFakeBarStore();
    const { w, written } = writer(store);
    for (const k of [0, 1, 2, 5, 6]) w.enqueue(T0 + k * MIN, row(k));
    w.enqueue(T0 + MIN, row(9)); // the newest values for a ts win
    await w.flush();
    expect(store.writes).toHaveLength(1);
    expect(store.writes[0].coverage).toEqual([
      { start: T0, end: T0 + 3 * MIN, state: 'stored' },
      { start: T0 + 5 * MIN, end: T0 + 7 * MIN, state: 'stored' },
    ]);
    expect(Array.from(store.writes[0].frame.ts)).toEqual([0, 1, 2, 5, 6].map((k) => T0 + k * MIN));
    expect(store.writes[0].frame.values[3][1]).toBe(10);
    expect(written).toEqual([{ rows: 5, start: T0, end: T0 + 7 * MIN }]);
  });

  it('writes at once when flushBars bars are pending, without waiting for flushMs', async () => {
    const store = createFakeBarStore();
    const { w } = writer(store, 3); // flushMs is a minute: only the count can trigger the write
    for (let k = 0; k < 3; k++) w.enqueue(T0 + k * MIN, row(k));
    await until(() => store.writes.length === 1, 'the batch of three to be written');
    expect(store.writes[0].frame.length).toBe(3);
  });

  it('retries a failed write with the bars kept pending, and never throws into the caller', async () => {
    const inner = createFakeBarStore();
    let failures = 2;
    const store: BarStore = {
      ...inner,
      write: (batch, schema) => (failures-- > 0 ? Promise.reject(new StaleFencingTokenError('k', 1, 2)) : inner.write(batch, schema)),
    };
    const { w, failed } = writer(store, 1, 5);
    w.enqueue(T0, row(0));
    await until(() => inner.writes.length === 1, 'the write to succeed after two failures');
    expect(failed).toEqual([{ rows: 1, dropped: false }, { rows: 1, dropped: false }]);
    expect(await inner.coverage(DATASET)).toEqual([{ start: T0, end: T0 + MIN, state: 'stored' }]);
  });

  it('drops, and reports, a batch storage refuses as invalid (repeating it cannot help)', async () => {
    const store: BarStore = { ...createFakeBarStore(), write: () => Promise.reject(new InvalidRequestError('frame.ts', 'nope')) };
    const { w, failed } = writer(store);
    w.enqueue(T0, row(0));
    await w.flush();
    expect(failed).toEqual([{ rows: 1, dropped: true }]);
    expect(w.pending).toBe(0);
  });
});
