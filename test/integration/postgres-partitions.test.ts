/**
 * Bars partitioned by month on PostgreSQL (migration 10, src/engines/postgres/postgres-partitions.ts)
 * against a real server on loopback: a write into a new month creates that month's partition
 * and its rows land there; rows the DEFAULT partition took move into their month when it is
 * created; concurrent writers create a month once; a database at migration 8 with bars, versions
 * and history migrates with every row intact; a one-day read prunes to its month and range-scans
 * the month's key index; an operator's detached month reads as empty and purges cleanly.
 * Skipped when the server binaries are not installed.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, OHLCV_SCHEMA } from '../../src/core/index.js';
import type { CoverageClaim, DatasetKey } from '../../src/storage/index.js';
import { PG_MIGRATIONS, migrate, monthsOf } from '../../src/engines/postgres/internal.js';
import type { PostgresStorage } from '../../src/engines/postgres/internal.js';
import { ohlcvBars } from '../storage-suite/bar-store-suite.js';
import { postgresAvailable } from '../harness/postgres-server.js';
import { postgresForSuite } from '../helpers/postgres-storage.js';

const MIN = 60_000;
const DAY = 1_440 * MIN;
const DS: DatasetKey = { nodeId: 'ohlcv:binance:BTC/USDT', intervalMs: MIN };
const JAN_2024 = Date.UTC(2024, 0, 1);
const FEB_2024 = Date.UTC(2024, 1, 1);
const MAR_2024 = Date.UTC(2024, 2, 1);

function stored(start: number, end: number): CoverageClaim {
  return { start, end, state: 'stored' };
}

function databaseOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

describe('month starts of a frame', () => {
  it('lists each UTC month a frame touches once, ascending, and leaves ts before 1970 to the DEFAULT partition', () => {
    const ts = new Float64Array([FEB_2024 - 1, FEB_2024, MAR_2024 + 5, JAN_2024, -MIN, FEB_2024 + DAY]);
    expect(monthsOf(ts)).toEqual([JAN_2024, FEB_2024, MAR_2024]);
  });
});

describe.skipIf(!postgresAvailable())('postgres bars partitioned by month', () => {
  const server = postgresForSuite();
  const open = (url: string): Promise<PostgresStorage> => server.open(url);

  /** Rows of bars_ohlcv per partition holding them. */
  async function rowsByPartition(url: string): Promise<Record<string, number>> {
    const rows = await server.query<{ part: string; n: number }>(
      'SELECT tableoid::regclass::text AS part, count(*)::float8 AS n FROM bars_ohlcv GROUP BY 1 ORDER BY 1', [], databaseOf(url));
    return Object.fromEntries(rows.map((r) => [r.part, r.n]));
  }

  async function partitionsOf(url: string, table: string): Promise<string[]> {
    const rows = await server.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = $1::regclass ORDER BY 1`, [table], databaseOf(url));
    return rows.map((r) => r.name);
  }

  it('creates the month partitions a write needs and lands every row in its month, none in DEFAULT', async () => {
    const url = await server.createDatabase();
    const { bars } = await open(url);
    // Two days either side of the January/February boundary.
    const frame = ohlcvBars(FEB_2024 - DAY, 2 * 1_440);
    await bars.write({ dataset: DS, frame, coverage: [stored(FEB_2024 - DAY, FEB_2024 + DAY)] }, OHLCV_SCHEMA);
    expect(await partitionsOf(url, 'bars_ohlcv')).toEqual(['bars_ohlcv_default', 'bars_ohlcv_p2024_01', 'bars_ohlcv_p2024_02']);
    expect(await rowsByPartition(url)).toEqual({ bars_ohlcv_p2024_01: 1_440, bars_ohlcv_p2024_02: 1_440 });
    const read = await bars.read(DS, OHLCV_SCHEMA, { start: FEB_2024 - DAY, end: FEB_2024 + DAY });
    expect(Array.from(read.ts)).toEqual(Array.from(frame.ts));
    expect(Array.from(read.values[3])).toEqual(Array.from(frame.values[3]));
  });

  it('moves the rows the DEFAULT partition took for a month into that month when its partition is created', async () => {
    const url = await server.createDatabase();
    const { bars } = await open(url);
    await bars.write({ dataset: DS, frame: ohlcvBars(JAN_2024, 10), coverage: [stored(JAN_2024, JAN_2024 + 10 * MIN)] }, OHLCV_SCHEMA);
    // A row written while March had no partition (an operator's direct insert, or a month detached and re-added).
    await server.query(`INSERT INTO bars_ohlcv (dataset_id, ts, "open", "high", "low", "close", "volume")
      SELECT id, $1, 1, 2, 0.5, 1.5, 10 FROM datasets`, [MAR_2024 + 30 * MIN], databaseOf(url));
    expect(await rowsByPartition(url)).toEqual({ bars_ohlcv_default: 1, bars_ohlcv_p2024_01: 10 });
    await bars.write({ dataset: DS, frame: ohlcvBars(MAR_2024, 5), coverage: [stored(MAR_2024, MAR_2024 + 5 * MIN)] }, OHLCV_SCHEMA);
    expect(await rowsByPartition(url)).toEqual({ bars_ohlcv_p2024_01: 10, bars_ohlcv_p2024_03: 6 });
    const march = await bars.read(DS, OHLCV_SCHEMA, { start: MAR_2024, end: MAR_2024 + DAY });
    expect(Array.from(march.ts)).toEqual([0, 1, 2, 3, 4, 30].map((i) => MAR_2024 + i * MIN));
  });

  it('creates a new month once when two stores write into it at the same time', async () => {
    const url = await server.createDatabase();
    const a = await open(url);
    const b = await open(url);
    const other: DatasetKey = { nodeId: 'ohlcv:binance:ETH/USDT', intervalMs: MIN };
    await Promise.all([
      a.bars.write({ dataset: DS, frame: ohlcvBars(MAR_2024, 1_440), coverage: [stored(MAR_2024, MAR_2024 + DAY)] }, OHLCV_SCHEMA),
      b.bars.write({ dataset: other, frame: ohlcvBars(MAR_2024, 1_440, 2), coverage: [stored(MAR_2024, MAR_2024 + DAY)] }, OHLCV_SCHEMA),
    ]);
    expect(await partitionsOf(url, 'bars_ohlcv')).toEqual(['bars_ohlcv_default', 'bars_ohlcv_p2024_03']);
    expect(await rowsByPartition(url)).toEqual({ bars_ohlcv_p2024_03: 2_880 });
  });

  it('migrates a database at migration 8 holding bars, versions and history to month partitions with every row intact', async () => {
    const url = await server.createDatabase();
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    const client = await pool.connect();
    try {
      await migrate(client, 'test', PG_MIGRATIONS.filter((m) => m.version <= 8));
      await client.query("INSERT INTO datasets (id, node_id, interval_ms, schema) VALUES (1, $1, $2, 'ohlcv'), (2, 'tick:x:Y', 1, 'tick')", [DS.nodeId, MIN]);
      // 3 months of one row per hour and one row before 1970, written by version 1 except the first hour, rewritten by
      // version 2 (the row it replaced in the history).
      await client.query(`INSERT INTO bars_ohlcv (dataset_id, ts, "open", "high", "low", "close", "volume", version_id)
        SELECT 1, ts, ts / 1e6, 2, 3, 4, 5, CASE WHEN ts = $1 THEN 2 ELSE 1 END FROM generate_series($1::bigint, $2::bigint - 1, 3600000) AS ts
        UNION ALL SELECT 1, -60000, 9, 9, 9, 9, 9, NULL`, [JAN_2024, Date.UTC(2024, 3, 1)]);
      await client.query('INSERT INTO bars_tick (dataset_id, ts, "price", "size", version_id) VALUES (2, $1, 100, 1, 1)', [FEB_2024 + 7]);
      await client.query(`INSERT INTO bars_ohlcv_history (dataset_id, ts, "open", "high", "low", "close", "volume", version_id, superseded_by, superseded_at_ms)
        VALUES (1, $1, 7, 7, 7, 7, 7, 1, 2, $2)`, [JAN_2024, JAN_2024 + DAY]);
      await client.query(`INSERT INTO bar_versions (id, dataset_id, at_ms, kind, source, content_hash, start_ms, end_ms, rows, coverage) VALUES
        (1, 1, $1, 'write', 'test', 'sha256:', $2, $3, 2185, '[]'), (2, 1, $4, 'write', 'test', 'sha256:', $2, $3, 1, '[]')`,
      [JAN_2024, -60_000, Date.UTC(2024, 3, 1), JAN_2024 + DAY]);
      await client.query("SELECT setval('bar_versions_seq', 2)");
    } finally {
      client.release();
      await pool.end();
    }
    const { bars } = await open(url);
    expect(await partitionsOf(url, 'bars_ohlcv')).toEqual(['bars_ohlcv_default', 'bars_ohlcv_p2024_01', 'bars_ohlcv_p2024_02', 'bars_ohlcv_p2024_03']);
    expect(await partitionsOf(url, 'bars_tick')).toEqual(['bars_tick_default', 'bars_tick_p2024_02']);
    expect(await rowsByPartition(url)).toEqual({ bars_ohlcv_default: 1, bars_ohlcv_p2024_01: 744, bars_ohlcv_p2024_02: 696, bars_ohlcv_p2024_03: 744 });
    const all = await bars.read(DS, OHLCV_SCHEMA, { start: -60_000, end: Date.UTC(2024, 3, 1) });
    expect(all.length).toBe(1 + 744 + 696 + 744);
    expect(all.ts[0]).toBe(-60_000);
    expect(all.ts[1]).toBe(JAN_2024);
    expect(all.values[0][1]).toBe(JAN_2024 / 1e6);
    const asOfFirst = await bars.readAsOf?.(DS, OHLCV_SCHEMA, { start: JAN_2024, end: JAN_2024 + MIN }, JAN_2024);
    if (asOfFirst === undefined) throw new InvalidRequestError('bars', 'the PostgreSQL store keeps versions');
    expect(Array.from(asOfFirst.frame.values[0])).toEqual([7]);
    // The migrated table takes writes and upserts like before.
    await bars.write({ dataset: DS, frame: ohlcvBars(JAN_2024, 2, 3), coverage: [stored(JAN_2024, JAN_2024 + 2 * MIN)] }, OHLCV_SCHEMA);
    const head = await bars.read(DS, OHLCV_SCHEMA, { start: JAN_2024, end: JAN_2024 + 2 * MIN });
    expect(Array.from(head.values[0])).toEqual([3000, 3001]);
  });

  it('reads one day from one month partition through a range scan of its key index', async () => {
    const url = await server.createDatabase();
    const { bars } = await open(url);
    const datasets = [DS, { nodeId: 'ohlcv:binance:ETH/USDT', intervalMs: MIN }, { nodeId: 'ohlcv:binance:SOL/USDT', intervalMs: MIN }];
    for (const [i, d] of datasets.entries()) {
      const rows = (MAR_2024 + 15 * DAY - JAN_2024) / MIN;
      await bars.write({ dataset: d, frame: ohlcvBars(JAN_2024, rows, i + 1), coverage: [stored(JAN_2024, JAN_2024 + rows * MIN)] }, OHLCV_SCHEMA);
    }
    await server.query('ANALYZE bars_ohlcv', [], databaseOf(url));
    const [{ id }] = await server.query<{ id: number }>('SELECT id FROM datasets WHERE node_id = $1', [DS.nodeId], databaseOf(url));
    const start = FEB_2024 + 10 * DAY;
    // The reader's statement (postgres-bar-reader.ts): bounds inlined, so the planner prunes.
    const plan = await server.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT ts, "open", "high", "low", "close", "volume" FROM bars_ohlcv
      WHERE dataset_id = ${id} AND ts >= ${start} AND ts < ${start + DAY} ORDER BY ts`, [], databaseOf(url));
    const text = plan.map((r) => r['QUERY PLAN']).join('\n');
    // An index scan, or a bitmap index scan of the same key index (the planner's pick by correlation): a range scan either way.
    expect(text).toMatch(/Index Scan (using|on) bars_ohlcv_p2024_02_pkey/);
    expect(text).not.toMatch(/p2024_01|p2024_03|default|Seq Scan/);
  });

  it('writes and reads the current month while an operator holds an old month locked (CLUSTER of a closed month)', async () => {
    const url = await server.createDatabase();
    const { bars } = await open(url);
    await bars.write({ dataset: DS, frame: ohlcvBars(JAN_2024, 1_440), coverage: [stored(JAN_2024, JAN_2024 + DAY)] }, OHLCV_SCHEMA);
    await bars.write({ dataset: DS, frame: ohlcvBars(MAR_2024, 1_440), coverage: [stored(MAR_2024, MAR_2024 + DAY)] }, OHLCV_SCHEMA);
    const operator = new pg.Client({ connectionString: url });
    await operator.connect();
    let timer: NodeJS.Timeout | undefined;
    try {
      await operator.query('BEGIN');
      await operator.query('LOCK TABLE bars_ohlcv_p2024_01 IN ACCESS EXCLUSIVE MODE');
      // A rewrite of March (its claimed range deleted, the replaced rows moved to the history) and a read of it.
      const work = (async () => {
        await bars.write({ dataset: DS, frame: ohlcvBars(MAR_2024, 1_440, 5), coverage: [stored(MAR_2024, MAR_2024 + DAY)] }, OHLCV_SCHEMA);
        return await bars.read(DS, OHLCV_SCHEMA, { start: MAR_2024, end: MAR_2024 + DAY });
      })();
      // Only a guard against a hang: the write waits on nothing January holds.
      const hung = new Promise<'blocked'>((resolve) => { timer = setTimeout(() => resolve('blocked'), 20_000); });
      const outcome = await Promise.race([work, hung]);
      expect(outcome === 'blocked' ? 'blocked behind the lock on January' : outcome.values[0][0]).toBe(5_000);
    } finally {
      clearTimeout(timer);
      await operator.query('ROLLBACK');
      await operator.end();
    }
  });

  it('reads a detached month as empty and purges its coverage without touching other months', async () => {
    const url = await server.createDatabase();
    const { bars } = await open(url);
    await bars.write({ dataset: DS, frame: ohlcvBars(JAN_2024 + 30 * DAY, 2 * 1_440), coverage: [stored(JAN_2024 + 30 * DAY, FEB_2024 + DAY)] }, OHLCV_SCHEMA);
    await server.query('ALTER TABLE bars_ohlcv DETACH PARTITION bars_ohlcv_p2024_01', [], databaseOf(url));
    await server.query('DROP TABLE bars_ohlcv_p2024_01', [], databaseOf(url));
    expect((await bars.read(DS, OHLCV_SCHEMA, { start: JAN_2024, end: FEB_2024 })).length).toBe(0);
    const report = await bars.purge({ dataset: DS, range: { start: JAN_2024, end: FEB_2024 }, actor: 'retention', action: 'purge', fences: [] });
    expect(report.rowsRemoved).toBe(0);
    expect(await bars.coverage(DS)).toEqual([stored(FEB_2024, FEB_2024 + DAY)]);
    expect((await bars.read(DS, OHLCV_SCHEMA, { start: FEB_2024, end: FEB_2024 + DAY })).length).toBe(1_440);
  });
});
