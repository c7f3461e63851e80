/**
 * Storage footprint: bytes per stored bar and per dataset-year at 1m, 1h and 1d, in DuckDB (the
 * file after the store's close, which checkpoints) and PostgreSQL (`pg_total_relation_size` of
 * `bars_ohlcv` with its primary key, plus the coverage and `bar_versions` rows the writes leave).
 * Realistic data: a random walk per dataset with 2-decimal prices and integer volumes, written
 * through the BarStore port (src/engines/*) in the default shard sizes, one write per shard with
 * its coverage, as backfill writes it. Baseline: the raw column bytes, rows × 48 B (ts + 5
 * doubles). Measures; never asserts. Sizes, not times: load does not change them.
 * Run: node --expose-gc --import tsx bench/storage/storage-footprint.bench.ts
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createFrame, OHLCV_SCHEMA, shardsCovering } from '../../src/core/index.js';
import type { Frame } from '../../src/core/index.js';
import { DEFAULT_BARS_PER_SHARD_BY_INTERVAL } from '../../src/backfill/index.js';
import { createDuckDbBarStore } from '../../src/engines/duckdb/internal.js';
import { createPostgresStorage } from '../../src/engines/postgres/internal.js';
import type { BarStore, DatasetKey } from '../../src/storage/index.js';
import { findPostgresBinDir, POSTGRES_ROOT, startPostgresServer } from '../../test/harness/postgres-server.js';
import { heading, record } from '../harness.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const YEAR_START = Date.UTC(2023, 0, 1);
const YEAR_END = Date.UTC(2024, 0, 1);
const RAW_BYTES_PER_ROW = 48;

/** Intervals measured, with how many dataset-years of each (enough rows that page rounding is noise). */
const CASES = [
  { name: '1m', intervalMs: MIN, datasets: 2 },
  { name: '1h', intervalMs: HOUR, datasets: 20 },
  { name: '1d', intervalMs: DAY, datasets: 50 },
] as const;

type Case = (typeof CASES)[number];

/** One dataset-year of bars: a random walk from a random price, 2 decimals, integer volumes. */
function yearOfBars(intervalMs: number, seed: number): Frame {
  const n = (YEAR_END - YEAR_START) / intervalMs;
  const ts = new Float64Array(n);
  const cols = [0, 1, 2, 3, 4].map(() => new Float64Array(n));
  const [open, high, low, close, volume] = cols;
  let state = seed * 2_654_435_761 % 4_294_967_296 || 1;
  const rnd = (): number => {
    state = (state * 1_664_525 + 1_013_904_223) % 4_294_967_296;
    return state / 4_294_967_296;
  };
  let price = Math.round((10 + rnd() * 990) * 100) / 100;
  for (let i = 0; i < n; i++) {
    ts[i] = YEAR_START + i * intervalMs;
    const o = price;
    price = Math.max(0.01, Math.round(price * (1 + (rnd() - 0.5) * 0.004) * 100) / 100);
    open[i] = o;
    close[i] = price;
    high[i] = Math.round((Math.max(o, price) * (1 + rnd() * 0.001)) * 100) / 100;
    low[i] = Math.round((Math.min(o, price) * (1 - rnd() * 0.001)) * 100) / 100;
    volume[i] = Math.round(rnd() * rnd() * 5_000);
  }
  return createFrame(OHLCV_SCHEMA, ts, cols);
}

/** The rows of `frame` in [start, end), as views (Frame.slice). */
function slice(frame: Frame, start: number, end: number): Frame {
  const ts = frame.ts;
  let a = 0;
  while (a < ts.length && ts[a] < start) a++;
  let b = a;
  while (b < ts.length && ts[b] < end) b++;
  return frame.slice(a, b);
}

/** Writes `c.datasets` dataset-years through `store`, one write per default-size shard. Returns rows and writes. */
async function fill(store: BarStore, c: Case): Promise<{ rows: number; writes: number }> {
  const barsPerShard = DEFAULT_BARS_PER_SHARD_BY_INTERVAL.get(c.intervalMs) ?? 0;
  let rows = 0;
  let writes = 0;
  for (let d = 0; d < c.datasets; d++) {
    const dataset: DatasetKey = { nodeId: `ohlcv:bench:SYM${d}/USD`, intervalMs: c.intervalMs };
    const year = yearOfBars(c.intervalMs, d + 1);
    for (const shard of shardsCovering({ start: YEAR_START, end: YEAR_END }, c.intervalMs, barsPerShard)) {
      const start = Math.max(shard.start, YEAR_START);
      const end = Math.min(shard.end, YEAR_END);
      const frame = slice(year, start, end);
      await store.write({ dataset, frame, coverage: [{ start, end, state: 'stored' }] }, OHLCV_SCHEMA);
      rows += frame.length;
      writes++;
    }
  }
  return { rows, writes };
}

async function fileBytes(path: string): Promise<number> {
  let total = 0;
  for (const p of [path, `${path}.wal`]) if (existsSync(p)) total += (await stat(p)).size; // no WAL after a clean close
  return total;
}

function line(label: string, bytes: number, rows: number, datasets: number): void {
  console.log(`  ${label.padEnd(44)} ${(bytes / 2 ** 20).toFixed(2).padStart(9)} MiB   ${(bytes / rows).toFixed(1).padStart(6)} B/row   ${(bytes / datasets / 2 ** 20).toFixed(3).padStart(8)} MiB per dataset-year`);
}

async function duckdbCase(dir: string, c: Case): Promise<void> {
  const empty = join(dir, `empty-${c.name}.duckdb`);
  await (await createDuckDbBarStore({ path: empty })).close();
  const emptyBytes = await fileBytes(empty);
  const path = join(dir, `bars-${c.name}.duckdb`);
  const store = await createDuckDbBarStore({ path });
  const { rows, writes } = await fill(store, c);
  await store.close();
  const bytes = (await fileBytes(path)) - emptyBytes;
  heading(`DuckDB, ${c.name}: ${c.datasets} dataset-years, ${rows.toLocaleString('en-US')} bars in ${writes} shard writes (file after close, minus an empty store's ${(emptyBytes / 2 ** 20).toFixed(2)} MiB)`);
  line('file growth (bars, coverage, versions)', bytes, rows, c.datasets);
  line('raw column bytes (rows × 48 B)', rows * RAW_BYTES_PER_ROW, rows, c.datasets);
  record(`storage footprint DuckDB ${c.name}: bytes per bar (vs raw 48 B)`, bytes / rows, 'B/row', { baseline: RAW_BYTES_PER_ROW });
  record(`storage footprint DuckDB ${c.name}: MiB per dataset-year`, bytes / c.datasets / 2 ** 20, 'MiB');
}

interface PgSizes { heap: number; index: number; total: number; coverage: number; coverageRows: number; versions: number; versionRows: number }

async function pgSizes(url: string): Promise<PgSizes> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('VACUUM ANALYZE');
    const { rows: [r] } = await client.query<Record<string, string>>(`SELECT
      pg_table_size('bars_ohlcv') AS heap, pg_indexes_size('bars_ohlcv') AS index, pg_total_relation_size('bars_ohlcv') AS total,
      pg_total_relation_size('coverage') AS coverage, (SELECT count(*) FROM coverage) AS coverage_rows,
      pg_total_relation_size('bar_versions') AS versions, (SELECT count(*) FROM bar_versions) AS version_rows`);
    return {
      heap: Number(r.heap), index: Number(r.index), total: Number(r.total), coverage: Number(r.coverage),
      coverageRows: Number(r.coverage_rows), versions: Number(r.versions), versionRows: Number(r.version_rows),
    };
  } finally {
    await client.end();
  }
}

async function postgresCase(createDatabase: () => Promise<string>, c: Case): Promise<void> {
  const url = await createDatabase();
  const storage = await createPostgresStorage({ url });
  let filled: { rows: number; writes: number };
  try {
    filled = await fill(storage.bars, c);
  } finally {
    await storage.close();
  }
  const { rows, writes } = filled;
  const s = await pgSizes(url);
  heading(`PostgreSQL, ${c.name}: ${c.datasets} dataset-years, ${rows.toLocaleString('en-US')} bars in ${writes} shard writes (after VACUUM ANALYZE)`);
  line('bars_ohlcv heap (table + TOAST + maps)', s.heap, rows, c.datasets);
  line('bars_ohlcv indexes (primary key)', s.index, rows, c.datasets);
  line('bars_ohlcv total', s.total, rows, c.datasets);
  line(`coverage (${s.coverageRows} rows)`, s.coverage, rows, c.datasets);
  line(`bar_versions (${s.versionRows} rows, one per write)`, s.versions, rows, c.datasets);
  line('bars + coverage + versions', s.total + s.coverage + s.versions, rows, c.datasets);
  line('raw column bytes (rows × 48 B)', rows * RAW_BYTES_PER_ROW, rows, c.datasets);
  const all = s.total + s.coverage + s.versions;
  record(`storage footprint PostgreSQL ${c.name}: bytes per bar, bars + coverage + versions (vs raw 48 B)`, all / rows, 'B/row', { baseline: RAW_BYTES_PER_ROW });
  record(`storage footprint PostgreSQL ${c.name}: MiB per dataset-year`, all / c.datasets / 2 ** 20, 'MiB');
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'seamless-bench-footprint-'));
  try {
    for (const c of CASES) await duckdbCase(dir, c);
    if (findPostgresBinDir() === undefined) {
      console.log(`PostgreSQL footprint skipped: no server binaries under ${POSTGRES_ROOT} (install the Debian package postgresql).`);
      return;
    }
    const server = await startPostgresServer();
    try {
      for (const c of CASES) await postgresCase(() => server.createDatabase(`footprint_${c.name}`), c);
    } finally {
      await server.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
