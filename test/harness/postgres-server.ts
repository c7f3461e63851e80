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
 */
import { spawn } from 'node:child_process';
import { chownSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, trackDir, trackPid, untrackDir, untrackPid } from './leftovers.js';

export const POSTGRES_ROOT = '/usr/lib/postgresql';
const SUPERUSER = 'postgres';

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

/** The bin directory of the highest PostgreSQL version installed, or undefined. */
export function findPostgresBinDir(root = POSTGRES_ROOT): string | undefined {
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+(\.\d+)?$/.test(v) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(root, versions[0], 'bin') : undefined;
}

/** True when the server binaries are installed (tests and benches skip otherwise). */
export function postgresAvailable(): boolean {
  return findPostgresBinDir() !== undefined;
}

export interface RunAs {
  readonly uid?: number;
  readonly gid?: number;
}

/** As root: the `postgres` user's ids (initdb and postgres refuse root); otherwise nothing to change. */
export function runAs(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${SUPERUSER}:`));
  if (line === undefined) throw new Error('running as root, but there is no "postgres" user to run the server as (install postgresql)');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Runs `binary args` to completion as `user`; rejects with its output when it fails. */
export function run(binary: string, args: readonly string[], user: RunAs, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, {
      cwd, stdio: ['ignore', 'pipe', 'pipe'], ...user,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C', TZ: 'UTC' },
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => { output += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { output += c.toString('utf8'); });
    child.once('error', (error) => reject(new Error(`cannot run ${binary}: ${error.message}`, { cause: error })));
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${binary} ${args.join(' ')} exited (${code ?? signal}):\n${output}`));
    });
  });
}

export function readPid(dataDir: string): number {
  return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function gone(pid: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/** initdb + pg_ctl start on 127.0.0.1 and a free port; resolves once the server accepts clients. */
export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const foundBinDir = options.binDir ?? findPostgresBinDir();
  if (foundBinDir === undefined) throw new Error(`no PostgreSQL server under ${POSTGRES_ROOT} (install the Debian package postgresql)`);
  const binDir: string = foundBinDir;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const user = runAs();
  const dir = await mkdtemp(join(tmpdir(), 'seamless-pg-'));
  trackDir(dir);
  if (user.uid !== undefined && user.gid !== undefined) chownSync(dir, user.uid, user.gid);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const host = '127.0.0.1';
  const readLog = (): string => { try { return readFileSync(logFile, 'utf8'); } catch { return '(no log yet)'; } };

  let pid = 0;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (pid !== 0 && alive(pid)) {
      await run(join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', '-t', '10', 'stop'], user, dir).catch(() => undefined);
      // pg_ctl failed or timed out: SIGQUIT is PostgreSQL's immediate shutdown, SIGKILL the last word.
      if (alive(pid)) process.kill(pid, 'SIGQUIT');
      if (!(await gone(pid, 5_000))) process.kill(pid, 'SIGKILL');
      await gone(pid, 5_000);
    }
    if (pid !== 0) untrackPid(pid);
    await rm(dir, { recursive: true, force: true });
    untrackDir(dir);
  };

  let port = 0;
  /** `pg_ctl start` on `port` (first start and restarts after a halt); records the postmaster's pid. */
  async function pgCtlStart(): Promise<void> {
    const serverOptions = [
      `-p ${port}`, `-k ${dir}`, `-c listen_addresses=${host}`, '-c fsync=off', '-c synchronous_commit=off',
      '-c full_page_writes=off', '-c max_connections=200', '-c shared_buffers=128MB',
    ].join(' ');
    await run(join(binDir, 'pg_ctl'), ['-D', dataDir, '-l', logFile, '-o', serverOptions, '-w', '-t', String(Math.ceil(startTimeoutMs / 1000)), 'start'], user, dir);
    pid = readPid(dataDir);
    trackPid(pid, 'SIGQUIT');
  }
  try {
    await run(join(binDir, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', SUPERUSER, '-E', 'UTF8', '--locale=C', '--no-sync'], user, dir);
    port = await freePort();
    await pgCtlStart();
  } catch (error) {
    await stop();
    throw new Error(`PostgreSQL did not start: ${error instanceof Error ? error.message : String(error)}\n${readLog()}`, { cause: error });
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

  // pg_ctl -w waited for the server to accept connections; one query proves TCP on loopback works.
  try {
    await query('SELECT 1');
  } catch (error) {
    await stop();
    throw new Error(`PostgreSQL started but refuses connections on ${host}:${port}:\n${readLog()}`, { cause: error });
  }

  const halt = async (): Promise<void> => {
    if (pid === 0 || !alive(pid)) return;
    await run(join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', '-t', '10', 'stop'], user, dir);
    await gone(pid, 5_000);
    untrackPid(pid);
  };
  const start = async (): Promise<void> => {
    if (pid !== 0 && alive(pid)) return;
    await pgCtlStart();
  };

  let databases = 0;
  return {
    host, port, dir, url, query, stop, halt, start, log: readLog,
    get pid() { return pid; },
    async createDatabase(prefix = 'seamless_test') {
      databases += 1;
      const name = `${prefix}_${databases}`;
      await query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      return url(name);
    },
  };
}
