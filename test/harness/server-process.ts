/**
 * One throwaway server process of a test harness: spawned, its output kept for error messages,
 * tracked by leftovers.ts, and stopped (SIGTERM, then SIGKILL after 5 s) together with its temp
 * directory, once.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { trackChild, untrackDir } from './leftovers.js';

export interface ServerProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far, and spawn errors. */
  output(): string;
  /** Idempotent: ends the process and removes `dir`. */
  stop(): Promise<void>;
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Spawns `binary args` for a server whose state lives in the tracked temp dir `dir`. */
export function spawnServer(binary: string, args: readonly string[], dir: string): ServerProcess {
  const child = spawn(binary, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let output = '';
  const onData = (chunk: Buffer): void => { output += chunk.toString('utf8'); };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  // Spawn or signal failures land in the output (the harness's readiness wait reports them).
  child.on('error', (error) => { output += `\n${error.message}`; });
  let stopped = false;
  return {
    child,
    output: () => output,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited(child);
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
      untrackDir(dir);
    },
  };
}
