/**
 * `seamless worker --coordinator URL`: a backfill worker process, opened by the composition root
 * (app `openWorker`): it pulls shards from a coordinator service (`seamless coordinator serve`),
 * fetches them from the upstream sources of its own configuration, and uploads the rows to the
 * coordinator, which owns storage. This command parses the options and prints: one line per
 * finished shard on stdout (logs go to stderr); SIGINT/SIGTERM stop it (a shard in flight is
 * abandoned and its lease expires).
 */
import type { Command } from 'commander';
import { formatInterval, formatTime } from '../../core/index.js';
import type { RemoteWorkerEvent } from '../../backfill/index.js';
import { writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { integerOption } from '../options.js';

interface WorkerOptions {
  readonly coordinator: string;
  readonly concurrency?: number;
  readonly id?: string;
  readonly leaseMs?: number;
  readonly waitMs: number;
  readonly config?: string;
  readonly key?: string;
}

export const DEFAULT_WORKER_WAIT_MS = 20_000;

export function registerWorker(program: Command, ctx: CliContext): void {
  program.command('worker')
    .description('pull backfill shards from a coordinator service, fetch them from the configured sources and upload the rows')
    .requiredOption('--coordinator <url>', 'the coordinator service, e.g. http://127.0.0.1:8080 (`seamless coordinator serve`)')
    .option('--concurrency <n>', 'shards fetched at once (default: seamless.backfill.concurrency)', integerOption('--concurrency', 1, 256))
    .option('--id <name>', 'this worker\'s name in leases (default: worker-<host>-<random>)')
    .option('--lease-ms <ms>', 'lease time to live asked for each shard (default: seamless.backfill.leaseMs)', integerOption('--lease-ms', 1_000, 3_600_000))
    .option('--wait-ms <ms>', 'how long one request for work waits at the coordinator', integerOption('--wait-ms', 0, 60_000), DEFAULT_WORKER_WAIT_MS)
    .option('--config <file>', 'configuration file with the sources and datasets (default: $SEAMLESS_CONFIG, else the embedded demo defaults)')
    .option('--key <key>', 'API key with the worker scope (default: $SEAMLESS_API_KEY)')
    .action(async (opts: WorkerOptions) => {
      let done = 0;
      // Loaded when the command runs, not with the CLI (see openSeamless in options.ts).
      const { openWorker } = await import('../../app/index.js');
      const worker = await openWorker({
        coordinator: opts.coordinator, waitMs: opts.waitMs, env: ctx.env, debug: ctx.debug,
        ...(opts.config !== undefined ? { config: opts.config } : {}),
        ...(opts.key !== undefined ? { apiKey: opts.key } : {}),
        ...(opts.id !== undefined ? { id: opts.id } : {}),
        ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
        ...(opts.leaseMs !== undefined ? { leaseMs: opts.leaseMs } : {}),
        onEvent: (event) => {
          if (event.type === 'completed') done++;
          const line = progressLine(event);
          if (line !== undefined) writeLine(ctx.stdout, line);
        },
      });
      const { workerId } = worker;
      writeLine(ctx.stdout, `seamless worker ${workerId} pulling shards from ${worker.coordinatorUrl} (concurrency ${worker.concurrency}, lease ${worker.leaseMs} ms)`);
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        const off = ctx.onSignal((s) => {
          off();
          resolve(s);
        });
      });
      worker.logger.info({ signal }, 'stopping');
      await worker.close();
      writeLine(ctx.stdout, `seamless worker ${workerId} stopped after ${done} shard${done === 1 ? '' : 's'}`);
    });
}

function progressLine(event: RemoteWorkerEvent): string | undefined {
  const s = event.shard;
  const shard = `${s.nodeId} ${formatInterval(s.intervalMs)} ${formatTime(s.start)}..${formatTime(s.end)}`;
  switch (event.type) {
    case 'claimed':
      return undefined;
    case 'completed':
      return `${event.worker} ${event.state} ${shard} rows=${event.rowsWritten} token=${event.token} ${event.ms}ms`;
    case 'failed':
      return `${event.worker} failed ${shard} token=${event.token} ${event.retryable ? 'retryable' : 'final'}: ${event.reason}`;
    case 'lost':
      return `${event.worker} lost ${shard} token=${event.token}: ${event.cause.message}`;
    default: {
      const never: never = event;
      return never;
    }
  }
}
