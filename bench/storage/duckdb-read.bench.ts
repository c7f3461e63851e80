/**
 * DuckDB bar store: insert 1M one-minute OHLCV bars, then read them back through the store
 * (`store.read`) against raw reads of the SAME rows through the public @duckdb/node-api API
 * (bench/baselines/raw-duckdb.ts: a `getItem` loop, `getColumnValues`, `getColumnsJS`), run
 * interleaved, and a one-day (1,440-row) read against the raw `getItem` loop. The raw reads open
 * a copy of the store's file (one process opens a DuckDB file once): same bytes, same query.
 * Run: node --expose-gc --import tsx bench/storage/duckdb-read.bench.ts
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { OHLCV_SCHEMA } from '../../src/core/index.js';
import { createDuckDbBarStore } from '../../src/engines/duckdb/internal.js';
import type { DatasetKey } from '../../src/storage/index.js';
import { columnValues, getColumnsJS, getItemLoop } from '../baselines/raw-duckdb.js';
import { inTempDir, withRawCopy } from '../baselines/raw-copy.js';
import { compare, heading, record, report } from '../harness.js';
import { waveBarsFrame } from '../fixtures.js';

const ROWS = 1_000_000;
const MIN = 60_000;
const DS: DatasetKey = { nodeId: 'ohlcv:bench:BTC/USDT', intervalMs: MIN };

function check(n: number, rows: number): void {
  if (n !== rows) throw new RangeError(`read ${n} rows, expected ${rows}`);
}

async function main(): Promise<void> {
  await inTempDir('seamless-bench-duckdb-', async (dir) => {
    const path = join(dir, 'bench.duckdb');
    const writer = await createDuckDbBarStore({ path });
    const frame = waveBarsFrame(ROWS, MIN);
    heading(`DuckDB bar store: ${ROWS.toLocaleString('en')} one-minute OHLCV bars`);
    const t0 = performance.now();
    await writer.write({ dataset: DS, frame, coverage: [{ start: 0, end: ROWS * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
    const insertMs = performance.now() - t0;
    record('duckdb insert 1M bars (appender, one transaction)', ROWS / (insertMs / 1000), 'rows/s');
    await writer.close();

    await withRawCopy(path, () => createDuckDbBarStore({ path }), async (store, raw) => {
      const id = await raw.datasetId(DS.nodeId, DS.intervalMs);
      heading('read 1M rows into Float64Arrays (interleaved)');
      const [storeRead, items, values, columnsJs] = await compare([
        { name: 'store.read (engine chunk copy)', fn: async () => check((await store.read(DS, OHLCV_SCHEMA, { start: 0, end: ROWS * MIN })).length, ROWS) },
        { name: 'raw: chunks + vector.getItem loop', fn: async () => check((await getItemLoop(raw.conn, id, 0, ROWS * MIN, ROWS))[0].length, ROWS) },
        { name: 'raw: chunks + getColumnValues + set', fn: async () => check((await columnValues(raw.conn, id, 0, ROWS * MIN, ROWS))[0].length, ROWS) },
        { name: 'raw: getColumnsJS + Float64Array.from', fn: async () => check((await getColumnsJS(raw.conn, id, 0, ROWS * MIN))[0].length, ROWS) },
      ], { runs: 5, warmup: 1 });
      report(values, items, undefined, 'raw duckdb 1M: getColumnValues vs getItem loop');
      report(columnsJs, items, undefined, 'raw duckdb 1M: getColumnsJS vs getItem loop');
      report(storeRead, items, undefined, 'store.read 1M vs raw duckdb (getItem loop)');

      heading('1,440-row (one day) range read (interleaved, a different day each run)');
      let a = 0;
      let b = 0;
      const dayStart = (k: number): number => ((k * 7919) % 600) * 1440 * MIN;
      const [dayStore, dayRaw] = await compare([
        { name: 'store.read 1,440 rows', fn: async () => { const s = dayStart(a++); check((await store.read(DS, OHLCV_SCHEMA, { start: s, end: s + 1440 * MIN })).length, 1440); } },
        { name: 'raw: getItem loop 1,440 rows', fn: async () => { const s = dayStart(b++); check((await getItemLoop(raw.conn, id, s, s + 1440 * MIN, 1440))[0].length, 1440); } },
      ], { runs: 51, warmup: 5 });
      report(dayStore, dayRaw, undefined, 'store.read 1,440 bars vs raw duckdb');
    });
  });
}

await main();
