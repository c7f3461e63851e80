/**
 * `seamless backfill`: submits a backfill job and follows it until it settles. Embedded, the
 * job runs in this process (so it stops when the process does: what is stored stays stored);
 * with --url it runs in the gateway and --no-wait may leave it there.
 */
import type { Command } from 'commander';
import { InvalidRequestError, formatTime, isSeamlessError } from '../../core/index.js';
import type { Seamless } from '../../provider/index.js';
import { writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { addRemoteOptions, gatewayClient, openSeamless } from '../options.js';
import type { RemoteOptions } from '../options.js';
import { createProgressReporter, settledShards } from '../progress.js';
import type { JobView, ProgressReporter } from '../progress.js';
import type { GatewayClient } from '../gateway-client.js';

interface BackfillOptions extends RemoteOptions {
  readonly node: string;
  readonly interval: string;
  readonly start: string;
  readonly end: string;
  /** false with --no-wait */
  readonly wait: boolean;
}

/** How often --url mode asks the gateway for the job's progress. */
export const REMOTE_POLL_MS = 500;
/** How many shard errors a failed job lists. */
export const MAX_ERROR_LINES = 10;
/** Exit code after SIGINT/SIGTERM (128 + SIGINT), as shells expect. */
const INTERRUPTED_EXIT = 130;

export function registerBackfill(program: Command, ctx: CliContext): void {
  const cmd = program.command('backfill')
    .description('fetch [start, end) of a dataset from its upstream source into storage, with progress')
    .requiredOption('--node <id>', 'dataset node id, e.g. ohlcv:demo:BTC-USD')
    .requiredOption('--interval <interval>', 'bar interval, e.g. 1m')
    .requiredOption('--start <time>', 'range start (epoch ms or ISO-8601), inclusive')
    .requiredOption('--end <time>', 'range end (epoch ms or ISO-8601), exclusive')
    .option('--no-wait', 'with --url: print the job id and return while the gateway works on it');
  addRemoteOptions(cmd).action(async (opts: BackfillOptions) => {
    if (opts.url !== undefined) await backfillRemote(ctx, opts as BackfillOptions & { url: string });
    else await backfillEmbedded(ctx, opts);
  });
}

async function backfillEmbedded(ctx: CliContext, opts: BackfillOptions): Promise<void> {
  if (!opts.wait) {
    throw new InvalidRequestError('--no-wait', 'needs --url: an embedded backfill runs inside this process and stops when it exits');
  }
  const seamless = await openSeamless(ctx, opts);
  const controller = new AbortController();
  const offSignal = ctx.onSignal(() => controller.abort());
  let unsubscribe: (() => void) | undefined;
  try {
    const submitted = await seamless.backfill({ nodeId: opts.node, interval: opts.interval, start: opts.start, end: opts.end, requestedBy: 'cli' });
    const started = Date.now();
    const progress = reporter(ctx);
    const current = (): JobView => seamless.backfillJob(submitted.id) ?? submitted;
    progress.update(current());
    unsubscribe = seamless.subscribe((event) => {
      if (event.type === 'completed' || event.type === 'failed') progress.update(current());
    });
    const final = await waitOrInterrupt(seamless, submitted.id, controller.signal);
    if (final === undefined) {
      interrupted(ctx, progress, current(), 'stopped; the shards stored so far are kept, run it again to fetch the rest');
      return;
    }
    progress.finish(final);
    report(ctx, final, Date.now() - started);
  } finally {
    unsubscribe?.();
    offSignal();
    await seamless.close();
  }
}

/** The settled job, or undefined when a signal stopped the wait. */
async function waitOrInterrupt(seamless: Seamless, id: string, signal: AbortSignal): Promise<JobView | undefined> {
  try {
    return await seamless.waitBackfill(id, signal);
  } catch (err) {
    if (signal.aborted && isSeamlessError(err)) return undefined;
    throw err;
  }
}

async function backfillRemote(ctx: CliContext, opts: BackfillOptions & { url: string }): Promise<void> {
  const client = gatewayClient(ctx, opts);
  const { job } = await client.postJson<{ job: JobView }>('/v1/backfills', { node: opts.node, interval: opts.interval, start: opts.start, end: opts.end });
  if (!opts.wait) {
    writeLine(ctx.stdout, `backfill ${job.id} submitted to ${client.baseUrl}: ${job.totalShards} shards; follow it with GET ${client.baseUrl}/v1/backfills/${job.id}`);
    return;
  }
  const started = Date.now();
  const progress = reporter(ctx);
  let stop = false;
  const offSignal = ctx.onSignal(() => { stop = true; });
  try {
    let current = job;
    progress.update(current);
    while (current.state === 'running' && !stop) {
      await delay(REMOTE_POLL_MS);
      if (stop) break;
      current = await jobOf(client, job.id);
      progress.update(current);
    }
    if (current.state === 'running') {
      interrupted(ctx, progress, current, `stopped following; the job goes on in the gateway (GET ${client.baseUrl}/v1/backfills/${job.id})`);
      return;
    }
    progress.finish(current);
    report(ctx, current, Date.now() - started);
  } finally {
    offSignal();
  }
}

async function jobOf(client: GatewayClient, id: string): Promise<JobView> {
  return (await client.getJson<{ job: JobView }>(`/v1/backfills/${encodeURIComponent(id)}`)).job;
}

function reporter(ctx: CliContext): ProgressReporter {
  return createProgressReporter(ctx.stderr as NodeJS.WritableStream & typeof ctx.stderr, ctx.stderr.isTTY === true);
}

function interrupted(ctx: CliContext, progress: ProgressReporter, job: JobView, what: string): void {
  progress.finish(job);
  writeLine(ctx.stderr, `seamless: backfill ${job.id} interrupted at ${settledShards(job)}/${job.totalShards} shards: ${what}`);
  ctx.exitCode = INTERRUPTED_EXIT;
}

function report(ctx: CliContext, job: JobView, elapsedMs: number): void {
  const s = job.shards;
  writeLine(ctx.stdout, `backfill ${job.id} ${job.state}: ${s.completed ?? 0} shards completed, ${s.known_empty ?? 0} known empty, ` +
    `${s.failed ?? 0} failed; ${job.rowsWritten} rows written in ${(elapsedMs / 1000).toFixed(1)} s`);
  if (job.state === 'completed') return;
  writeLine(ctx.stderr, `seamless: backfill ${job.id} failed: ${s.failed ?? 0} of ${job.totalShards} shards failed`);
  for (const e of job.errors.slice(0, MAX_ERROR_LINES)) writeLine(ctx.stderr, `  [${formatTime(e.start)}, ${formatTime(e.end)}): ${e.reason}`);
  if (job.errors.length > MAX_ERROR_LINES) writeLine(ctx.stderr, `  … and ${job.errors.length - MAX_ERROR_LINES} more`);
  ctx.exitCode = 1;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => { setTimeout(resolve, ms); });
}
