/**
 * A throwaway nats-server with JetStream on a free loopback port, its store in a temp dir, for
 * integration tests. Uses the Debian `nats-server` binary (scripts/system-packages.txt makes
 * `npm run test:all` install it).
 *
 * Every server process is registered in a module-level set that an `exit` / SIGINT / SIGTERM
 * hook kills, so a failing test never leaves nats-server running; `stop()` kills the server and
 * removes the temp dir.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, trackDir } from './leftovers.js';
import { spawnServer } from './server-process.js';

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

/** Starts `nats-server -js` on 127.0.0.1 and a free port; resolves once it accepts clients. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = options.binary ?? NATS_SERVER_BINARY;
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  const storeDir = await mkdtemp(join(tmpdir(), 'seamless-nats-'));
  trackDir(storeDir);
  const port = await freePort();
  const server = spawnServer(binary, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], storeDir);
  const { child, stop } = server;

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`nats-server did not become ready within ${startTimeoutMs} ms:\n${server.output()}`));
      }, startTimeoutMs);
      const onReady = (): void => {
        if (server.output().includes('Server is ready')) {
          finish();
          resolve();
        }
      };
      const onExit = (code: number | null, signal: string | null): void => {
        finish();
        reject(new Error(`nats-server exited (${code ?? signal}) before it was ready:\n${server.output()}`));
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

  return { url: `nats://127.0.0.1:${port}`, port, storeDir, log: server.output, stop };
}
