/**
 * What a command may touch of its process: output streams, the environment and the exit code.
 * `processContext()` is the only place the CLI reads `process.*`; tests and `main()` can pass
 * their own context instead. The environment comes from config (the only reader of `process.env`).
 */
import { processEnvironment } from '../config/index.js';

export interface OutputStream {
  write(text: string): boolean;
  readonly isTTY?: boolean;
}

export interface CliContext {
  readonly stdout: OutputStream;
  /** Logs, progress and errors. */
  readonly stderr: OutputStream;
  /** SEAMLESS_* for the config, plus SEAMLESS_API_KEY (--key default) and SEAMLESS_DEBUG. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** SEAMLESS_DEBUG=1: stack traces on failure and debug logs. */
  readonly debug: boolean;
  /** Set by a command that fails without throwing (a failed backfill job, an interrupt). */
  exitCode: number;
  /** Where a confirmation is read (`seamless purge` without --yes); only asked when it is a terminal. */
  readonly stdin?: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  /** Subscribes to SIGINT/SIGTERM; returns the unsubscribe function. */
  onSignal(handler: (signal: NodeJS.Signals) => void): () => void;
}

/**
 * A reader that went away (`seamless fetch … | head`) ends the command quietly with its exit code
 * so far, as SIGPIPE ends a Unix tool, instead of an unhandled EPIPE error and a stack trace.
 */
function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw err;
  });
}

export function processContext(): CliContext {
  const env = processEnvironment();
  exitQuietlyOnClosedPipe(process.stdout);
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env,
    debug: env.SEAMLESS_DEBUG === '1' || env.SEAMLESS_DEBUG === 'true',
    exitCode: 0,
    onSignal(handler) {
      process.on('SIGINT', handler);
      process.on('SIGTERM', handler);
      return () => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      };
    },
  };
}

export function writeLine(stream: OutputStream, line = ''): void {
  stream.write(`${line}\n`);
}
