/**
 * One open DuckDB database shared by every embedded store (bars, schema registry, report
 * archive, ingest findings). DuckDB lets one process open a file once, so the file is opened
 * here once: one writer connection whose transactions the single write queue serialises, one
 * reader connection that sees committed data only, one closed flag and one close.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Clock } from '../../core/index.js';
import { StorageEngineError } from '../errors.js';
import { closeConnections, createSerialQueue, inTransaction, openConnections } from './connection.js';
import type { DuckDbConnections, SerialQueue, WriteLane } from './connection.js';
import { translateDuckDbError } from './duckdb-errors.js';
import { migrate } from './migrations.js';

export interface DatabaseHandle {
  readonly conns: DuckDbConnections;
  /** THE write queue of the database: every store's writes go through it, in call order. */
  readonly writes: SerialQueue;
  readonly clock: Clock;
  /** Throws StorageEngineError (`internal`) once the database is closed. */
  assertOpen(operation: string): void;
  /**
   * Runs `fn` on the write queue inside one transaction on the writer; errors are translated.
   * `background` (bulk bookkeeping nobody waits for) waits until no `normal` write is queued.
   */
  transact<T>(operation: string, fn: (writer: DuckDBConnection) => Promise<T>, lane?: WriteLane): Promise<T>;
  /** Runs `fn` on the reader connection (committed data only); errors are translated. */
  query<T>(operation: string, fn: (reader: DuckDBConnection) => Promise<T>): Promise<T>;
  /** Idempotent: queued writes settle, then the connections and the instance close. */
  close(): Promise<void>;
}

/** Opens (creating when absent) the database file and applies every pending migration. */
export async function openDatabaseHandle(path: string, clock: Clock): Promise<DatabaseHandle> {
  let conns: DuckDbConnections | undefined;
  try {
    conns = await openConnections(path);
    await migrate(conns.writer);
  } catch (err) {
    if (conns !== undefined) closeConnections(conns);
    throw translateDuckDbError(err, 'open');
  }
  return new DuckDbDatabaseHandle(conns, clock);
}

class DuckDbDatabaseHandle implements DatabaseHandle {
  readonly conns: DuckDbConnections;
  readonly writes: SerialQueue = createSerialQueue();
  readonly clock: Clock;
  #closed = false;
  /** Reads running on the reader connection now. */
  readonly #reads = new Set<Promise<unknown>>();

  constructor(conns: DuckDbConnections, clock: Clock) {
    this.conns = conns;
    this.clock = clock;
  }

  assertOpen(operation: string): void {
    if (this.#closed) throw new StorageEngineError('duckdb', operation, 'the store is closed');
  }

  async transact<T>(operation: string, fn: (writer: DuckDBConnection) => Promise<T>, lane: WriteLane = 'normal'): Promise<T> {
    this.assertOpen(operation);
    return await this.writes.run(async () => {
      // Closed while this write waited in the queue.
      this.assertOpen(operation);
      const writer = this.conns.writer;
      try {
        return await inTransaction(writer, () => fn(writer));
      } catch (err) {
        throw translateDuckDbError(err, operation);
      }
    }, lane);
  }

  async query<T>(operation: string, fn: (reader: DuckDBConnection) => Promise<T>): Promise<T> {
    this.assertOpen(operation);
    const read = fn(this.conns.reader);
    this.#reads.add(read);
    try {
      return await read;
    } catch (err) {
      throw translateDuckDbError(err, operation);
    } finally {
      this.#reads.delete(read);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Writes already queued and reads already running finish (or fail) before the connections
    // go away: closing a connection under a running query crashes the process (SIGSEGV).
    await this.writes.drain();
    await Promise.allSettled([...this.#reads]);
    try {
      closeConnections(this.conns);
    } catch (err) {
      throw translateDuckDbError(err, 'close');
    }
  }
}
