import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidRequestError, OHLCV_SCHEMA } from '../../../src/core/index.js';
import { ImportError, importFile } from '../../../src/sources/index.js';
import type { ParquetImportIssue } from '../../../src/sources/internal.js';
import { createFakeBarStore } from './fake-bar-store.js';

const MINUTE = 60_000;
const T0 = 1_704_067_200_000; // 2024-01-01T00:00:00Z
const dataset = { nodeId: 'ohlcv:file:PQ', intervalMs: MINUTE };

let dir = '';
let instance: DuckDBInstance;

/** Writes `select` (a SQL query) to `<dir>/<name>` with DuckDB COPY … (FORMAT parquet). */
async function parquet(name: string, select: string): Promise<string> {
  const path = join(dir, name);
  const connection = await instance.connect();
  try {
    await connection.run(`COPY (${select}) TO '${path.replaceAll("'", "''")}' (FORMAT parquet)`);
  } finally {
    connection.closeSync();
  }
  return path;
}

// 100 one-minute bars from T0, in reverse order (the importer sorts), with a TIMESTAMPTZ ts.
const ROWS = `
  SELECT to_timestamp((${T0} + i * ${MINUTE}) / 1000) AS ts,
         100 + i AS open, 101.5 + i AS high, 99 + i AS low, 100.25 + i AS close, (i * 10)::BIGINT AS volume
  FROM range(100) t(i) ORDER BY i DESC`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'seamless-pq-'));
  instance = await DuckDBInstance.create(':memory:');
});

afterAll(async () => {
  instance.closeSync();
  await rm(dir, { recursive: true });
});

describe('Parquet import', () => {
  it('round-trips bars with a TIMESTAMP WITH TIME ZONE ts column', async () => {
    const path = await parquet('tz.parquet', ROWS);
    const store = createFakeBarStore();
    const report = await importFile({ path, dataset, schema: OHLCV_SCHEMA, store });
    expect(report).toMatchObject({ rows: 100, firstTs: T0, lastTs: T0 + 99 * MINUTE, format: 'parquet' });
    expect(report.coverage).toEqual([{ start: T0, end: T0 + 100 * MINUTE, state: 'stored' }]);
    const frame = store.writes[0].frame;
    for (let i = 0; i < 100; i++) {
      expect(frame.ts[i]).toBe(T0 + i * MINUTE);
      expect(frame.column('open')[i]).toBe(100 + i);
      expect(frame.column('close')[i]).toBe(100.25 + i);
      expect(frame.column('volume')[i]).toBe(i * 10);
    }
  });

  it('accepts TIMESTAMP and BIGINT epoch-ms timestamp columns, and the `time` alias', async () => {
    const plain = await parquet('plain.parquet', `SELECT ts::TIMESTAMP AS ts, open, high, low, close, volume FROM (${ROWS})`);
    const epoch = await parquet('epoch.parquet', `SELECT epoch_ms(ts)::BIGINT AS time, open, high, low, close, volume FROM (${ROWS})`);
    for (const path of [plain, epoch]) {
      const store = createFakeBarStore();
      const report = await importFile({ path, dataset, schema: OHLCV_SCHEMA, store });
      expect(report.rows).toBe(100);
      expect(store.writes[0].frame.ts[5]).toBe(T0 + 5 * MINUTE);
    }
  });

  it('names the row and column of a null value and writes nothing', async () => {
    const path = await parquet('null.parquet', `SELECT ts, open, high, low, CASE WHEN open = 107 THEN NULL ELSE close END AS close, volume FROM (${ROWS}) ORDER BY ts`);
    const store = createFakeBarStore();
    const err = (await importFile({ path, dataset, schema: OHLCV_SCHEMA, store }).catch((e: unknown) => e)) as ImportError;
    expect(err).toBeInstanceOf(ImportError);
    expect(err.issues[0] as ParquetImportIssue).toMatchObject({ row: 8, field: 'close' });
    expect(err.message).toContain('row 8, field "close"');
    expect(store.writes).toHaveLength(0);
  });

  it('names the row of an off-grid or duplicate timestamp', async () => {
    const offGrid = await parquet('offgrid.parquet', `SELECT ts + INTERVAL 30 SECOND * (open = 110)::INT AS ts, open, high, low, close, volume FROM (${ROWS}) ORDER BY ts`);
    const err = (await importFile({ path: offGrid, dataset, schema: OHLCV_SCHEMA, store: createFakeBarStore() }).catch((e: unknown) => e)) as ImportError;
    expect(err.message).toContain('row 11, field "ts"');
    expect(err.message).toContain('is not on the 1m grid');
    const dup = await parquet('dup.parquet', `SELECT * FROM (${ROWS}) UNION ALL SELECT * FROM (${ROWS}) WHERE open = 100`);
    const dupErr = (await importFile({ path: dup, dataset, schema: OHLCV_SCHEMA, store: createFakeBarStore() }).catch((e: unknown) => e)) as ImportError;
    expect(dupErr.message).toContain('duplicate timestamp 2024-01-01T00:00:00.000Z');
    expect(dupErr.message).toMatch(/row 101, .*also on row 100/);
  });

  it('rejects a missing column, a non-numeric column and an empty file', async () => {
    const missing = await parquet('missing.parquet', `SELECT ts, open, high, low, volume FROM (${ROWS})`);
    const e1 = (await importFile({ path: missing, dataset, schema: OHLCV_SCHEMA, store: createFakeBarStore() }).catch((e: unknown) => e)) as ImportError;
    expect(e1.message).toContain('schema, field "close": missing column "close"');
    const text = await parquet('text.parquet', `SELECT ts, open, high, low, close::VARCHAR AS close, volume FROM (${ROWS})`);
    const e2 = (await importFile({ path: text, dataset, schema: OHLCV_SCHEMA, store: createFakeBarStore() }).catch((e: unknown) => e)) as ImportError;
    expect(e2.message).toContain('field "close": column "close" has type VARCHAR');
    const empty = await parquet('empty.parquet', `SELECT * FROM (${ROWS}) WHERE false`);
    const e3 = (await importFile({ path: empty, dataset, schema: OHLCV_SCHEMA, store: createFakeBarStore() }).catch((e: unknown) => e)) as ImportError;
    expect(e3).toBeInstanceOf(ImportError);
    expect(e3.message).toContain('no rows');
  });

  it('reports a file that is not Parquet as invalid_request on field file', async () => {
    const path = join(dir, 'not.parquet');
    await writeFile(path, 'ts,open\n1,2\n');
    const err = await importFile({ path, dataset, schema: OHLCV_SCHEMA, store: createFakeBarStore() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidRequestError);
    expect((err as InvalidRequestError).field).toBe('file');
  });
});
