/**
 * A PostgreSQL primary and a streaming hot standby on loopback, for the read-replica tests
 * (docs/operations/deployment.md#read-replicas). The primary is test/harness/postgres-server.ts
 * (initdb's pg_hba.conf trusts replication connections from 127.0.0.1; wal_level `replica` and
 * max_wal_senders 10 are PostgreSQL 15's defaults). The standby is `pg_basebackup -R -X stream`
 * of it into a temp dir of its own, started with hot_standby=on on another free port, its socket
 * in that dir. `startPostgresStandby` resolves once the standby accepts read-only clients and has
 * replayed everything the primary had written by then.
 *
 * Faults: `pauseReplay()` (pg_wal_replay_pause: WAL still arrives, nothing is applied), `halt()`
 * (immediate stop, data kept; `start()` brings it back and it catches up). `stop()` stops the
 * standby and removes its dir; `startPostgresPair().stop()` stops both.
 */
import pg from 'pg';
import { createPostgresInstance, SUPERUSER } from './postgres-instance.js';
import { startPostgresServer } from './postgres-server.js';
import type { PostgresServer } from './postgres-server.js';
import { until } from '../helpers/until.js';

export interface PostgresStandby {
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number;
  /** `postgres://postgres@127.0.0.1:<standby port>/<database>`: the same databases as the primary, read-only. */
  url(database?: string): string;
  /** Runs one (read-only) statement on the standby. */
  query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: readonly unknown[], database?: string): Promise<R[]>;
  /** Waits until the standby has replayed everything the primary has written so far. */
  caughtUp(timeoutMs?: number): Promise<void>;
  /** pg_wal_replay_pause(): WAL keeps arriving, none is applied until `resumeReplay()`. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  log(): string;
  /** Immediate stop, data kept. */
  halt(): Promise<void>;
  /** Starts a halted standby again on the same data and port. */
  start(): Promise<void>;
  /** Stops the standby and removes its dir; idempotent. */
  stop(): Promise<void>;
}

export interface PostgresPair {
  readonly primary: PostgresServer;
  readonly standby: PostgresStandby;
  /** Stops both and removes their dirs. */
  stop(): Promise<void>;
}

/** A primary (postgres-server.ts) and its streaming standby. */
export async function startPostgresPair(): Promise<PostgresPair> {
  const primary = await startPostgresServer();
  let standby: PostgresStandby;
  try {
    standby = await startPostgresStandby(primary);
  } catch (error) {
    await primary.stop();
    throw error;
  }
  return {
    primary, standby,
    async stop() {
      await standby.stop();
      await primary.stop();
    },
  };
}

/** pg_basebackup of `primary` into a temp dir, started as a hot standby streaming from it. */
export async function startPostgresStandby(primary: PostgresServer, options: { readonly startTimeoutMs?: number } = {}): Promise<PostgresStandby> {
  // max_connections must be at least the primary's (200) for a hot standby to start.
  const instance = await createPostgresInstance({
    dirPrefix: 'seamless-pg-standby-', startTimeoutMs: options.startTimeoutMs,
    settings: ['hot_standby=on', 'fsync=off', 'max_connections=200', 'shared_buffers=32MB', 'wal_receiver_status_interval=1s'],
  });
  const { query } = instance;

  const caughtUp = async (timeoutMs = 20_000): Promise<void> => {
    // The primary commits asynchronously (synchronous_commit=off): one synchronous commit flushes
    // every earlier commit's WAL, and the flush position is then past all of them.
    const lsn = await flushedLsn(primary);
    await until(async () => {
      const [{ behind }] = await query<{ behind: boolean }>('SELECT coalesce(pg_last_wal_replay_lsn() < $1::pg_lsn, true) AS behind', [lsn]);
      return !behind;
    }, `the standby to replay the primary's WAL up to ${lsn}`, timeoutMs);
  };

  try {
    await instance.run('pg_basebackup', [
      '-D', instance.dataDir, '-R', '-X', 'stream', '-c', 'fast', '-h', primary.host, '-p', String(primary.port), '-U', SUPERUSER, '--no-sync',
    ]);
    await instance.launch();
    await caughtUp();
  } catch (error) {
    const log = instance.log();
    await instance.stop();
    throw new Error(`the PostgreSQL standby did not start: ${error instanceof Error ? error.message : String(error)}\n${log}`, { cause: error });
  }

  const { host, dir, url, stop, halt, start, log } = instance;
  return {
    host, dir, url, query, caughtUp, stop, halt, start, log,
    get port() { return instance.port; },
    get pid() { return instance.pid; },
    async pauseReplay() { await query('SELECT pg_wal_replay_pause()'); },
    async resumeReplay() { await query('SELECT pg_wal_replay_resume()'); },
  };
}

/** Commits one transaction synchronously on `primary` (flushing all WAL before it) and returns the flush position. */
async function flushedLsn(primary: PostgresServer): Promise<string> {
  const client = new pg.Client({ connectionString: primary.url() });
  await client.connect();
  try {
    await client.query('SET synchronous_commit = on');
    await client.query('BEGIN');
    await client.query('SELECT txid_current()');
    await client.query('COMMIT');
    const { rows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_flush_lsn()::text AS lsn');
    return rows[0].lsn;
  } finally {
    await client.end();
  }
}
