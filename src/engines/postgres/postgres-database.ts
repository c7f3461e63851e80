/**
 * The open PostgreSQL database: a pg connection pool, the run of one operation on one pooled
 * connection (autocommit or inside BEGIN … COMMIT), transparent retries when the connection is
 * lost, one closed flag and one close.
 *
 * Retries: an operation whose connection is lost (the server restarted, a backend was terminated,
 * the socket reset) runs again, whole, on a fresh connection, up to MAX_ATTEMPTS times, after
 * pauses of 25, 100 and 400 ms (core's `retry`, policy `postgresConnectionLoss`). That is
 * exact because nothing had committed: reads are repeatable and a transaction that lost its
 * connection before COMMIT was sent is rolled back by the server. A loss while COMMIT was in
 * flight leaves the outcome unknown, so it is not retried here: the caller gets a retryable
 * StorageEngineError saying so. Any other error is translated and thrown at once.
 */
import pg from 'pg';
import type { PoolClient } from 'pg';
import { RETRY_POLICIES, retry } from '../../core/index.js';
import type { Clock } from '../../core/index.js';
import { StorageEngineError } from '../../storage/index.js';
import { ENGINE, commitInDoubt, connectionLost, isConnectionLoss, openError, redactUrl, translatePgError } from './postgres-errors.js';
import { migrate } from './postgres-migrations.js';

/** Attempts of one operation when its connection is lost (the first run included). */
export const MAX_ATTEMPTS = RETRY_POLICIES.postgresConnectionLoss.maxAttempts;

/**
 * Work on one pooled connection. It calls `broken()` when it leaves the connection in an unknown
 * state (say, a COPY it stopped reading): the connection is then destroyed, not pooled again.
 */
export type PgWork<T> = (client: PoolClient, broken: () => void) => Promise<T>;

export interface PgDatabaseOptions {
  readonly url: string;
  readonly poolMax: number;
  readonly connectTimeoutMs: number;
  readonly clock: Clock;
  /**
   * A hot standby (storage.readUrl): read-only, so no migration and no connection at open (a
   * standby that is down must not stop the gateway), and no retries: the read router
   * (postgres-read-routing.ts) answers a failed standby read from the primary instead.
   */
  readonly standby?: boolean;
}

export interface PgDatabase {
  readonly clock: Clock;
  /** The URL without its password. */
  readonly where: string;
  /** Throws StorageEngineError (`internal`) once the database is closed. */
  assertOpen(operation: string): void;
  /** Runs `fn` on one pooled connection, autocommit; retried on connection loss; errors translated. */
  query<T>(operation: string, fn: PgWork<T>): Promise<T>;
  /** Runs `fn` inside BEGIN … COMMIT on one pooled connection; retried on connection loss before COMMIT. */
  transact<T>(operation: string, fn: PgWork<T>): Promise<T>;
  /** Idempotent: operations in flight settle, then the pool closes. */
  close(): Promise<void>;
}

/**
 * Connects once, brings the schema up to date and returns the database. Unreachable server,
 * missing database, bad credentials or a schema newer than this code: StorageEngineError naming
 * the URL (without password).
 */
export async function openPgDatabase(options: PgDatabaseOptions): Promise<PgDatabase> {
  const where = redactUrl(options.url);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'seamless',
  });
  const db = new PgDatabaseImpl(pool, where, options.clock, options.standby === true);
  if (options.standby === true) return db;
  try {
    const client = await pool.connect();
    let broken = false;
    try {
      await migrate(client, where);
    } catch (err) {
      broken = isConnectionLoss(err);
      throw err;
    } finally {
      client.release(broken);
    }
  } catch (err) {
    await db.close();
    throw openError(err, options.url);
  }
  return db;
}

class PgDatabaseImpl implements PgDatabase {
  readonly clock: Clock;
  readonly where: string;
  readonly #pool: pg.Pool;
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #standby: boolean;
  #closing: Promise<void> | undefined;

  constructor(pool: pg.Pool, where: string, clock: Clock, standby: boolean) {
    this.#pool = pool;
    this.#standby = standby;
    this.where = where;
    this.clock = clock;
    // An idle pooled connection that the server closes (restart, pg_terminate_backend) emits
    // 'error' here; the pool has already discarded it and the next checkout opens a fresh one.
    // Without a listener Node would crash the process on that event.
    pool.on('error', () => undefined);
  }

  assertOpen(operation: string): void {
    if (this.#closing !== undefined) throw new StorageEngineError(ENGINE, operation, 'the store is closed');
  }

  query<T>(operation: string, fn: PgWork<T>): Promise<T> {
    this.assertOpen(operation);
    return this.#track(this.#withRetry(operation, fn, false));
  }

  transact<T>(operation: string, fn: PgWork<T>): Promise<T> {
    this.assertOpen(operation);
    return this.#track(this.#withRetry(operation, fn, true));
  }

  close(): Promise<void> {
    if (this.#closing === undefined) this.#closing = this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await Promise.allSettled([...this.#inflight]);
    try {
      await this.#pool.end();
    } catch (err) {
      throw translatePgError(err, 'close');
    }
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#inflight.add(work);
    const done = (): void => { this.#inflight.delete(work); };
    work.then(done, done);
    return work;
  }

  #withRetry<T>(operation: string, fn: PgWork<T>, transactional: boolean): Promise<T> {
    if (this.#standby) return this.#onceTranslated(operation, fn, transactional);
    // The pauses let the pool drop dead idle connections meanwhile.
    return retry(() => this.#once(operation, fn, transactional), {
      policy: RETRY_POLICIES.postgresConnectionLoss,
      // Closing stops retries; the pool would refuse new connections anyway.
      retryOn: (err) => isConnectionLoss(err) && this.#closing === undefined,
      giveUp: (err, attempt) => (isConnectionLoss(err) && attempt >= MAX_ATTEMPTS ? connectionLost(err, operation, this.where, attempt) : translatePgError(err, operation)),
    });
  }

  /** A standby's operation: one attempt, its error translated (the router falls back to the primary). */
  async #onceTranslated<T>(operation: string, fn: PgWork<T>, transactional: boolean): Promise<T> {
    try {
      return await this.#once(operation, fn, transactional);
    } catch (err) {
      throw isConnectionLoss(err) ? connectionLost(err, operation, this.where, 1) : translatePgError(err, operation);
    }
  }

  /** One attempt on one pooled connection; a lost connection is destroyed, not returned to the pool. */
  async #once<T>(operation: string, fn: PgWork<T>, transactional: boolean): Promise<T> {
    const client = await this.#pool.connect();
    let lost = false;
    // A checked-out connection that fails between statements emits 'error' on the client (the
    // pool only listens while it is idle); the next statement then fails and says why.
    const markBroken = (): void => { lost = true; };
    client.on('error', markBroken);
    try {
      if (!transactional) return await fn(client, markBroken);
      return await this.#transaction(operation, client, fn, markBroken);
    } catch (err) {
      if (isConnectionLoss(err)) lost = true;
      throw err;
    } finally {
      client.off('error', markBroken);
      client.release(lost);
    }
  }

  /** BEGIN, `fn`, COMMIT; `broken()` marks the connection for destruction when its state is unknown. */
  async #transaction<T>(operation: string, client: PoolClient, fn: PgWork<T>, broken: () => void): Promise<T> {
    await client.query('BEGIN');
    let result: T;
    try {
      result = await fn(client, broken);
    } catch (err) {
      // A lost connection rolls back on the server; otherwise roll back here.
      if (!isConnectionLoss(err)) await rollback(client, err, operation, broken);
      throw err;
    }
    try {
      await client.query('COMMIT');
    } catch (err) {
      if (!isConnectionLoss(err)) throw err;
      broken();
      throw commitInDoubt(err, operation);
    }
    return result;
  }
}

async function rollback(client: PoolClient, original: unknown, operation: string, broken: () => void): Promise<void> {
  try {
    await client.query('ROLLBACK');
  } catch (rollbackErr) {
    broken();
    throw new StorageEngineError(ENGINE, operation, 'rollback after a failed write failed too', { cause: new AggregateError([original, rollbackErr]) });
  }
}
