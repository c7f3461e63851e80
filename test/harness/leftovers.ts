/**
 * What the test harnesses start — child processes, daemons known by PID (a PostgreSQL postmaster
 * started by pg_ctl is not our child) and temporary directories — tracked in one place and
 * removed when the test process exits or is interrupted, whatever the tests did.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';

const children = new Set<ChildProcess>();
const pids = new Map<number, NodeJS.Signals>();
const dirs = new Set<string>();
let hooked = false;

function removeAllSync(): void {
  for (const child of children) {
    try { child.kill('SIGKILL'); } catch { /* already gone: nothing left to stop */ }
  }
  children.clear();
  for (const [pid, signal] of pids) {
    try { process.kill(pid, signal); } catch { /* already gone: nothing left to stop */ }
  }
  pids.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', removeAllSync);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      removeAllSync();
      process.kill(process.pid, signal);
    });
  }
}

/** Kills `child` when the test process ends, unless it exited before. */
export function trackChild(child: ChildProcess): void {
  hookExit();
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.once('error', () => children.delete(child));
}

/**
 * Sends `signal` to `pid` when the test process ends, unless `untrackPid` says it was stopped
 * already (PostgreSQL: SIGQUIT is the immediate shutdown, which also ends its backends).
 */
export function trackPid(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  hookExit();
  pids.set(pid, signal);
}

export function untrackPid(pid: number): void {
  pids.delete(pid);
}

/** Removes `dir` when the test process ends, unless `untrackDir` says it was removed already. */
export function trackDir(dir: string): void {
  hookExit();
  dirs.add(dir);
}

export function untrackDir(dir: string): void {
  dirs.delete(dir);
}

/** A port nothing listens on right now, on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
