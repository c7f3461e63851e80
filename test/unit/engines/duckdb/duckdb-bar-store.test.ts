import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, createFrame } from '../../../../src/core/index.js';
import { createManualClock } from '../../../../src/core/internal.js';
import { createDuckDbBarStore, createEmbeddedDatabase } from '../../../../src/engines/duckdb/internal.js';
import type { BarStore, DatasetKey } from '../../../../src/storage/index.js';
import { DUCKDB_MIGRATIONS } from '../../../../src/engines/duckdb/internal.js';
import { describeBarStore, ohlcvBars } from '../../../storage-suite/bar-store-suite.js';
import { describeBarStoreWriteMany } from '../../../storage-suite/bar-store-write-many-suite.js';

const MIN = 60_000;
const DS: DatasetKey = { nodeId: 'ohlcv:test:ETH/USDT', intervalMs: MIN };

let dir: string;
let counter = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'seamless-duckdb-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function freshPath(): string {
  counter += 1;
  return join(dir, `store-${counter}.duckdb`);
}

describeBarStore('duckdb (file)', () => createDuckDbBarStore({ path: freshPath() }));
describeBarStore('duckdb (:memory:)', () => createDuckDbBarStore({ path: ':memory:' }));
describeBarStoreWriteMany('duckdb', async () => {
  const db = await createEmbeddedDatabase({ path: freshPath() });
  return { bars: db.bars, findings: db.findings };
});

async function readRows(path: string, sql: string): Promise<unknown[][]> {
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowsJS();
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe('duckdb bar store', () => {
  it('answers concurrent version listings and as-of coverage lookups of many datasets each with its own', async () => {
    const store = await createDuckDbBarStore({ path: ':memory:' });
    try {
      const datasets = [0, 1, 2, 3, 4, 5, 6, 7].map((k): DatasetKey => ({ nodeId: `ohlcv:versions:${k}`, intervalMs: MIN }));
      for (const d of datasets) await store.write({ dataset: d, frame: ohlcvBars(0, 2), coverage: [{ start: 0, end: 2 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
      const listed = await Promise.all(datasets.map((d) => store.versions?.(d, 10)));
      expect(listed.map((v) => v?.map((x) => x.nodeId))).toEqual(datasets.map((d) => [d.nodeId]));
      // As of now, each dataset's coverage is its own write's ([0, k + 1) bars for dataset k after a second write).
      for (const [k, d] of datasets.entries()) await store.write({ dataset: d, frame: ohlcvBars(0, k + 1), coverage: [{ start: 0, end: (k + 1) * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
      const asOf = Date.now() + 1_000;
      const coverage = await Promise.all(datasets.map((d) => store.coverageAsOf?.(d, asOf)));
      expect(coverage).toEqual(datasets.map((_, k) => [{ start: 0, end: Math.max(2, k + 1) * MIN, state: 'stored' }]));
    } finally {
      await store.close();
    }
  });

  it('applies versioned migrations once and nothing on reopen', async () => {
    const path = freshPath();
    await (await createDuckDbBarStore({ path })).close();
    await (await createDuckDbBarStore({ path })).close();
    const rows = await readRows(path, 'SELECT version, name FROM schema_migrations ORDER BY version');
    expect(rows).toEqual(DUCKDB_MIGRATIONS.map((m) => [m.version, m.name]));
  });

  it('refuses a database migrated by a newer Seamless', async () => {
    const path = freshPath();
    await (await createDuckDbBarStore({ path })).close();
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    await conn.run("INSERT INTO schema_migrations VALUES (999, 'from the future', now())");
    conn.closeSync();
    instance.closeSync();
    await expect(createDuckDbBarStore({ path })).rejects.toMatchObject({ code: 'internal', message: expect.stringContaining('schema version 999') });
  });

  it('answers a reopened store\'s universe lookups (coverage and rows of many datasets, none mirrored yet) as its single lookups', async () => {
    const path = freshPath();
    const other: DatasetKey = { nodeId: 'ohlcv:test:BTC/USDT', intervalMs: MIN };
    const writer = await createDuckDbBarStore({ path });
    await writer.write({ dataset: DS, frame: ohlcvBars(0, 5), coverage: [{ start: 0, end: 5 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
    await writer.markFailed(DS, { start: 5 * MIN, end: 8 * MIN }, 'timeout');
    await writer.write({ dataset: other, frame: ohlcvBars(2 * MIN, 3, 2), coverage: [{ start: 2 * MIN, end: 5 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
    await writer.close();
    const asked = [other, { nodeId: 'nobody', intervalMs: MIN }, DS];
    const range = { start: 0, end: 10 * MIN };
    const cold = await createDuckDbBarStore({ path });
    try {
      const many = await cold.coverageMany?.(asked, range);
      const rows = await cold.readMany?.(asked, OHLCV_SCHEMA, range);
      const single = await Promise.all(asked.map((d) => cold.coverage(d, range)));
      expect(many).toEqual(single);
      expect(single[2].map((c) => c.state)).toEqual(['stored', 'failed']);
      expect(rows === undefined ? [] : Array.from(rows.starts, (s, i) => rows.ends[i] - s)).toEqual([3, 0, 5]);
    } finally {
      await cold.close();
    }
  });

  it('keeps rows, coverage and fences across close and reopen', async () => {
    const path = freshPath();
    let store = await createDuckDbBarStore({ path });
    await store.write({ dataset: DS, frame: ohlcvBars(0, 100), coverage: [{ start: 0, end: 100 * MIN, state: 'stored' }], fence: { key: 'k', token: 3 } }, OHLCV_SCHEMA);
    await store.markFailed(DS, { start: 100 * MIN, end: 110 * MIN }, 'timeout');
    await store.close();
    store = await createDuckDbBarStore({ path });
    try {
      const back = await store.read(DS, OHLCV_SCHEMA, { start: 0, end: 200 * MIN });
      expect(back.length).toBe(100);
      expect(back.column('volume')[99]).toBe(1099.4);
      expect(await store.coverage(DS)).toEqual([
        { start: 0, end: 100 * MIN, state: 'stored' },
        { start: 100 * MIN, end: 110 * MIN, state: 'failed', reason: 'timeout', attempts: 1 },
      ]);
      await expect(store.markFailed(DS, { start: 0, end: MIN }, 'x', { key: 'k', token: 2 })).rejects.toMatchObject({ newest: 3 });
    } finally {
      await store.close();
    }
  });

  it('stores exactly the coverage it answers as writes extend, split, fail and replace it, and restamps only entries that changed', async () => {
    const path = freshPath();
    const clock = createManualClock(1_000);
    const store = await createDuckDbBarStore({ path, clock });
    const stamps = async (): Promise<unknown[][]> => {
      await store.close();
      return await readRows(path, 'SELECT start_ms::DOUBLE, end_ms::DOUBLE, state, reason, attempts, updated_at_ms::DOUBLE FROM coverage ORDER BY start_ms');
    };
    let reopened: BarStore | undefined;
    try {
      await store.write({ dataset: DS, frame: ohlcvBars(0, 10), coverage: [{ start: 0, end: 10 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
      clock.advance(1_000);
      await store.markFailed(DS, { start: 20 * MIN, end: 30 * MIN }, 'timeout');
      clock.advance(1_000);
      // Extends the first entry (same start, new end); the failed entry is untouched.
      await store.write({ dataset: DS, frame: ohlcvBars(10 * MIN, 5), coverage: [{ start: 10 * MIN, end: 15 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
      clock.advance(1_000);
      // Splits the stored entry with a known-empty hole, fails the same range again (attempts 2).
      await store.write({ dataset: DS, frame: ohlcvBars(0, 0), coverage: [{ start: 4 * MIN, end: 6 * MIN, state: 'known_empty' }] }, OHLCV_SCHEMA);
      await store.markFailed(DS, { start: 20 * MIN, end: 30 * MIN }, 'timeout');
      const answered = await store.coverage(DS);
      expect(answered).toEqual([
        { start: 0, end: 4 * MIN, state: 'stored' },
        { start: 4 * MIN, end: 6 * MIN, state: 'known_empty' },
        { start: 6 * MIN, end: 15 * MIN, state: 'stored' },
        { start: 20 * MIN, end: 30 * MIN, state: 'failed', reason: 'timeout', attempts: 2 },
      ]);
      expect(await stamps()).toEqual([
        [0, 4 * MIN, 'stored', null, null, 4_000],
        [4 * MIN, 6 * MIN, 'known_empty', null, null, 4_000],
        [6 * MIN, 15 * MIN, 'stored', null, null, 4_000],
        [20 * MIN, 30 * MIN, 'failed', 'timeout', 2, 4_000],
      ]);
      // Entries a write does not change keep their rows: still stamped 4,000 after a write at 5,000.
      reopened = await createDuckDbBarStore({ path, clock });
      clock.advance(1_000);
      await reopened.write({ dataset: DS, frame: ohlcvBars(40 * MIN, 2), coverage: [{ start: 40 * MIN, end: 42 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
      expect(await reopened.coverage(DS)).toEqual([...answered, { start: 40 * MIN, end: 42 * MIN, state: 'stored' }]);
      await reopened.close();
      reopened = undefined;
      expect((await readRows(path, 'SELECT start_ms::DOUBLE, updated_at_ms::DOUBLE FROM coverage ORDER BY start_ms'))).toEqual([
        [0, 4_000], [4 * MIN, 4_000], [6 * MIN, 4_000], [20 * MIN, 4_000], [40 * MIN, 5_000],
      ]);
    } finally {
      await reopened?.close();
    }
  });

  it('deletes rows only under stored coverage: a write into a never-covered range skips the range DELETE, loudly refused if a row was planted there', async () => {
    const path = freshPath();
    let store = await createDuckDbBarStore({ path });
    await store.write({ dataset: DS, frame: ohlcvBars(0, 10), coverage: [{ start: 0, end: 10 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
    await store.close();
    // A row no Seamless write can leave (outside every coverage entry), planted by hand.
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    try {
      await conn.run('INSERT INTO bars_ohlcv SELECT dataset_id, 20 * 60000, 1, 1, 1, 1, 1, NULL FROM bars_ohlcv LIMIT 1');
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
    store = await createDuckDbBarStore({ path });
    try {
      // Cold range: no DELETE runs, so the planted row meets the primary key and the write is refused whole.
      await expect(store.write({ dataset: DS, frame: ohlcvBars(20 * MIN, 5), coverage: [{ start: 20 * MIN, end: 25 * MIN, state: 'stored' }] }, OHLCV_SCHEMA))
        .rejects.toMatchObject({ code: expect.any(String) });
      expect(await store.coverage(DS)).toEqual([{ start: 0, end: 10 * MIN, state: 'stored' }]);
      // A claim overlapping stored coverage still replaces its rows, including past the entry's end.
      await store.write({ dataset: DS, frame: ohlcvBars(5 * MIN, 10, 9), coverage: [{ start: 5 * MIN, end: 15 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
      const back = await store.read(DS, OHLCV_SCHEMA, { start: 0, end: 15 * MIN });
      expect(back.length).toBe(15);
      expect(back.column('open')[5]).toBe(9_000);
      expect(await store.coverage(DS)).toEqual([{ start: 0, end: 15 * MIN, state: 'stored' }]);
    } finally {
      await store.close();
    }
  });

  it('rolls appended rows back with the transaction (the appender joins the open transaction)', async () => {
    // The write path relies on this: rows appended inside BEGIN … ROLLBACK never become visible.
    const path = freshPath();
    const store = await createDuckDbBarStore({ path });
    await store.write({ dataset: DS, frame: ohlcvBars(0, 10, 1), coverage: [{ start: 0, end: 10 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
    await store.close();
    // Prove the property on the driver directly: BEGIN, append, ROLLBACK leaves no rows.
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    try {
      await conn.run('BEGIN TRANSACTION');
      const appender = await conn.createAppender('bars_ohlcv');
      appender.appendInteger(99);
      appender.appendBigInt(0n);
      for (let c = 0; c < 5; c++) appender.appendDouble(1);
      appender.appendNull(); // version_id (migration 13)
      appender.endRow();
      appender.closeSync();
      expect((await conn.runAndReadAll('SELECT count(*)::INTEGER FROM bars_ohlcv WHERE dataset_id = 99')).getRowsJS()).toEqual([[1]]);
      await conn.run('ROLLBACK');
      expect((await conn.runAndReadAll('SELECT count(*)::INTEGER FROM bars_ohlcv WHERE dataset_id = 99')).getRowsJS()).toEqual([[0]]);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });

  it('leaves nothing behind when a fenced write is rejected after validation', async () => {
    const store = await createDuckDbBarStore({ path: ':memory:' });
    try {
      await store.write({ dataset: DS, frame: ohlcvBars(0, 0), coverage: [{ start: 0, end: MIN, state: 'known_empty' }], fence: { key: 'k', token: 10 } }, OHLCV_SCHEMA);
      const other: DatasetKey = { nodeId: 'fresh', intervalMs: MIN };
      await expect(store.write({ dataset: other, frame: ohlcvBars(0, 5), coverage: [{ start: 0, end: 5 * MIN, state: 'stored' }], fence: { key: 'k', token: 9 } }, OHLCV_SCHEMA))
        .rejects.toMatchObject({ code: 'conflict' });
      expect((await store.datasets()).map((d) => d.nodeId)).toEqual([DS.nodeId]);
      expect((await store.read(other, OHLCV_SCHEMA, { start: 0, end: 5 * MIN })).length).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('serialises concurrent writers and keeps reads consistent meanwhile', async () => {
    const store = await createDuckDbBarStore({ path: freshPath() });
    try {
      const writes: Promise<unknown>[] = [];
      const reads: Promise<unknown>[] = [];
      for (let i = 0; i < 20; i++) {
        const start = i * 100 * MIN;
        writes.push(store.write({ dataset: DS, frame: ohlcvBars(start, 100, i), coverage: [{ start, end: start + 100 * MIN, state: 'stored' }] }, OHLCV_SCHEMA));
        reads.push(store.read(DS, OHLCV_SCHEMA, { start: 0, end: 2000 * MIN }).then((f) => {
          // Whole writes only: a read sees a multiple of 100 rows, never part of a write.
          expect(f.length % 100).toBe(0);
        }));
      }
      // A later writer on an already-written range replaces its rows whole.
      writes.push(store.write({ dataset: DS, frame: ohlcvBars(0, 10, 77), coverage: [{ start: 0, end: 10 * MIN, state: 'stored' }] }, OHLCV_SCHEMA));
      await Promise.all([...writes, ...reads]);
      const all = await store.read(DS, OHLCV_SCHEMA, { start: 0, end: 2000 * MIN });
      expect(all.length).toBe(2000);
      expect(all.column('open')[0]).toBe(77_000);
      expect(all.column('open')[10]).toBe(10);
      expect(await store.coverage(DS)).toEqual([{ start: 0, end: 2000 * MIN, state: 'stored' }]);
    } finally {
      await store.close();
    }
  });

  it('answers many concurrent reads (streamed, each on its own connection) with exactly their own rows, large and small', async () => {
    const store = await createDuckDbBarStore({ path: freshPath() });
    try {
      await store.write({ dataset: DS, frame: ohlcvBars(0, 100_000, 1), coverage: [{ start: 0, end: 100_000 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
      // More reads than the pool keeps idle, mixing the COUNT-first path (> 65,536 rows) and the bounded one.
      const ranges = Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? { start: i * MIN, end: (i + 70_000) * MIN } : { start: i * 1_000 * MIN, end: (i * 1_000 + 1_440) * MIN }));
      const frames = await Promise.all(ranges.map((r) => store.read(DS, OHLCV_SCHEMA, r)));
      frames.forEach((f, i) => {
        const r = ranges[i];
        expect(f.length).toBe((r.end - r.start) / MIN);
        expect(f.ts[0]).toBe(r.start);
        expect(f.ts[f.length - 1]).toBe(r.end - MIN);
        expect(f.column('open')[0]).toBe(1_000 + r.start / MIN);
        expect(f.column('volume')[f.length - 1]).toBe(1_000 + (r.end - MIN) / MIN + 0.4);
      });
      // Again, now from the pooled connections and their prepared statements.
      const again = await Promise.all(ranges.map((r) => store.read(DS, OHLCV_SCHEMA, r)));
      again.forEach((f, i) => expect(f.length).toBe(frames[i].length));
    } finally {
      await store.close();
    }
  });

  it('reads NULL values written by other tools as NaN', async () => {
    const path = freshPath();
    let store = await createDuckDbBarStore({ path });
    await store.write({ dataset: DS, frame: ohlcvBars(0, 2), coverage: [{ start: 0, end: 2 * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
    await store.close();
    await readRows(path, 'UPDATE bars_ohlcv SET volume = NULL WHERE ts = 0');
    store = await createDuckDbBarStore({ path });
    try {
      const back = await store.read(DS, OHLCV_SCHEMA, { start: 0, end: 2 * MIN });
      expect(Number.isNaN(back.column('volume')[0])).toBe(true);
      expect(back.column('volume')[1]).toBe(1001.4);
    } finally {
      await store.close();
    }
  });

  it('round-trips 1,000,000 bars', async () => {
    const store: BarStore = await createDuckDbBarStore({ path: freshPath() });
    try {
      const rows = 1_000_000;
      const frame = ohlcvBars(0, rows);
      await store.write({ dataset: DS, frame, coverage: [{ start: 0, end: rows * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
      const back = await store.read(DS, OHLCV_SCHEMA, { start: 0, end: rows * MIN });
      expect(back.length).toBe(rows);
      expect(Buffer.compare(Buffer.from(back.ts.buffer, back.ts.byteOffset, back.ts.byteLength), Buffer.from(frame.ts.buffer))).toBe(0);
      for (let c = 0; c < 5; c++) {
        const a = back.values[c];
        expect(Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(frame.values[c].buffer))).toBe(0);
      }
      const day = await store.read(DS, OHLCV_SCHEMA, { start: 500_000 * MIN, end: 501_440 * MIN });
      expect(day.length).toBe(1440);
      expect(day.ts[0]).toBe(500_000 * MIN);
      expect(createFrame(OHLCV_SCHEMA, day.ts, day.values).byteLength).toBe(1440 * 8 * 6);
    } finally {
      await store.close();
    }
  }, 60_000);
});
