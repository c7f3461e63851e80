/**
 * `seamless worker --coordinator URL`: a backfill worker process. It pulls shards from a
 * coordinator service (`seamless coordinator serve`), fetches them from the upstream sources of
 * its own configuration, and uploads the rows to the coordinator, which owns storage: the worker
 * never opens a data directory. One line per finished shard on stdout (logs go to stderr);
 * SIGINT/SIGTERM stop it (a shard in flight is abandoned and its lease expires).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { OHLCV_SCHEMA, formatInterval, formatTime, frameSchemaByName, parseInterval, systemClock } from '../../core/index.js';
import { createCoordinatorClient, startRemoteWorker } from '../../backfill/index.js';
import type { BackfillTarget, RemoteWorkerEvent } from '../../backfill/index.js';
import { loadConfig } from '../../config/index.js';
import type { SeamlessConfig } from '../../config/index.js';
import type { UpstreamBudgets } from '../../sources/index.js';
import { LOGGER_NAMES, createLogger, createTracing } from '../../observability/index.js';
import { composeSources, composeUpstreamBudgets } from '../../app/index.js';
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
      const { config } = loadConfig({ ...(opts.config !== undefined ? { file: opts.config } : {}), env: ctx.env });
      const bf = config.seamless.backfill;
      const apiKey = opts.key ?? ctx.env.SEAMLESS_API_KEY;
      const client = createCoordinatorClient(opts.coordinator, apiKey);
      // Exchange requests spend the cluster's budgets, granted by the coordinator's permits API.
      const upstreams = composeUpstreamBudgets({ ...bf, endpoint: opts.coordinator }, apiKey !== undefined ? { apiKey } : {});
      const resolveTarget = await targetResolver(config, upstreams);
      const workerId = opts.id ?? `worker-${hostname()}-${randomUUID().slice(0, 8)}`;
      const concurrency = opts.concurrency ?? bf.concurrency;
      const leaseMs = opts.leaseMs ?? bf.leaseMs;
      const logger = createLogger({ level: ctx.debug ? 'debug' : config.logging.level }).child({ name: LOGGER_NAMES.backfill });
      // Shards of traced reads continue the read's trace (the coordinator hands out its traceparent).
      const tracing = createTracing({
        serviceName: config.tracing.serviceName, exportDelayMs: config.tracing.exportDelayMs,
        ...(config.tracing.endpoint ? { endpoint: config.tracing.endpoint } : {}),
      });
      let done = 0;
      const worker = startRemoteWorker({
        client, workerId, concurrency, resolveTarget, leaseMs, tracing,
        heartbeatMs: Math.min(bf.heartbeatMs, Math.floor(leaseMs / 3)), waitMs: opts.waitMs, clock: systemClock, logger,
        onEvent: (event) => {
          if (event.type === 'completed') done++;
          const line = progressLine(event);
          if (line !== undefined) writeLine(ctx.stdout, line);
        },
      });
      writeLine(ctx.stdout, `seamless worker ${workerId} pulling shards from ${client.baseUrl} (concurrency ${concurrency}, lease ${leaseMs} ms)`);
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        const off = ctx.onSignal((s) => {
          off();
          resolve(s);
        });
      });
      logger.info({ signal }, 'stopping');
      await worker.stop();
      await upstreams.close();
      await tracing.shutdown();
      writeLine(ctx.stdout, `seamless worker ${workerId} stopped after ${done} shard${done === 1 ? '' : 's'}`);
      logger.flush();
    });
}

/** Sources and schemas of the configured datasets, by (nodeId, interval): what this worker can fetch. */
async function targetResolver(config: SeamlessConfig, upstreams: UpstreamBudgets): Promise<(nodeId: string, intervalMs: number) => BackfillTarget | undefined> {
  const sources = await composeSources(config.sources, { upstreams });
  const targets = new Map<string, BackfillTarget>();
  for (const d of config.datasets) {
    const source = d.source === undefined ? undefined : sources.get(d.source);
    if (source === undefined) continue;
    const schema = frameSchemaByName(d.schema) ?? OHLCV_SCHEMA;
    for (const iv of d.intervals) {
      const intervalMs = parseInterval(iv);
      targets.set(JSON.stringify([d.nodeId, intervalMs]), { dataset: { nodeId: d.nodeId, intervalMs }, schema, source });
    }
  }
  return (nodeId, intervalMs) => targets.get(JSON.stringify([nodeId, intervalMs]));
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
