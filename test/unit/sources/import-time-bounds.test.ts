/**
 * The largest time Seamless supports is core's MAX_TIME_MS (8.64e15 ms, the ECMAScript Date
 * limit). A bar covers [ts, ts + interval), so the last bar an import may hold starts one
 * interval before it: a later row is refused with its line/row and field, and nothing is written.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TIME_MS, OHLCV_SCHEMA, formatTime } from '../../../src/core/index.js';
import { ImportError, importFile } from '../../../src/sources/index.js';
import { createDuckDbBarStore } from '../../../src/engines/duckdb/internal.js';

const MINUTE = 60_000;
const dataset = { nodeId: 'ohlcv:file:MAX', intervalMs: MINUTE };
let dir = '';

beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'seamless-time-bounds-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

async function csv(name: string, tss: readonly (number | string)[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `ts,open,high,low,close,volume\n${tss.map((t) => `${t},10,11,9,10.5,1`).join('\n')}\n`);
  return path;
}

async function withStore<T>(run: (store: Awaited<ReturnType<typeof createDuckDbBarStore>>) => Promise<T>): Promise<T> {
  const store = await createDuckDbBarStore({ path: ':memory:' });
  try { return await run(store); } finally { await store.close(); }
}

describe('import at the time bounds', () => {
  it('refuses a CSV row at the maximum time naming its line and field, and writes nothing', async () => {
    const path = await csv('max.csv', [MAX_TIME_MS - 2 * MINUTE, MAX_TIME_MS]);
    await withStore(async (store) => {
      const err = await importFile({ path, dataset, schema: OHLCV_SCHEMA, store }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImportError);
      expect((err as ImportError).code).toBe('invalid_request');
      expect((err as ImportError).issues[0]).toMatchObject({ line: 3, field: 'ts', value: String(MAX_TIME_MS) });
      expect((err as ImportError).message).toContain('line 3, field "ts"');
      expect((err as ImportError).message).toContain(formatTime(MAX_TIME_MS));
      expect(await store.coverage(dataset)).toEqual([]);
      expect((await store.read(dataset, OHLCV_SCHEMA, { start: 0, end: MAX_TIME_MS })).length).toBe(0);
    });
  });

  it('imports the last bar that ends at the maximum time, with coverage that can be shown', async () => {
    const last = MAX_TIME_MS - MINUTE;
    const path = await csv('last.csv', [last - MINUTE, last]);
    await withStore(async (store) => {
      const report = await importFile({ path, dataset, schema: OHLCV_SCHEMA, store });
      expect(report).toMatchObject({ rows: 2, lastTs: last });
      expect(report.coverage).toEqual([{ start: last - MINUTE, end: MAX_TIME_MS, state: 'stored' }]);
      expect(formatTime(report.coverage[0].end)).toBe('+275760-09-13T00:00:00.000Z');
      expect(await store.coverage(dataset)).toEqual(report.coverage);
    });
  });

  it('refuses a Parquet epoch-ms row beyond the last bar naming its row, and writes nothing', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const path = join(dir, 'max.parquet');
    const connection = await instance.connect();
    try {
      await connection.run(`COPY (SELECT ${MAX_TIME_MS}::BIGINT AS ts, 1.0 AS open, 1.0 AS high, 1.0 AS low, 1.0 AS close, 1::BIGINT AS volume) TO '${path}' (FORMAT parquet)`);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    await withStore(async (store) => {
      const err = await importFile({ path, dataset, schema: OHLCV_SCHEMA, store }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImportError);
      expect((err as ImportError).message).toContain('row 1, field "ts"');
      expect(await store.coverage(dataset)).toEqual([]);
    });
  });
});
