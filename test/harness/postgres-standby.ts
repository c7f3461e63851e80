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
import { chownSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, trackDir, trackPid, untrackDir, untrackPid } from './leftovers.js';
import { alive, findPostgresBinDir, gone, readPid, run, runAs, startPostgresServer } from './postgres-server.js';
import type { PostgresServer } from './postgres-server.js';
import { until } from '../helpers/until.js';

const SUPERUSER = 'postgres';

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
  const foundBinDir = findPostgresBinDir();
  if (foundBinDir === undefined) throw new Error('no PostgreSQL server binaries (install the Debian package postgresql)');
  const binDir: string = foundBinDir;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const user = runAs();
  const dir = await mkdtemp(join(tmpdir(), 'seamless-pg-standby-'));
  trackDir(dir);
  if (user.uid !== undefined && user.gid !== undefined) chownSync(dir, user.uid, user.gid);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const host = '127.0.0.1';
  const readLog = (): string => { try { return readFileSync(logFile, 'utf8'); } catch { return '(no log yet)'; } };
  let pid = 0;
  let port = 0;
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (pid !== 0 && alive(pid)) {
      await run(join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', '-t', '10', 'stop'], user, dir).catch(() => undefined);
      if (alive(pid)) process.kill(pid, 'SIGQUIT');
      if (!(await gone(pid, 5_000))) process.kill(pid, 'SIGKILL');
      await gone(pid, 5_000);
    }
    if (pid !== 0) untrackPid(pid);
    await rm(dir, { recursive: true, force: true });
    untrackDir(dir);
  };

  async function pgCtlStart(): Promise<void> {
    // max_connections must be at least the primary's (200) for a hot standby to start.
    const serverOptions = [
      `-p ${port}`, `-k ${dir}`, `-c listen_addresses=${host}`, '-c hot_standby=on', '-c fsync=off',
      '-c max_connections=200', '-c shared_buffers=32MB', '-c wal_receiver_status_interval=1s',
    ].join(' ');
    await run(join(binDir, 'pg_ctl'), ['-D', dataDir, '-l', logFile, '-o', serverOptions, '-w', '-t', String(Math.ceil(startTimeoutMs / 1000)), 'start'], user, dir);
    pid = readPid(dataDir);
    trackPid(pid, 'SIGQUIT');
  }

  const url = (database = 'postgres'): string => `postgres://${SUPERUSER}@${host}:${port}/${encodeURIComponent(database)}`;
  async function query<R extends Record<string, unknown>>(sql: string, params: readonly unknown[] = [], database = 'postgres'): Promise<R[]> {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      return (await client.query<R>(sql, params as unknown[])).rows;
    } finally {
      await client.end();
    }
  }

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
    await run(join(binDir, 'pg_basebackup'), [
      '-D', dataDir, '-R', '-X', 'stream', '-c', 'fast', '-h', primary.host, '-p', String(primary.port), '-U', SUPERUSER, '--no-sync',
    ], user, dir);
    port = await freePort();
    await pgCtlStart();
    await caughtUp();
  } catch (error) {
    const log = readLog();
    await stop();
    throw new Error(`the PostgreSQL standby did not start: ${error instanceof Error ? error.message : String(error)}\n${log}`, { cause: error });
  }

  return {
    host, dir, url, query, caughtUp, stop, log: readLog,
    get port() { return port; },
    get pid() { return pid; },
    async pauseReplay() { await query('SELECT pg_wal_replay_pause()'); },
    async resumeReplay() { await query('SELECT pg_wal_replay_resume()'); },
    async halt() {
      if (pid === 0 || !alive(pid)) return;
      await run(join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', '-t', '10', 'stop'], user, dir);
      await gone(pid, 5_000);
      untrackPid(pid);
    },
    async start() {
      if (pid !== 0 && alive(pid)) return;
      await pgCtlStart();
    },
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
