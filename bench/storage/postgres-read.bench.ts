/**
 * PostgreSQL bar store: write 1M one-minute OHLCV bars (binary COPY into staging, upsert), then
 * time the full read and a one-day (1,440-row) read through the engine (binary COPY decoded into
 * Float64Arrays) against the raw binary COPY of the same rows (bytes received, nothing decoded:
 * the floor for any COPY-based read), against row mode (pg's default: one object per row), and
 * against the embedded DuckDB engine holding the same bars. Starts a throwaway server with
 * test/harness/postgres-server.ts; prints why and skips when PostgreSQL is not installed.
 * Run: npx tsx bench/storage/postgres-read.bench.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { OHLCV_SCHEMA } from '../../src/core/index.js';
import type { Frame } from '../../src/core/index.js';
import { createDuckDbBarStore } from '../../src/engines/duckdb/internal.js';
import { createPostgresStorage } from '../../src/engines/postgres/internal.js';
import type { BarStore, DatasetKey } from '../../src/storage/index.js';
import { findPostgresBinDir, POSTGRES_ROOT, startPostgresServer } from '../../test/harness/postgres-server.js';
import { formatMs, heading, measure, report } from '../harness.js';
import type { Sample } from '../harness.js';
import { waveBarsFrame } from '../fixtures.js';

const ROWS = 1_000_000;
const DAY_ROWS = 1_440;
const MIN = 60_000;
const DS: DatasetKey = { nodeId: 'ohlcv:bench:BTC/USDT', intervalMs: MIN };
const ALL = { start: 0, end: ROWS * MIN };

const bars = (rows: number): Frame => waveBarsFrame(rows, MIN);

function check(f: Frame, rows: number): void {
  if (f.length !== rows) throw new RangeError(`read ${f.length} rows, expected ${rows}`);
}

/** The byte count of a raw binary COPY of the rows in [start, end): what the wire delivers, undecoded. */
async function rawCopy(client: pg.Client, datasetId: number, start: number, end: number): Promise<number> {
  const stream = client.query(copyTo(`COPY (SELECT ts, "open", "high", "low", "close", "volume" FROM bars_ohlcv
    WHERE dataset_id = ${datasetId} AND ts >= ${start} AND ts < ${end} ORDER BY ts) TO STDOUT (FORMAT binary)`));
  let bytes = 0;
  for await (const chunk of stream) bytes += (chunk as Buffer).length;
  return bytes;
}

/** Row mode: pg parses each row into an object (float8 as number, int8 cast to float8), copied into Float64Arrays. */
async function rowMode(client: pg.Client, datasetId: number, start: number, end: number): Promise<number> {
  const result = await client.query<{ ts: number; open: number; high: number; low: number; close: number; volume: number }>(
    `SELECT ts::float8 AS ts, "open", "high", "low", "close", "volume" FROM bars_ohlcv
     WHERE dataset_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts`, [datasetId, start, end]);
  const n = result.rows.length;
  const cols = [0, 1, 2, 3, 4, 5].map(() => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    const r = result.rows[i];
    cols[0][i] = r.ts; cols[1][i] = r.open; cols[2][i] = r.high; cols[3][i] = r.low; cols[4][i] = r.close; cols[5][i] = r.volume;
  }
  return n;
}

async function dayReads(store: BarStore, name: string): Promise<Sample> {
  let day = 0;
  return await measure(name, async () => {
    const start = ((day++ * 7919) % 600) * DAY_ROWS * MIN;
    check(await store.read(DS, OHLCV_SCHEMA, { start, end: start + DAY_ROWS * MIN }), DAY_ROWS);
  }, { runs: 51, warmup: 5 });
}

async function main(): Promise<void> {
  if (findPostgresBinDir() === undefined) {
    console.log(`PostgreSQL bench skipped: no server binaries under ${POSTGRES_ROOT} (install the Debian package postgresql).`);
    return;
  }
  const server = await startPostgresServer();
  const dir = await mkdtemp(join(tmpdir(), 'seamless-bench-pg-duckdb-'));
  const frame = bars(ROWS);
  try {
    const url = await server.createDatabase('bench');
    const storage = await createPostgresStorage({ url });
    const store = storage.bars;
    heading(`PostgreSQL bar store: ${ROWS.toLocaleString('en')} one-minute OHLCV bars`);
    const t0 = performance.now();
    await store.write({ dataset: DS, frame, coverage: [{ start: 0, end: ROWS * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
    const insertMs = performance.now() - t0;
    console.log(`  write (binary COPY → staging → upsert, one txn)   ${insertMs.toFixed(0).padStart(7)} ms   ${Math.round(ROWS / (insertMs / 1000)).toLocaleString('en')} rows/s`);
    await server.query('VACUUM ANALYZE bars_ohlcv', [], decodeURIComponent(new URL(url).pathname.slice(1)));

    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    const [{ id }] = (await raw.query<{ id: number }>('SELECT id FROM datasets')).rows;

    const pgRead = await measure('engine read 1M rows (binary COPY → Float64Array)', async () => {
      check(await store.read(DS, OHLCV_SCHEMA, ALL), ROWS);
    }, { runs: 7, warmup: 2 });
    let bytes = 0;
    const pgRaw = await measure('raw binary COPY of the same rows (undecoded)', async () => {
      bytes = await rawCopy(raw, id, ALL.start, ALL.end);
    }, { runs: 7, warmup: 2 });
    report(pgRead, pgRaw);
    console.log(`  (${(bytes / 1e6).toFixed(0)} MB on the wire; decoding costs ${formatMs(pgRead.medianMs - pgRaw.medianMs)})`);
    const pgRows = await measure('row mode: SELECT, one object per row', async () => {
      if (await rowMode(raw, id, ALL.start, ALL.end) !== ROWS) throw new RangeError('row mode read too few rows');
    }, { runs: 3, warmup: 1 });
    report(pgRows, pgRead);

    heading('1,440-row (one day) range read');
    const pgDay = await dayReads(store, 'engine read 1,440 rows');
    let day = 0;
    const pgDayRaw = await measure('raw binary COPY of 1,440 rows (undecoded)', async () => {
      const start = ((day++ * 7919) % 600) * DAY_ROWS * MIN;
      await rawCopy(raw, id, start, start + DAY_ROWS * MIN);
    }, { runs: 51, warmup: 5 });
    report(pgDay, pgDayRaw);
    await raw.end();
    await storage.close();

    heading('against the embedded engine (DuckDB, same bars)');
    const duck = await createDuckDbBarStore({ path: join(dir, 'bench.duckdb') });
    await duck.write({ dataset: DS, frame, coverage: [{ start: 0, end: ROWS * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
    const duckRead = await measure('duckdb engine read 1M rows', async () => {
      check(await duck.read(DS, OHLCV_SCHEMA, ALL), ROWS);
    }, { runs: 7, warmup: 2 });
    const duckDay = await dayReads(duck, 'duckdb engine read 1,440 rows');
    await duck.close();
    report(pgRead, duckRead);
    report(pgDay, duckDay);
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
