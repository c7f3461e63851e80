/**
 * A throwaway PostgreSQL server on a free loopback port, its cluster and socket in a temp dir, for
 * integration tests and benches. Uses the Debian server binaries in /usr/lib/postgresql/<ver>/bin
 * (not on PATH on Debian; the highest version installed wins; scripts/system-packages.txt makes
 * `npm run test:all` install postgresql). `postgresAvailable()` lets callers skip when absent.
 *
 * initdb and postgres refuse to run as root: as root the binaries run as the `postgres` user (the
 * temp dir is chowned to it); otherwise as the current user. `pg_ctl start -w` returns once the
 * server accepts connections; the postmaster PID (from postmaster.pid) is registered with
 * leftovers.ts, so a failing test never leaves a server running. `stop()` stops it (pg_ctl
 * immediate, then the PID) and removes the temp dir. The server is tuned for tests: no fsync.
 * The postmaster's lifecycle (temp dir, pg_ctl, PID, stop) is postgres-instance.ts, shared with
 * the hot standby of postgres-standby.ts; this file adds initdb and `createDatabase`.
 */
import pg from 'pg';
import { createPostgresInstance, findPostgresBinDir, SUPERUSER } from './postgres-instance.js';

export { findPostgresBinDir, POSTGRES_ROOT } from './postgres-instance.js';

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  /** The temp dir holding the cluster (`data/`), the socket and the log. */
  readonly dir: string;
  /** The postmaster's pid (a new one after `start()`). */
  readonly pid: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database>` (trust authentication, no password). */
  url(database?: string): string;
  /** Creates a fresh, empty database and returns its URL. */
  createDatabase(prefix?: string): Promise<string>;
  /** Runs one statement as the superuser on `database` (default `postgres`); returns its rows. */
  query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: readonly unknown[], database?: string): Promise<R[]>;
  /** The server log so far (for assertion messages). */
  log(): string;
  /** Stops the server (immediate shutdown) but keeps its data, port and dir; idempotent. */
  halt(): Promise<void>;
  /** Starts a halted server again on the same data and port; waits until it accepts clients. */
  start(): Promise<void>;
  /** Stops the server and removes the temp dir; idempotent. */
  stop(): Promise<void>;
}

export interface PostgresServerOptions {
  /** Directory holding initdb, pg_ctl and postgres; default: the highest version under /usr/lib/postgresql. */
  readonly binDir?: string;
  readonly startTimeoutMs?: number;
}

/** True when the server binaries are installed (tests and benches skip otherwise). */
export function postgresAvailable(): boolean {
  return findPostgresBinDir() !== undefined;
}

/** initdb + pg_ctl start on 127.0.0.1 and a free port; resolves once the server accepts clients. */
export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const instance = await createPostgresInstance({
    binDir: options.binDir, dirPrefix: 'seamless-pg-', startTimeoutMs: options.startTimeoutMs,
    settings: ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'max_connections=200', 'shared_buffers=128MB'],
  });
  try {
    await instance.run('initdb', ['-D', instance.dataDir, '-A', 'trust', '-U', SUPERUSER, '-E', 'UTF8', '--locale=C', '--no-sync']);
    await instance.launch();
  } catch (error) {
    const log = instance.log();
    await instance.stop();
    throw new Error(`PostgreSQL did not start: ${error instanceof Error ? error.message : String(error)}\n${log}`, { cause: error });
  }

  // pg_ctl -w waited for the server to accept connections; one query proves TCP on loopback works.
  try {
    await instance.query('SELECT 1');
  } catch (error) {
    const log = instance.log();
    await instance.stop();
    throw new Error(`PostgreSQL started but refuses connections on ${instance.host}:${instance.port}:\n${log}`, { cause: error });
  }

  const { host, port, dir, url, query, stop, halt, start, log } = instance;
  let databases = 0;
  return {
    host, port, dir, url, query, stop, halt, start, log,
    get pid() { return instance.pid; },
    async createDatabase(prefix = 'seamless_test') {
      databases += 1;
      const name = `${prefix}_${databases}`;
      await query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      return url(name);
    },
  };
}
