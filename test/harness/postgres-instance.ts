/**
 * One PostgreSQL postmaster run by pg_ctl on loopback: the lifecycle that the throwaway server
 * (postgres-server.ts) and the streaming hot standby (postgres-standby.ts) share. A temp dir
 * (chowned to the `postgres` user when the tests run as root: initdb and postgres refuse root),
 * `pg_ctl start -w` on a free port with the caller's server options, the postmaster's PID
 * registered with leftovers.ts (so a failing test never leaves a server running), an immediate
 * stop that falls back to SIGQUIT then SIGKILL, and one-statement queries as the superuser.
 * How the data directory comes to be (initdb, pg_basebackup) stays with the caller, which runs
 * its command with `instance.run` before `instance.launch()`.
 */
import { spawn } from 'node:child_process';
import { chownSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, trackDir, trackPid, untrackDir, untrackPid } from './leftovers.js';

export const POSTGRES_ROOT = '/usr/lib/postgresql';
export const SUPERUSER = 'postgres';

/** The bin directory of the highest PostgreSQL version installed, or undefined. */
export function findPostgresBinDir(root = POSTGRES_ROOT): string | undefined {
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+(\.\d+)?$/.test(v) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(root, versions[0], 'bin') : undefined;
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

export interface PostgresInstanceOptions {
  /** Directory holding pg_ctl (and initdb, pg_basebackup); default: the highest version installed. */
  readonly binDir?: string;
  /** Prefix of the temp dir's name. */
  readonly dirPrefix: string;
  readonly startTimeoutMs?: number;
  /** `-c` settings (`name=value`) beyond the port, socket dir and listen address. */
  readonly settings: readonly string[];
}

export interface PostgresInstance {
  readonly host: string;
  readonly binDir: string;
  /** The temp dir holding the cluster (`data/`), the socket and the log. */
  readonly dir: string;
  readonly dataDir: string;
  /** 0 until `launch()`. */
  readonly port: number;
  /** The postmaster's pid (a new one after `start()`); 0 until `launch()`. */
  readonly pid: number;
  /** Runs a PostgreSQL binary of `binDir` to completion as the server's user, in `dir`. */
  run(binary: string, args: readonly string[]): Promise<string>;
  /** First start, on a free port (the data directory must exist). */
  launch(): Promise<void>;
  url(database?: string): string;
  query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: readonly unknown[], database?: string): Promise<R[]>;
  /** The server log so far (for assertion messages). */
  log(): string;
  /** Immediate shutdown, data, port and dir kept. */
  halt(): Promise<void>;
  /** Starts a halted server again on the same data and port. */
  start(): Promise<void>;
  /** Stops the server and removes the temp dir; idempotent. */
  stop(): Promise<void>;
}

/** A temp dir for one postmaster, owned by the user the binaries run as; nothing started yet. */
export async function createPostgresInstance(options: PostgresInstanceOptions): Promise<PostgresInstance> {
  const foundBinDir = options.binDir ?? findPostgresBinDir();
  if (foundBinDir === undefined) throw new Error(`no PostgreSQL server under ${POSTGRES_ROOT} (install the Debian package postgresql)`);
  const binDir: string = foundBinDir;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const user = runAs();
  const dir = await mkdtemp(join(tmpdir(), options.dirPrefix));
  trackDir(dir);
  if (user.uid !== undefined && user.gid !== undefined) chownSync(dir, user.uid, user.gid);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const host = '127.0.0.1';
  const log = (): string => { try { return readFileSync(logFile, 'utf8'); } catch { return '(no log yet)'; } };
  const runHere = (binary: string, args: readonly string[]): Promise<string> => run(join(binDir, binary), args, user, dir);
  const pgCtlStop = (): Promise<string> => runHere('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', '-t', '10', 'stop']);

  let pid = 0;
  let port = 0;
  let stopped = false;

  /** `pg_ctl start` on `port` (first start and restarts after a halt); records the postmaster's pid. */
  async function pgCtlStart(): Promise<void> {
    const serverOptions = [`-p ${port}`, `-k ${dir}`, `-c listen_addresses=${host}`, ...options.settings.map((s) => `-c ${s}`)].join(' ');
    await runHere('pg_ctl', ['-D', dataDir, '-l', logFile, '-o', serverOptions, '-w', '-t', String(Math.ceil(startTimeoutMs / 1000)), 'start']);
    pid = readPid(dataDir);
    trackPid(pid, 'SIGQUIT');
  }

  const url = (database = 'postgres'): string => `postgres://${SUPERUSER}@${host}:${port}/${encodeURIComponent(database)}`;

  return {
    host, binDir, dir, dataDir, url, log,
    get port() { return port; },
    get pid() { return pid; },
    run: runHere,
    async launch() {
      port = await freePort();
      await pgCtlStart();
    },
    async query<R extends Record<string, unknown>>(sql: string, params: readonly unknown[] = [], database = 'postgres'): Promise<R[]> {
      const client = new pg.Client({ connectionString: url(database) });
      await client.connect();
      try {
        return (await client.query<R>(sql, params as unknown[])).rows;
      } finally {
        await client.end();
      }
    },
    async halt() {
      if (pid === 0 || !alive(pid)) return;
      await pgCtlStop();
      await gone(pid, 5_000);
      untrackPid(pid);
    },
    async start() {
      if (pid !== 0 && alive(pid)) return;
      await pgCtlStart();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (pid !== 0 && alive(pid)) {
        // pg_ctl failing or timing out is not the end: SIGQUIT is PostgreSQL's immediate shutdown, SIGKILL the last word.
        await pgCtlStop().catch(() => undefined);
        if (alive(pid)) process.kill(pid, 'SIGQUIT');
        if (!(await gone(pid, 5_000))) process.kill(pid, 'SIGKILL');
        await gone(pid, 5_000);
      }
      if (pid !== 0) untrackPid(pid);
      await rm(dir, { recursive: true, force: true });
      untrackDir(dir);
    },
  };
}
