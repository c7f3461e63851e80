/**
 * DuckDB bar store: insert 1M one-minute OHLCV bars, then read them back through the store
 * (chunk-vector copy) against a raw query through the public `getColumnsJS()` path, and time a
 * one-day (1,440-row) range read. Run: npx tsx bench/storage/duckdb-read.bench.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance } from '@duckdb/node-api';
import { OHLCV_SCHEMA } from '../../src/core/index.js';
import type { Frame } from '../../src/core/index.js';
import { createDuckDbBarStore } from '../../src/engines/duckdb/internal.js';
import type { DatasetKey } from '../../src/storage/index.js';
import { heading, measure, report } from '../harness.js';
import { waveBarsFrame } from '../fixtures.js';

const ROWS = 1_000_000;
const MIN = 60_000;
const DS: DatasetKey = { nodeId: 'ohlcv:bench:BTC/USDT', intervalMs: MIN };

const bars = (rows: number): Frame => waveBarsFrame(rows, MIN);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'seamless-bench-duckdb-'));
  const path = join(dir, 'bench.duckdb');
  try {
    const store = await createDuckDbBarStore({ path });
    const frame = bars(ROWS);
    heading(`DuckDB bar store: ${ROWS.toLocaleString('en')} one-minute OHLCV bars`);
    const t0 = performance.now();
    await store.write({ dataset: DS, frame, coverage: [{ start: 0, end: ROWS * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
    const insertMs = performance.now() - t0;
    console.log(`  insert (appender, data chunks, one transaction)   ${insertMs.toFixed(0).padStart(7)} ms   ${Math.round(ROWS / (insertMs / 1000)).toLocaleString('en')} rows/s`);

    const all = { start: 0, end: ROWS * MIN };
    const storeRead = await measure('store.read 1M rows (chunk vector copy)', async () => {
      const f = await store.read(DS, OHLCV_SCHEMA, all);
      if (f.length !== ROWS) throw new RangeError(`read ${f.length} rows`);
    }, { runs: 5, warmup: 1 });

    // Baseline: the same query through the driver's public columnar path into typed arrays
    // (the store is closed first: one process opens a database file once).
    await store.close();
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    const sql = 'SELECT ts::DOUBLE, open, high, low, close, volume FROM bars_ohlcv WHERE dataset_id = 1 AND ts >= 0 AND ts < $1::BIGINT ORDER BY ts';
    const baseline = await measure('raw query, getColumnsJS() into Float64Arrays', async () => {
      const result = await conn.run(sql, [ROWS * MIN]);
      const cols = await result.getColumnsJS();
      const out = cols.map((c) => Float64Array.from(c as number[]));
      if (out[0].length !== ROWS) throw new RangeError(`read ${out[0].length} rows`);
    }, { runs: 3, warmup: 1 });
    conn.closeSync();
    instance.closeSync();
    report(storeRead, baseline);

    const reopened = await createDuckDbBarStore({ path });
    heading('1,440-row (one day) range read');
    let day = 0;
    const dayRead = await measure('store.read 1,440 rows', async () => {
      const start = ((day++ * 7919) % 600) * 1440 * MIN;
      const f = await reopened.read(DS, OHLCV_SCHEMA, { start, end: start + 1440 * MIN });
      if (f.length !== 1440) throw new RangeError(`read ${f.length} rows`);
    }, { runs: 51, warmup: 5 });
    console.log(`  ${dayRead.name.padEnd(48)} ${dayRead.medianMs.toFixed(2).padStart(8)} ms (median of ${dayRead.runs}, min ${dayRead.minMs.toFixed(2)} ms)`);
    await reopened.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
