/**
 * DuckDB connections of one store: a writer connection whose transactions are serialised by a
 * queue (a DuckDB connection holds one transaction at a time) and a reader connection whose
 * queries see committed data only.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { StorageEngineError } from '../errors.js';

export interface DuckDbConnections {
  readonly instance: DuckDBInstance;
  readonly writer: DuckDBConnection;
  readonly reader: DuckDBConnection;
}

export async function openConnections(path: string): Promise<DuckDbConnections> {
  const instance = await DuckDBInstance.create(path);
  const writer = await instance.connect();
  const reader = await instance.connect();
  return { instance, writer, reader };
}

export function closeConnections(c: DuckDbConnections): void {
  c.reader.closeSync();
  c.writer.closeSync();
  c.instance.closeSync();
}

/**
 * Runs `fn` inside BEGIN … COMMIT on `conn`; any error rolls back and is rethrown, so nothing
 * done by `fn` (statements and appender chunks alike: the appender joins the open transaction,
 * see test/unit/storage/duckdb-bar-store.test.ts) is left behind.
 */
export async function inTransaction<T>(conn: DuckDBConnection, fn: () => Promise<T>): Promise<T> {
  await conn.run('BEGIN TRANSACTION');
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    await rollback(conn, err);
    throw err;
  }
  await conn.run('COMMIT');
  return result;
}

async function rollback(conn: DuckDBConnection, original: unknown): Promise<void> {
  try {
    await conn.run('ROLLBACK');
  } catch (rollbackErr) {
    throw new StorageEngineError('duckdb', 'rollback', 'rollback after a failed write failed too', { cause: new AggregateError([original, rollbackErr]) });
  }
}

/** A FIFO mutex: `run` calls execute one at a time in call order. */
export interface SerialQueue {
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Resolves once everything queued so far has settled. */
  drain(): Promise<void>;
}

export function createSerialQueue(): SerialQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(fn: () => Promise<T>): Promise<T> {
      const next = tail.then(fn);
      // The queue only orders work; each caller observes its own result through `next`.
      tail = next.then(noop, noop);
      return next;
    },
    drain(): Promise<void> {
      return tail.then(noop, noop);
    },
  };
}

function noop(): void {}
