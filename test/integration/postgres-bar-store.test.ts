/**
 * The PostgreSQL storage engine against a real PostgreSQL server on loopback
 * (test/harness/postgres-server.ts, one server for this file, a fresh database per store): the
 * shared BarStore conformance suite, then what only PostgreSQL shows — versioned migrations and
 * the refusal of a newer schema, a clear error when the database is unreachable, connections
 * killed mid-session and retried, fenced writers on two pools, ingest findings committed with
 * their rows, and a 1M-row round trip. Skipped when the server binaries are not installed
 * (scripts/system-packages.txt).
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, StaleFencingTokenError } from '../../src/core/index.js';
import type { Frame } from '../../src/core/index.js';
import type { IngestFinding } from '../../src/conformance/index.js';
import { StorageEngineError } from '../../src/storage/index.js';
import { createPostgresStorage } from '../../src/engines/postgres/internal.js';
import type { CoverageClaim, DatasetKey } from '../../src/storage/index.js';
import { PG_MIGRATIONS, latestVersion } from '../../src/engines/postgres/internal.js';
import { describeBarStore, ohlcvBars } from '../storage-suite/bar-store-suite.js';
import { describeBarStoreWriteMany } from '../storage-suite/bar-store-write-many-suite.js';
import { freePort } from '../harness/leftovers.js';
import { postgresAvailable } from '../harness/postgres-server.js';
import { postgresForSuite } from '../helpers/postgres-storage.js';
import { rejection } from '../storage-suite/suite-frames.js';

const MIN = 60_000;
const DS: DatasetKey = { nodeId: 'ohlcv:binance:BTC/USDT', intervalMs: MIN };

function stored(start: number, end: number): CoverageClaim {
  return { start, end, state: 'stored' };
}


/** Polls `check` until it holds or `timeoutMs` passes (no fixed sleeps). */
async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function databaseOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

/** Index of the first row where any column differs (Object.is: NaN equals NaN, -0 is not 0), or -1. */
function firstDifference(a: Frame, b: Frame): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const ca = [a.ts, ...a.values];
  const cb = [b.ts, ...b.values];
  for (let r = 0; r < a.length; r++) {
    for (let c = 0; c < ca.length; c++) if (!Object.is(ca[c][r], cb[c][r])) return r;
  }
  return -1;
}

describe.skipIf(!postgresAvailable())('postgres storage engine', () => {
  const server = postgresForSuite();
  const open = server.open;

  /** Backends of `database` other than the caller's, optionally only those waiting on a lock. */
  async function backends(database: string, waitingOnLock = false): Promise<number[]> {
    const rows = await server.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'
       ${waitingOnLock ? "AND wait_event_type = 'Lock'" : ''}`,
      [database],
    );
    return rows.map((r) => r.pid);
  }

  async function terminate(pids: readonly number[]): Promise<void> {
    await server.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
  }

  describeBarStore('postgres', async () => (await createPostgresStorage({ url: await server.createDatabase(), pool: { max: 4 } })).bars);
  describeBarStoreWriteMany('postgres', async () => {
    const storage = await createPostgresStorage({ url: await server.createDatabase(), pool: { max: 4 } });
    return { bars: storage.bars, findings: storage.findings };
  });

  describe('migrations', () => {
    it('applies its versioned migrations once and nothing on reopen', async () => {
      const url = await server.createDatabase();
      await (await createPostgresStorage({ url })).close();
      await (await createPostgresStorage({ url })).close();
      const rows = await server.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version', [], databaseOf(url));
      expect(rows.map((r) => [r.version, r.name])).toEqual(PG_MIGRATIONS.map((m) => [m.version, m.name]));
    });

    it('migrates once when several processes open a new database at the same time', async () => {
      const url = await server.createDatabase();
      const stores = await Promise.all([1, 2, 3, 4].map(() => createPostgresStorage({ url })));
      for (const s of stores) await s.close();
      const rows = await server.query('SELECT version FROM schema_migrations', [], databaseOf(url));
      expect(rows.length).toBe(PG_MIGRATIONS.length);
    });

    it('refuses a database whose schema is newer than this Seamless, naming both versions', async () => {
      const url = await server.createDatabase();
      await (await createPostgresStorage({ url })).close();
      const future = latestVersion() + 7;
      await server.query("INSERT INTO schema_migrations (version, name) VALUES ($1, 'from a newer Seamless')", [future], databaseOf(url));
      const err = await rejection(createPostgresStorage({ url }));
      expect(err).toBeInstanceOf(StorageEngineError);
      expect(err).toMatchObject({ code: 'internal', operation: 'migrate' });
      expect((err as Error).message).toContain(`schema version ${future}`);
      expect((err as Error).message).toContain(`(${latestVersion()})`);
    });
  });

  describe('opening', () => {
    it('fails at start with an error naming the URL without its password when the server is unreachable', async () => {
      const port = await freePort();
      const url = `postgres://seamless:s3cret-pw@127.0.0.1:${port}/seamless`;
      const err = await rejection(createPostgresStorage({ url, connectTimeoutMs: 2_000 }));
      expect(err).toBeInstanceOf(StorageEngineError);
      expect(err).toMatchObject({ code: 'internal', operation: 'open', engine: 'postgres' });
      const message = (err as Error).message;
      expect(message).toContain(`postgres://seamless@127.0.0.1:${port}/seamless`);
      expect(message).toContain('ECONNREFUSED');
      expect(message).not.toContain('s3cret-pw');
    });

    it('fails at start naming a database that does not exist', async () => {
      const err = await rejection(createPostgresStorage({ url: server.url('no_such_database') }));
      expect(err).toBeInstanceOf(StorageEngineError);
      expect((err as Error).message).toContain('no_such_database');
      expect((err as Error).message).toContain('CREATE DATABASE');
    });

    it('refuses a URL that is not postgres://', async () => {
      expect(await rejection(createPostgresStorage({ url: 'mysql://u@h/db' }))).toMatchObject({ code: 'invalid_request', field: 'url' });
    });

    it('throws StorageEngineError from every store once closed', async () => {
      const s = await open();
      await s.close();
      await s.close();
      await expect(s.findings.findings(DS.nodeId, MIN, 0, MIN)).rejects.toMatchObject({ code: 'internal' });
      await expect(s.bars.read(DS, OHLCV_SCHEMA, { start: 0, end: MIN })).rejects.toBeInstanceOf(StorageEngineError);
    });
  });

  describe('connection loss', () => {
    it('retries transparently when the idle connections of the pool were terminated', async () => {
      const url = await server.createDatabase();
      const s = await open(url);
      await s.bars.write({ dataset: DS, frame: ohlcvBars(0, 100), coverage: [stored(0, 100 * MIN)] }, OHLCV_SCHEMA);
      await s.bars.coverage(DS);
      const pids = await backends(databaseOf(url));
      expect(pids.length).toBeGreaterThan(0);
      await terminate(pids);
      expect((await s.bars.read(DS, OHLCV_SCHEMA, { start: 0, end: 100 * MIN })).length).toBe(100);
      await s.bars.write({ dataset: DS, frame: ohlcvBars(100 * MIN, 10), coverage: [stored(100 * MIN, 110 * MIN)] }, OHLCV_SCHEMA);
      expect(await s.bars.coverage(DS)).toEqual([stored(0, 110 * MIN)]);
      await s.bars.ping();
    });

    it('reruns a write whose connection is killed inside its transaction, and commits it once', async () => {
      const url = await server.createDatabase();
      const s = await open(url);
      const fence = { key: 'shard:killed-mid-write', token: 3 };
      await s.bars.advanceFence({ key: fence.key, token: 1 });
      // Hold the fence row so the write stops inside its transaction, waiting on the lock.
      const holder = new pg.Client({ connectionString: url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT token FROM fences WHERE key = $1 FOR UPDATE', [fence.key]);
        const write = s.bars.write({ dataset: DS, frame: ohlcvBars(0, 50, 4), coverage: [stored(0, 50 * MIN)], fence }, OHLCV_SCHEMA);
        let waiting: number[] = [];
        await eventually(async () => (waiting = await backends(databaseOf(url), true)).length === 1, 10_000, 'the write waits on the fence lock');
        await terminate(waiting);
        // The rerun opens a new connection and waits on the lock again.
        await eventually(async () => {
          const now = await backends(databaseOf(url), true);
          return now.length === 1 && now[0] !== waiting[0];
        }, 10_000, 'the retried write waits on the fence lock');
        await holder.query('COMMIT');
        await expect(write).resolves.toMatchObject({ rowsWritten: 50 });
      } finally {
        await holder.end();
      }
      expect((await s.bars.read(DS, OHLCV_SCHEMA, { start: 0, end: 50 * MIN })).column('open')[0]).toBe(4000);
      const fences = await server.query<{ token: string }>('SELECT token FROM fences WHERE key = $1', [fence.key], databaseOf(url));
      expect(fences).toEqual([{ token: '3' }]);
    });

    it('reruns a read whose connection is killed while its COPY waits', async () => {
      const url = await server.createDatabase();
      const s = await open(url);
      await s.bars.write({ dataset: DS, frame: ohlcvBars(0, 2_000, 6), coverage: [stored(0, 2_000 * MIN)] }, OHLCV_SCHEMA);
      const holder = new pg.Client({ connectionString: url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE bars_ohlcv IN ACCESS EXCLUSIVE MODE');
        const read = s.bars.read(DS, OHLCV_SCHEMA, { start: 0, end: 2_000 * MIN });
        let waiting: number[] = [];
        await eventually(async () => (waiting = await backends(databaseOf(url), true)).length === 1, 10_000, 'the read waits on the table lock');
        await terminate(waiting);
        await eventually(async () => {
          const now = await backends(databaseOf(url), true);
          return now.length === 1 && now[0] !== waiting[0];
        }, 10_000, 'the retried read waits on the table lock');
        await holder.query('COMMIT');
        const frame = await read;
        expect(firstDifference(frame, ohlcvBars(0, 2_000, 6))).toBe(-1);
      } finally {
        await holder.end();
      }
    });
  });

  describe('fenced writers on two pools', () => {
    it('rejects the older token whole when both wait on the fence, and keeps the newer write whole', async () => {
      const url = await server.createDatabase();
      const a = await open(url);
      const b = await open(url);
      const key = JSON.stringify(['shard', DS.nodeId, 0]);
      await a.bars.advanceFence({ key, token: 1 });
      const holder = new pg.Client({ connectionString: url });
      await holder.connect();
      let newer: Promise<unknown>;
      let older: Promise<unknown>;
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT token FROM fences WHERE key = $1 FOR UPDATE', [key]);
        // B (token 3, 1,000 rows) queues on the fence row first, then A (token 2, 2,000 rows).
        newer = b.bars.write({ dataset: DS, frame: ohlcvBars(0, 1_000, 3), coverage: [stored(0, 1_000 * MIN)], fence: { key, token: 3 } }, OHLCV_SCHEMA);
        await eventually(async () => (await backends(databaseOf(url), true)).length === 1, 10_000, 'B waits on the fence');
        older = rejection(a.bars.write({ dataset: DS, frame: ohlcvBars(0, 2_000, 2), coverage: [stored(0, 2_000 * MIN)], fence: { key, token: 2 } }, OHLCV_SCHEMA));
        await eventually(async () => (await backends(databaseOf(url), true)).length === 2, 10_000, 'A waits on the fence too');
        await holder.query('COMMIT');
      } finally {
        await holder.end();
      }
      await expect(newer).resolves.toMatchObject({ rowsWritten: 1_000 });
      const err = await older;
      expect(err).toBeInstanceOf(StaleFencingTokenError);
      expect(err).toMatchObject({ token: 2, newest: 3 });
      const back = await a.bars.read(DS, OHLCV_SCHEMA, { start: 0, end: 2_000 * MIN });
      expect(firstDifference(back, ohlcvBars(0, 1_000, 3))).toBe(-1);
      expect(await b.bars.coverage(DS)).toEqual([stored(0, 1_000 * MIN)]);
    });

    it('leaves the newest token\'s write whole however racing writers interleave', async () => {
      const url = await server.createDatabase();
      const pools = [await open(url), await open(url)];
      for (let round = 0; round < 6; round++) {
        const key = JSON.stringify(['shard', DS.nodeId, round]);
        const dataset = { nodeId: `race-${round}`, intervalMs: MIN };
        const writes = [0, 1, 2, 3].map((i) => pools[i % 2].bars.write({
          dataset, frame: ohlcvBars(0, 300 + 100 * i, 10 + i), coverage: [stored(0, (300 + 100 * i) * MIN)], fence: { key, token: i + 1 },
        }, OHLCV_SCHEMA));
        const results = await Promise.allSettled(writes);
        expect(results[3].status).toBe('fulfilled');
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StaleFencingTokenError);
        const back = await pools[round % 2].bars.read(dataset, OHLCV_SCHEMA, { start: 0, end: 1_000 * MIN });
        expect(firstDifference(back, ohlcvBars(0, 600, 13))).toBe(-1);
        expect(await pools[0].bars.coverage(dataset)).toEqual([stored(0, 600 * MIN)]);
      }
    });
  });

  describe('ingest findings', () => {
    const finding = (ts: number, flag: IngestFinding['flag'] = 'duplicate_ts'): IngestFinding => ({
      nodeId: DS.nodeId, intervalMs: MIN, flag, ts, count: 1, at: 1_700_000_000_000, detail: `at ${ts}`,
    });

    it('commits findings with the rows that carried them, and none with a rejected write', async () => {
      const s = await open();
      await s.bars.write({ dataset: DS, frame: ohlcvBars(0, 5), coverage: [stored(0, 5 * MIN)], findings: [finding(2 * MIN), finding(MIN, 'misaligned_ts')], fence: { key: 'k', token: 5 } }, OHLCV_SCHEMA);
      await rejection(s.bars.write({ dataset: DS, frame: ohlcvBars(0, 5), coverage: [stored(0, 5 * MIN)], findings: [finding(3 * MIN)], fence: { key: 'k', token: 4 } }, OHLCV_SCHEMA));
      expect((await s.findings.findings(DS.nodeId, MIN, 0, 5 * MIN)).map((f) => [f.flag, f.ts])).toEqual([['misaligned_ts', MIN], ['duplicate_ts', 2 * MIN]]);
    });

    it('supersedes the findings of rows a later write replaces: kept as history, no longer in force', async () => {
      const s = await open();
      await s.bars.write({ dataset: DS, frame: ohlcvBars(0, 5), coverage: [stored(0, 5 * MIN)], findings: [finding(2 * MIN), finding(MIN, 'misaligned_ts')] }, OHLCV_SCHEMA);
      await s.findings.appendFindings([finding(9 * MIN)]);
      await s.bars.write({ dataset: DS, frame: ohlcvBars(MIN, 2), coverage: [stored(MIN, 3 * MIN)] }, OHLCV_SCHEMA);
      expect((await s.findings.findings(DS.nodeId, MIN, 0, 10 * MIN)).map((f) => f.ts)).toEqual([9 * MIN]);
      const history = await s.findings.history(DS.nodeId, MIN, 0, 10 * MIN);
      expect(history.map((f) => [f.ts, f.flag, f.supersededAt === null])).toEqual([[MIN, 'misaligned_ts', false], [2 * MIN, 'duplicate_ts', false], [9 * MIN, 'duplicate_ts', true]]);
      await s.bars.write({ dataset: DS, frame: ohlcvBars(2 * MIN, 1), coverage: [stored(2 * MIN, 3 * MIN)], findings: [finding(2 * MIN)] }, OHLCV_SCHEMA);
      expect((await s.findings.findings(DS.nodeId, MIN, 0, 10 * MIN)).map((f) => f.ts)).toEqual([2 * MIN, 9 * MIN]);
    });

    it('appends findings alone, ordered by ts then arrival, and refuses a bad batch whole', async () => {
      const s = await open();
      await s.findings.appendFindings([finding(5 * MIN), finding(MIN)]);
      await s.findings.appendFindings([{ ...finding(MIN, 'future_ts'), detail: 'second' }]);
      const back = await s.findings.findings(DS.nodeId, MIN, 0, 10 * MIN);
      expect(back.map((f) => [f.ts, f.flag])).toEqual([[MIN, 'duplicate_ts'], [MIN, 'future_ts'], [5 * MIN, 'duplicate_ts']]);
      expect(back[0]).toEqual(finding(MIN));
      const err = await rejection(s.findings.appendFindings([finding(0), { ...finding(0), count: -1 }]));
      expect(err).toMatchObject({ code: 'invalid_request', field: 'findings[1].count' });
      expect((await s.findings.findings(DS.nodeId, MIN, 0, MIN)).length).toBe(0);
    });
  });

  it('round-trips 1,000,000 bars exactly, NaN, -0 and infinities included', async () => {
    const rows = 1_000_000;
    const t0 = 1_600_000_020_000;
    const frame = ohlcvBars(t0, rows, 3);
    const special = [Number.NaN, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 5e-324, -1.7976931348623157e308];
    for (let i = 0; i < special.length; i++) frame.values[i % 5][i * 99_991] = special[i];
    const s = await open(undefined, { poolMax: 2 });
    const end = t0 + rows * MIN;
    const report = await s.bars.write({ dataset: DS, frame, coverage: [stored(t0, end)] }, OHLCV_SCHEMA);
    expect(report.rowsWritten).toBe(rows);
    const back = await s.bars.read(DS, OHLCV_SCHEMA, { start: t0, end });
    expect(back.length).toBe(rows);
    expect(firstDifference(back, frame)).toBe(-1);
    expect((await s.bars.datasets())[0]).toMatchObject({ rows, firstTs: t0, lastTs: end - MIN });
    const day = await s.bars.read(DS, OHLCV_SCHEMA, { start: t0 + 500 * MIN, end: t0 + 1_940 * MIN });
    expect(day.length).toBe(1_440);
    expect(day.ts[0]).toBe(t0 + 500 * MIN);
    expect(day.column('close')[0]).toBe(frame.column('close')[500]);
  });
});
