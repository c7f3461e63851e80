/**
 * Options shared by the commands (--config, --data-dir, --url, --key) and opening an embedded
 * Seamless from them. Opening is also the one place that recognises a data directory locked by
 * another process (see DataDirLockedError).
 */
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { isSeamlessError } from '../core/index.js';
import type { Seamless } from '../app/index.js';
import type { CliContext } from './context.js';
import { DataDirLockedError } from './errors.js';
import { createGatewayClient } from './gateway-client.js';
import type { GatewayClient } from './gateway-client.js';

export interface StoreOptions {
  readonly config?: string;
  readonly dataDir?: string;
}

export interface RemoteOptions extends StoreOptions {
  readonly url?: string;
  readonly key?: string;
}

export function addStoreOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'configuration file (default: $SEAMLESS_CONFIG, else the embedded demo defaults)')
    .option('--data-dir <dir>', 'data directory (default: $SEAMLESS_DATA_DIR, else the config\'s dataDir, ./.seamless)');
}

export function addRemoteOptions(cmd: Command): Command {
  return addStoreOptions(cmd)
    .option('--url <url>', 'talk to a running gateway over HTTP instead of opening the data directory')
    .option('--key <key>', 'API key for --url (default: $SEAMLESS_API_KEY)');
}

/** Parses a non-negative integer option value. */
export function integerOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

export interface OpenOptions {
  /** Extra config overrides (e.g. server host/port). */
  readonly overrides?: Record<string, unknown>;
  /** Log at the configured level (serve) instead of errors only (one-shot commands). */
  readonly configuredLogLevel?: boolean;
}

/** Opens an embedded Seamless on the data directory. */
export async function openSeamless(ctx: CliContext, opts: StoreOptions, open: OpenOptions = {}): Promise<Seamless> {
  const overrides: Record<string, unknown> = { ...open.overrides };
  if (opts.dataDir !== undefined) overrides.dataDir = opts.dataDir;
  // Loaded here, not at start: a command that only prints or talks to a gateway (--url) never
  // loads the storage engines, the servers or the telemetry (about 0.6 s of CPU at every start).
  const [{ createSeamless }, { createLogger }] = await Promise.all([import('../app/index.js'), import('../observability/index.js')]);
  // One-shot commands report through their output; their logs stay quiet unless debugging.
  const logger = open.configuredLogLevel ? undefined : createLogger({ level: ctx.debug ? 'debug' : 'error' });
  try {
    return await createSeamless({
      ...(opts.config !== undefined ? { config: opts.config } : {}),
      overrides,
      env: ctx.env,
      ...(logger ? { logger } : {}),
    });
  } catch (err) {
    throw lockedOr(err);
  }
}

/** Runs `fn` with an embedded Seamless and closes it afterwards, whatever happens. */
export async function withSeamless<T>(ctx: CliContext, opts: StoreOptions, fn: (seamless: Seamless) => Promise<T>): Promise<T> {
  const seamless = await openSeamless(ctx, opts);
  try {
    return await fn(seamless);
  } finally {
    await seamless.close();
  }
}

export function gatewayClient(ctx: CliContext, opts: RemoteOptions & { url: string }): GatewayClient {
  return createGatewayClient(opts.url, opts.key ?? ctx.env.SEAMLESS_API_KEY);
}

const LOCK_MESSAGE = /Could not set lock on file "([^"]+)"(?:.*?PID (\d+))?/;

/**
 * The storage adapter reports a held lock as a retryable `duckdb open` error carrying DuckDB's
 * text; this is the one place the CLI reads that text, to say what to do instead.
 */
function lockedOr(err: unknown): unknown {
  if (!isSeamlessError(err) || err.details.operation !== 'open') return err;
  const m = LOCK_MESSAGE.exec(err.message);
  return m ? new DataDirLockedError(m[1], m[2], { cause: err }) : err;
}
