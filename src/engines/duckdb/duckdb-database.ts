/**
 * One open DuckDB database shared by every embedded store (bars, schema registry, report
 * archive, ingest findings). DuckDB lets one process open a file once, so the file is opened
 * here once: one writer connection whose transactions the single write queue serialises, one
 * shared reader connection and a pool of exclusive ones (bar reads) that see committed data
 * only, one closed flag and one close.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Clock } from '../../core/index.js';
import { StorageEngineError, StorageUnavailableError } from '../../storage/index.js';
import type { StorageFailure, WalFinding } from '../../storage/index.js';
import { closeConnections, createSerialQueue, inTransaction, openConnections } from './connection.js';
import type { DuckDbConnections, SerialQueue, WriteLane } from './connection.js';
import { translateDuckDbError } from './duckdb-errors.js';
import { migrate } from './duckdb-migrations.js';
import { inspectWal } from './wal-inspection.js';

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
  /**
   * The transaction of `transact` without queueing, for a caller already running on the write
   * queue (the bar store keeps its caches in step inside the same turn): `fn` inside one
   * transaction on the writer, errors translated and a failure that puts the database out of
   * service recorded. A COMMIT made durable before its automatic checkpoint failed returns `fn`'s
   * result (the write is committed) and records the failure (the database is invalidated).
   */
  writeTransaction<T>(operation: string, fn: (writer: DuckDBConnection) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` on the reader connection (committed data only); errors are translated. `subject`
   * (e.g. the dataset and range read) is named in a failure it causes.
   */
  query<T>(operation: string, fn: (reader: DuckDBConnection) => Promise<T>, subject?: string): Promise<T>;
  /**
   * `query` on a reader connection no one else uses until `fn` settles (from a pool), so `fn` may
   * bind the connection's prepared statements and stream a result.
   */
  exclusiveQuery<T>(operation: string, fn: (reader: DuckDBConnection) => Promise<T>, subject?: string): Promise<T>;
  /** The failure that put the database out of service, if any (see StorageFailure). */
  failure(): StorageFailure | undefined;
  /** Called once per new failure; returns the unsubscribe function. */
  onFailure(listener: (failure: StorageFailure) => void): () => void;
  /** What the open found in a write-ahead log left by an unclean stop. */
  readonly wal: WalFinding | undefined;
  /** Idempotent: queued writes settle, then the connections and the instance close. */
  close(): Promise<void>;
}

/** Opens (creating when absent) the database file and applies every pending migration. */
export async function openDatabaseHandle(path: string, clock: Clock): Promise<DatabaseHandle> {
  let conns: DuckDbConnections | undefined;
  let wal: WalFinding | undefined;
  try {
    // Before DuckDB replays (and then removes) it: a torn tail is dropped without a word.
    wal = inspectWal(path);
    conns = await openConnections(path);
    await migrate(conns.writer);
  } catch (err) {
    if (conns !== undefined) closeConnections(conns);
    const translated = translateDuckDbError(err, 'open');
    // DuckDB refusing the log it replays: say which log and what the check found in it.
    if (wal !== undefined) throw new StorageEngineError('duckdb', 'open', `${err instanceof Error ? err.message : String(err)} (${wal.message})`, { cause: translated });
    throw translated;
  }
  return new DuckDbDatabaseHandle(conns, clock, wal);
}

/** How many distinct failing operations a failure keeps (health names where it struck). */
const MAX_AFFECTED = 10;

class DuckDbDatabaseHandle implements DatabaseHandle {
  readonly conns: DuckDbConnections;
  readonly writes: SerialQueue = createSerialQueue();
  readonly clock: Clock;
  readonly wal: WalFinding | undefined;
  #closed = false;
  #failure: StorageFailure | undefined = undefined;
  readonly #listeners = new Set<(failure: StorageFailure) => void>();
  /** Reads running on the reader connection now. */
  readonly #reads = new Set<Promise<unknown>>();

  constructor(conns: DuckDbConnections, clock: Clock, wal: WalFinding | undefined) {
    this.conns = conns;
    this.clock = clock;
    this.wal = wal;
  }

  failure(): StorageFailure | undefined {
    return this.#failure;
  }

  onFailure(listener: (failure: StorageFailure) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Records a failure that puts the database out of service; a sticky one is never replaced by a
   * lesser one. A repeat of the held reason only adds where it struck (bounded).
   */
  #note(error: unknown, subject: string | undefined): void {
    if (!(error instanceof StorageUnavailableError)) return;
    const where = subject === undefined ? error.operation : `${error.operation} ${subject}`;
    const held = this.#failure;
    if (held !== undefined && (held.sticky || held.reason === error.reason)) {
      if (held.reason === error.reason && held.affected.length < MAX_AFFECTED && !held.affected.includes(where)) {
        this.#failure = { ...held, affected: [...held.affected, where] };
      }
      return;
    }
    const sticky = error.reason === 'storage_invalidated' || error.reason === 'storage_corrupt';
    const failure: StorageFailure = {
      reason: error.reason, message: `${error.operation}: ${error.engineMessage}${subject === undefined ? '' : ` (reading ${subject})`}`,
      since: this.clock.now(), sticky, affected: [where],
    };
    this.#failure = failure;
    for (const listener of [...this.#listeners]) listener(failure);
  }

  assertOpen(operation: string): void {
    if (this.#closed) throw new StorageEngineError('duckdb', operation, 'the store is closed');
  }

  async transact<T>(operation: string, fn: (writer: DuckDBConnection) => Promise<T>, lane: WriteLane = 'normal'): Promise<T> {
    this.assertOpen(operation);
    // Closed while this write waited in the queue: writeTransaction checks again.
    return await this.writes.run(() => this.writeTransaction(operation, fn), lane);
  }

  async writeTransaction<T>(operation: string, fn: (writer: DuckDBConnection) => Promise<T>): Promise<T> {
    this.assertOpen(operation);
    const writer = this.conns.writer;
    let result: T;
    try {
      result = await inTransaction(writer, () => fn(writer), (durable) => this.#note(translateDuckDbError(durable, operation), undefined));
    } catch (err) {
      // A statement that fails on a broken database fails its ROLLBACK too: the first error says why.
      const first = err instanceof StorageEngineError && err.operation === 'rollback' && err.cause instanceof AggregateError ? translateDuckDbError(err.cause.errors[0], operation) : undefined;
      const translated = first instanceof StorageUnavailableError ? first : translateDuckDbError(err, operation);
      this.#note(translated, undefined);
      throw translated;
    }
    // A write committed: the file system takes writes again (space freed, writable again).
    if (this.#failure !== undefined && !this.#failure.sticky) this.#failure = undefined;
    return result;
  }

  async query<T>(operation: string, fn: (reader: DuckDBConnection) => Promise<T>, subject?: string): Promise<T> {
    this.assertOpen(operation);
    return await this.#tracked(operation, fn(this.conns.reader), subject);
  }

  async exclusiveQuery<T>(operation: string, fn: (reader: DuckDBConnection) => Promise<T>, subject?: string): Promise<T> {
    this.assertOpen(operation);
    const readers = this.conns.readers;
    const held = (async () => {
      const conn = await readers.acquire();
      try {
        return await fn(conn);
      } finally {
        readers.release(conn);
      }
    })();
    return await this.#tracked(operation, held, subject);
  }

  /** Awaits `read` (which close waits for), translating its error. */
  async #tracked<T>(operation: string, read: Promise<T>, subject: string | undefined): Promise<T> {
    this.#reads.add(read);
    try {
      return await read;
    } catch (err) {
      const translated = translateDuckDbError(err, operation);
      this.#note(translated, subject);
      throw translated;
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
