/**
 * DuckDB connections of one store: a writer connection whose transactions are serialised by a
 * queue (a DuckDB connection holds one transaction at a time), a shared reader connection whose
 * queries see committed data only, and a pool of exclusive readers for bar reads (one per read in
 * flight: the read binds its connection's prepared statement and streams the result, which a
 * query of another caller on the same connection would cut short).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { StorageEngineError } from '../../storage/index.js';
import { isDurableCommitFailure } from './duckdb-errors.js';

export interface DuckDbConnections {
  readonly instance: DuckDBInstance;
  readonly writer: DuckDBConnection;
  readonly reader: DuckDBConnection;
  readonly readers: ReaderPool;
}

/**
 * At most this many exclusive readers are open (DuckDB runs a query on its own threads, two cores
 * here: more connections add no parallelism); a read that finds them all held waits for the next
 * one released. Opening and closing a connection per read beyond a small idle cap cost more than
 * the read itself under 16 concurrent clients (connect, prepare, close in the CPU profile).
 */
export const MAX_READERS = 8;

/** Reader connections each held by one caller at a time. */
export interface ReaderPool {
  /** An idle connection, a new one while fewer than the maximum are open, else the next one released. */
  acquire(): Promise<DuckDBConnection>;
  /** Gives `conn` back once its caller is done with it (its results read or abandoned). */
  release(conn: DuckDBConnection): void;
  /** Closes the idle connections; callers must have released theirs. */
  closeIdle(): void;
}

export function createReaderPool(instance: DuckDBInstance, max: number = MAX_READERS): ReaderPool {
  const idle: DuckDBConnection[] = [];
  const waiting: ((conn: DuckDBConnection) => void)[] = [];
  let open = 0;
  return {
    async acquire() {
      const pooled = idle.pop();
      if (pooled !== undefined) return pooled;
      if (open < max) {
        open++;
        try {
          return await instance.connect();
        } catch (err) {
          open--;
          throw err;
        }
      }
      return await new Promise<DuckDBConnection>((resolve) => { waiting.push(resolve); });
    },
    release(conn) {
      const next = waiting.shift();
      if (next !== undefined) next(conn);
      else idle.push(conn);
    },
    closeIdle() {
      for (const conn of idle.splice(0)) {
        conn.closeSync();
        open--;
      }
    },
  };
}

/**
 * Instance options. `auto_checkpoint_skip_wal_threshold` above any transaction: a commit is written
 * to the write-ahead log before any connection can see it. With DuckDB's default (100,000), a
 * commit large enough that triggers an automatic checkpoint skips the log: its rows become
 * visible to the other connections, then the checkpoint writes them into the file, and if that
 * fails (a full disk) COMMIT fails, the database is invalidated, and the rows are gone at the next
 * open, although readers had seen them (a bar served, a shard's completion read back from the
 * lease store: the intermittent loss in test/scenarios/storage-failures.test.ts). Written to the log
 * first, a commit whose checkpoint fails is durable and replayed at the next open
 * (`isDurableCommitFailure`). Cost: one transaction per automatic checkpoint written twice.
 */
const INSTANCE_OPTIONS: Readonly<Record<string, string>> = { auto_checkpoint_skip_wal_threshold: '18446744073709551615' };

export async function openConnections(path: string): Promise<DuckDbConnections> {
  const instance = await DuckDBInstance.create(path, INSTANCE_OPTIONS);
  const writer = await instance.connect();
  const reader = await instance.connect();
  return { instance, writer, reader, readers: createReaderPool(instance) };
}

export function closeConnections(c: DuckDbConnections): void {
  c.readers.closeIdle();
  c.reader.closeSync();
  c.writer.closeSync();
  c.instance.closeSync();
}

/**
 * Runs `fn` inside BEGIN … COMMIT on `conn`; any error rolls back and is rethrown, so nothing
 * done by `fn` (statements and appender chunks alike: the appender joins the open transaction,
 * see test/unit/engines/duckdb/duckdb-bar-store.test.ts) is left behind.
 *
 * A COMMIT that failed after the transaction was made durable (its automatic checkpoint failed:
 * `isDurableCommitFailure`) is a commit: `fn`'s result is returned and the error handed to
 * `onDurableCommitFailure` (the database is invalidated; the handle records it). Without that
 * callback it is thrown like any failed COMMIT.
 */
export async function inTransaction<T>(conn: DuckDBConnection, fn: () => Promise<T>, onDurableCommitFailure?: (err: unknown) => void): Promise<T> {
  await conn.run('BEGIN TRANSACTION');
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    await rollback(conn, err);
    throw err;
  }
  try {
    await conn.run('COMMIT');
  } catch (err) {
    if (onDurableCommitFailure === undefined || !isDurableCommitFailure(err)) throw err;
    onDurableCommitFailure(err);
  }
  return result;
}

async function rollback(conn: DuckDBConnection, original: unknown): Promise<void> {
  try {
    await conn.run('ROLLBACK');
  } catch (rollbackErr) {
    throw new StorageEngineError('duckdb', 'rollback', 'rollback after a failed write failed too', { cause: new AggregateError([original, rollbackErr]) });
  }
}

/**
 * Which lane a write waits in. `background` is bulk bookkeeping nobody waits for (registering the
 * shards of background backfill jobs): it runs only when no `normal` write is waiting, so a
 * read's writes (its job's shards, its claims, its bars) never queue behind a burst of it.
 */
export type WriteLane = 'normal' | 'background';

/**
 * A mutex with two FIFO lanes: `run` calls execute one at a time, `normal` ones in call order
 * before any waiting `background` one, `background` ones in call order.
 */
export interface SerialQueue {
  run<T>(fn: () => Promise<T>, lane?: WriteLane): Promise<T>;
  /** Resolves once the queue is idle (everything queued so far, and what they queued, settled). */
  drain(): Promise<void>;
}

export function createSerialQueue(): SerialQueue {
  const lanes: Record<WriteLane, (() => Promise<void>)[]> = { normal: [], background: [] };
  const idle: (() => void)[] = [];
  let running = false;

  function next(): void {
    const task = lanes.normal.shift() ?? lanes.background.shift();
    if (task === undefined) {
      running = false;
      for (const resolve of idle.splice(0)) resolve();
      return;
    }
    running = true;
    // A task never rejects (run settles the caller's promise), so the chain cannot break.
    void task().then(next);
  }

  return {
    run<T>(fn: () => Promise<T>, lane: WriteLane = 'normal'): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        lanes[lane].push(async () => {
          try {
            resolve(await fn());
          } catch (error) {
            reject(error);
          }
        });
        if (running) return;
        // Like the chain it replaces, the first task starts on a later microtask, not inside run().
        running = true;
        queueMicrotask(next);
      });
    },
    drain(): Promise<void> {
      if (!running) return Promise.resolve();
      return new Promise<void>((resolve) => { idle.push(resolve); });
    },
  };
}

