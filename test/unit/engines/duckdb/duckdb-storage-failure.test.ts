/**
 * The embedded database out of service, on real DuckDB files: a damaged block read through the
 * bar store, a commit whose automatic checkpoint fails (DuckDB's own fault injection, as a full
 * disk fails it), and the write-ahead log check done before opening (whole, torn, absent). The
 * running-gateway side (health, readiness, jobs, restart) is test/scenarios/storage-failures.test.ts.
 */
import { copyFile, open, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OHLCV_SCHEMA, systemClock } from '../../../../src/core/index.js';
import { StorageUnavailableError } from '../../../../src/storage/index.js';
import { barStoreOn, createEmbeddedDatabase, openDatabaseHandle } from '../../../../src/engines/duckdb/internal.js';
import { inspectWal } from '../../../../src/engines/duckdb/internal.js';
import { tempDir } from '../../../helpers/temp-dir.js';
import { ohlcvBars } from '../../../storage-suite/bar-store-suite.js';

const MIN = 60_000;
const DS = { nodeId: 'ohlcv:test:CORRUPT', intervalMs: MIN };

let dir: { path: string; remove: () => Promise<void> };
beforeAll(async () => {
  dir = await tempDir('seamless-storage-failure-');
});
afterAll(async () => {
  await dir.remove();
});

/** The first block of the bars' `close` column, from DuckDB's own storage map. */
async function closeColumnBlock(file: string): Promise<number> {
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  try {
    const conn = await instance.connect();
    const rows = (await conn.runAndReadAll("SELECT min(block_id) FROM pragma_storage_info('bars_ohlcv') WHERE column_name = 'close' AND block_id >= 0")).getRows();
    conn.closeSync();
    return Number(rows[0]?.[0]);
  } finally {
    instance.closeSync();
  }
}

describe('embedded database failures', () => {
  it('answers a read of a damaged block with storage_corrupt (503) and records it, naming the dataset and range', async () => {
    const file = join(dir.path, 'corrupt.duckdb');
    const rows = 200_000;
    const db = await createEmbeddedDatabase({ path: file });
    await db.bars.write({ dataset: DS, frame: ohlcvBars(0, rows), coverage: [{ start: 0, end: rows * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
    await db.close();

    const block = await closeColumnBlock(file);
    const handle = await open(file, 'r+');
    await handle.write(Buffer.alloc(4096, 0xab), 0, 4096, 3 * 4096 + block * 262_144 + 1024);
    await handle.close();

    const reopened = await createEmbeddedDatabase({ path: file });
    try {
      expect(reopened.failure()).toBeUndefined();
      const seen: string[] = [];
      reopened.onFailure((f) => seen.push(f.reason));
      const error = await reopened.bars.read(DS, OHLCV_SCHEMA, { start: 0, end: rows * MIN }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect(error).toMatchObject({ code: 'internal', httpStatus: 503, details: { reason: 'storage_corrupt', operation: 'read' } });
      const failure = reopened.failure();
      expect(failure).toMatchObject({ reason: 'storage_corrupt', sticky: true });
      expect(failure?.message).toMatch(/Corrupt database file/);
      expect(failure?.affected[0]).toBe(`read "ohlcv:test:CORRUPT" @ 60000 ms [1970-01-01T00:00:00.000Z, ${new Date(rows * MIN).toISOString()})`);
      expect(seen).toEqual(['storage_corrupt']);
      // SELECT 1 still answers: the ping says what was recorded.
      await expect(reopened.bars.ping()).rejects.toMatchObject({ details: { reason: 'storage_corrupt' } });
    } finally {
      await reopened.close();
    }
  });

  it('a write whose automatic checkpoint fails was in the write-ahead log before any reader saw it: acknowledged, recorded, replayed at the next open', async () => {
    const file = join(dir.path, 'checkpoint.duckdb');
    const ds = { nodeId: 'ohlcv:test:CHECKPOINT', intervalMs: MIN };
    const rows = 5000;
    const range = { start: 0, end: rows * MIN };
    const handle = await openDatabaseHandle(file, systemClock);
    const bars = barStoreOn(handle);
    const failures: string[] = [];
    handle.onFailure((f) => failures.push(f.reason));
    // DuckDB's fault injection instead of a full disk: the next commit is due a checkpoint (the
    // log holds more than 1 KB), which waits 200 ms with the commit already visible to the other
    // connections, then fails before writing the file's header and invalidates the database.
    await handle.conns.writer.run("SET checkpoint_threshold = '1KB'");
    await handle.conns.writer.run('SET debug_checkpoint_sleep_ms = 200');
    await handle.conns.writer.run("SET debug_checkpoint_abort = 'before_header'");

    // Readers poll the range while the write commits: what they see must survive.
    let seenByReaders = 0;
    let writing = true;
    const reads = (async () => {
      while (writing) {
        const frame = await bars.read(ds, OHLCV_SCHEMA, range).catch(() => undefined);
        if (frame !== undefined) seenByReaders = Math.max(seenByReaders, frame.length);
        await delay(5);
      }
    })();
    const written = await bars.write({ dataset: ds, frame: ohlcvBars(0, rows), coverage: [{ start: range.start, end: range.end, state: 'stored' }] }, OHLCV_SCHEMA)
      .then((report) => report.rowsWritten, (error: unknown) => error);
    writing = false;
    await reads;

    // Committed (durable in the log), so acknowledged; the database is out of service from that write on.
    expect(written).toBe(rows);
    expect(failures).toEqual(['storage_invalidated']);
    expect(handle.failure()).toMatchObject({ reason: 'storage_invalidated', sticky: true });
    expect(handle.failure()?.affected).toContain('write');
    expect(handle.failure()?.message).toMatch(/Checkpoint aborted before header write/);
    await expect(bars.write({ dataset: ds, frame: ohlcvBars(range.end, 10), coverage: [{ start: range.end, end: range.end + 10 * MIN, state: 'stored' }] }, OHLCV_SCHEMA))
      .rejects.toMatchObject({ details: { reason: 'storage_invalidated' } });
    await handle.close();

    const reopened = await createEmbeddedDatabase({ path: file });
    try {
      const frame = await reopened.bars.read(ds, OHLCV_SCHEMA, range);
      expect(frame.length).toBe(rows);
      expect(frame.length).toBeGreaterThanOrEqual(seenByReaders);
      expect(await reopened.bars.coverage(ds, range)).toMatchObject([{ start: range.start, end: range.end, state: 'stored' }]);
    } finally {
      await reopened.close();
    }
  });

  it('finds a whole write-ahead log whole, a torn one torn (with the byte), and no log when there is none', async () => {
    const file = join(dir.path, 'wal.duckdb');
    expect(inspectWal(file)).toBeUndefined();
    const instance = await DuckDBInstance.create(file);
    const conn = await instance.connect();
    await conn.run('CREATE TABLE t(a BIGINT)');
    await conn.run('CHECKPOINT');
    for (let i = 0; i < 10; i++) await conn.run(`INSERT INTO t SELECT range FROM range(${i * 1000}, ${(i + 1) * 1000})`);
    // A copy of the open database: what a killed process leaves behind.
    const copy = join(dir.path, 'killed.duckdb');
    await copyFile(file, copy);
    await copyFile(`${file}.wal`, `${copy}.wal`);
    conn.closeSync();
    instance.closeSync();

    const whole = inspectWal(copy);
    expect(whole).toMatchObject({ tornAt: undefined });
    expect(whole?.entries).toBeGreaterThan(10);
    const { size } = await stat(`${copy}.wal`);
    await truncate(`${copy}.wal`, Math.floor(size * 0.6));
    const torn = inspectWal(copy);
    expect(torn?.tornAt).toBeGreaterThan(0);
    expect(torn?.tornAt).toBeLessThan(Math.floor(size * 0.6));
    expect(torn?.message).toMatch(/is torn at byte \d+ of \d+ .*writes committed after it are lost/);

    // And the open says so: it replays up to the tear (fewer rows than committed).
    const db = await createEmbeddedDatabase({ path: copy });
    try {
      expect(db.wal?.tornAt).toBe(torn?.tornAt);
    } finally {
      await db.close();
    }
  });
});
