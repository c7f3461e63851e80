/**
 * A throwaway nats-server with JetStream on a free loopback port, its store in a temp dir, for
 * integration tests. Uses the Debian `nats-server` binary (scripts/system-packages.txt makes
 * `npm run test:all` install it).
 *
 * Every server process is registered in a module-level set that an `exit` / SIGINT / SIGTERM
 * hook kills, so a failing test never leaves nats-server running; `stop()` kills the server and
 * removes the temp dir.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, trackChild, trackDir, untrackDir } from './leftovers.js';

export const NATS_SERVER_BINARY = 'nats-server';

export interface NatsServer {
  /** e.g. nats://127.0.0.1:4222 */
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** Everything the server logged so far (for assertion messages). */
  log(): string;
  /** Kills the server (SIGTERM, then SIGKILL after 5 s) and removes the temp dir; idempotent. */
  stop(): Promise<void>;
}

export interface NatsServerOptions {
  readonly binary?: string;
  readonly startTimeoutMs?: number;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts `nats-server -js` on 127.0.0.1 and a free port; resolves once it accepts clients. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = options.binary ?? NATS_SERVER_BINARY;
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  const storeDir = await mkdtemp(join(tmpdir(), 'seamless-nats-'));
  trackDir(storeDir);
  const port = await freePort();
  const child = spawn(binary, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let output = '';
  const onData = (chunk: Buffer): void => { output += chunk.toString('utf8'); };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  // Spawn or signal failures land in the log (start() below reports the first one).
  child.on('error', (error) => { output += `\n${error.message}`; });

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited(child);
      clearTimeout(timer);
    }
    await rm(storeDir, { recursive: true, force: true });
    untrackDir(storeDir);
  };

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`nats-server did not become ready within ${startTimeoutMs} ms:\n${output}`));
      }, startTimeoutMs);
      const onReady = (): void => {
        if (output.includes('Server is ready')) {
          finish();
          resolve();
        }
      };
      const onExit = (code: number | null, signal: string | null): void => {
        finish();
        reject(new Error(`nats-server exited (${code ?? signal}) before it was ready:\n${output}`));
      };
      const onError = (error: Error): void => {
        finish();
        reject(new Error(`cannot start ${binary}: ${error.message} (install the Debian package nats-server)`, { cause: error }));
      };
      function finish(): void {
        clearTimeout(timer);
        child.stderr?.off('data', onReady);
        child.stdout?.off('data', onReady);
        child.off('exit', onExit);
        child.off('error', onError);
      }
      child.stderr?.on('data', onReady);
      child.stdout?.on('data', onReady);
      child.once('exit', onExit);
      child.once('error', onError);
    });
  } catch (error) {
    await stop();
    throw error;
  }

  return { url: `nats://127.0.0.1:${port}`, port, storeDir, log: () => output, stop };
}
