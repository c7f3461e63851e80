/**
 * `seamless backfill`: submits a backfill job and follows it until it settles. Embedded, the
 * job runs in this process (so it stops when the process does: what is stored stays stored);
 * with --url it runs in the gateway and --no-wait may leave it there.
 */
import type { Command } from 'commander';
import { InvalidRequestError, formatTime, isSeamlessError } from '../../core/index.js';
import { writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { addRemoteOptions, gatewayClient, openSeamless } from '../options.js';
import type { BackfillDeps } from '../command-deps.js';
import type { RemoteOptions } from '../options.js';
import { createProgressReporter, settledShards } from '../progress.js';
import type { JobView, ProgressReporter } from '../progress.js';
import type { EventStreamHandle, GatewayClient } from '../gateway-client.js';
import { backfillEventOf, createBackfillLedger } from '../backfill-ledger.js';
import type { BackfillLedger } from '../backfill-ledger.js';
import type { DerivedBackfill } from '../../provider/index.js';
import { confirmDestructive } from '../confirm.js';
import { purgeLine } from './purge.js';
import type { PurgeView } from './purge.js';

interface BackfillOptions extends RemoteOptions {
  readonly node: string;
  readonly interval: string;
  readonly start: string;
  readonly end: string;
  /** false with --no-wait */
  readonly wait: boolean;
  /** --force: purge the range first (audited) so it is fetched again even where stored or known empty. */
  readonly force?: boolean;
  readonly yes?: boolean;
}

/** How often --url mode asks the gateway for the job's progress. */
export const REMOTE_POLL_MS = 500;
/** How long --url mode waits for the job's job_completed event after the job settled. */
const EVENT_TRAIL_MS = 10_000;
const EVENT_POLL_MS = 25;
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
    .option('--no-wait', 'with --url: print the job id and return while the gateway works on it')
    .option('--force', 're-fetch the range even where it is stored or known empty: purges it first (audited, scope admin with --url)')
    .option('--yes', 'with --force: do not ask for confirmation (required without a terminal)');
  addRemoteOptions(cmd).action(async (opts: BackfillOptions) => {
    if (opts.force === true) await confirmDestructive(ctx, opts.yes, `Force a backfill of ${opts.node} ${opts.interval} [${opts.start}, ${opts.end}): its stored bars are purged, then fetched again.`);
    if (opts.url !== undefined) await backfillRemote(ctx, opts as BackfillOptions & { url: string });
    else await backfillEmbedded(ctx, opts);
  });
}

async function backfillEmbedded(ctx: CliContext, opts: BackfillOptions): Promise<void> {
  if (!opts.wait) {
    throw new InvalidRequestError('--no-wait', 'needs --url: an embedded backfill runs inside this process and stops when it exits');
  }
  const seamless: BackfillDeps = await openSeamless(ctx, opts);
  const controller = new AbortController();
  const offSignal = ctx.onSignal(() => controller.abort());
  const ledger = createBackfillLedger();
  let progress: ProgressReporter | undefined;
  let current: (() => JobView) | undefined;
  // Subscribed before submitting: the job's first shards may complete at once.
  const unsubscribe = seamless.subscribe((event) => {
    ledger.observe(event);
    if ((event.type === 'completed' || event.type === 'failed') && progress && current) progress.update(current());
  });
  try {
    const command = { nodeId: opts.node, interval: opts.interval, start: opts.start, end: opts.end, requestedBy: 'cli' };
    const submitted = opts.force === true ? await forced(ctx, seamless, command) : await seamless.backfill(command);
    announceDerived(ctx, opts.node, submitted.derivedFrom);
    const started = Date.now();
    progress = reporter(ctx);
    const job = (): (JobView & { shardList?: readonly { key: string }[] }) => seamless.backfillJob(submitted.id) ?? submitted;
    current = () => thisRun(job(), ledger);
    progress.update(current());
    const final = await waitOrInterrupt(seamless, submitted.id, controller.signal);
    if (final === undefined) {
      interrupted(ctx, progress, current(), 'stopped; the shards stored so far are kept, run it again to fetch the rest');
      return;
    }
    const settled = thisRun({ ...final, shardList: job().shardList }, ledger);
    progress.finish(settled);
    report(ctx, settled, Date.now() - started, ledger.written(shardKeys(job())).fetched);
  } finally {
    unsubscribe();
    offSignal();
    await seamless.close();
  }
}

/** --force embedded: the purge (printed) then the job. */
async function forced(ctx: CliContext, seamless: BackfillDeps, command: { nodeId: string; interval: string; start: string; end: string; requestedBy: string }): Promise<JobView & { readonly derivedFrom?: DerivedBackfill }> {
  const { purge, job } = await seamless.forceBackfill({ ...command, actor: 'cli' });
  writeLine(ctx.stdout, purgeLine({ ...purge, node: purge.nodeId }));
  return job;
}

/** The settled job, or undefined when a signal stopped the wait. */
async function waitOrInterrupt(seamless: BackfillDeps, id: string, signal: AbortSignal): Promise<JobView | undefined> {
  try {
    return await seamless.waitBackfill(id, signal);
  } catch (err) {
    if (signal.aborted && isSeamlessError(err)) return undefined;
    throw err;
  }
}

/** A derived interval is never stored: say that the job backfills its base bars, over whole buckets. */
function announceDerived(ctx: CliContext, node: string, derived: DerivedBackfill | undefined): void {
  if (derived === undefined) return;
  writeLine(ctx.stdout, `${node} ${derived.forInterval} is derived from ${derived.interval} bars: backfilling the ${derived.interval} bars of [${formatTime(derived.range.start)}, ${formatTime(derived.range.end)})`);
}

async function backfillRemote(ctx: CliContext, opts: BackfillOptions & { url: string }): Promise<void> {
  const client = gatewayClient(ctx, opts);
  // Followed before submitting, to count what this run writes (see backfill-ledger.ts).
  const ledger = createBackfillLedger();
  const stream = opts.wait ? await followEvents(client, ledger) : undefined;
  try {
    const body = { node: opts.node, interval: opts.interval, start: opts.start, end: opts.end };
    const answer = await client.postJson<{ job: JobView & { derivedFrom?: DerivedBackfill }; purge?: PurgeView }>(opts.force === true ? '/v1/backfills/force' : '/v1/backfills', body);
    if (answer.purge !== undefined) writeLine(ctx.stdout, purgeLine(answer.purge));
    const { job } = answer;
    announceDerived(ctx, opts.node, job.derivedFrom);
    if (!opts.wait) {
      writeLine(ctx.stdout, `backfill ${job.id} submitted to ${client.baseUrl}: ${job.totalShards} shards; follow it with GET ${client.baseUrl}/v1/backfills/${job.id}`);
      return;
    }
    await followRemote(ctx, client, job, ledger, stream);
  } finally {
    stream?.handle?.close();
  }
}

interface FollowedStream {
  readonly handle: EventStreamHandle | undefined;
  /** Why the rows of this run cannot be counted, when they cannot. */
  readonly unavailable: string | undefined;
}

/** The gateway's event stream feeding the ledger; a gateway that refuses it leaves the count unknown. */
async function followEvents(client: GatewayClient, ledger: BackfillLedger): Promise<FollowedStream> {
  try {
    const handle = await client.streamEvents('/v1/events', (data) => {
      const event = backfillEventOf(data);
      if (event !== undefined) ledger.observe(event);
    });
    return { handle, unavailable: undefined };
  } catch (err) {
    if (!isSeamlessError(err)) throw err;
    return { handle: undefined, unavailable: `${err.code}: ${err.message}` };
  }
}

async function followRemote(ctx: CliContext, client: GatewayClient, job: JobView, ledger: BackfillLedger, stream: FollowedStream | undefined): Promise<void> {
  const started = Date.now();
  const progress = reporter(ctx);
  const unknown = (): string | undefined => stream?.unavailable ?? describeFailure(stream?.handle?.failure());
  const view = (j: JobView & { shardList?: readonly { key: string }[] }): JobView => (unknown() === undefined ? thisRun(j, ledger) : j);
  let stop = false;
  const offSignal = ctx.onSignal(() => { stop = true; });
  try {
    let current = job;
    progress.update(view(current));
    while (current.state === 'running' && !stop) {
      await delay(REMOTE_POLL_MS);
      if (stop) break;
      current = await jobOf(client, job.id);
      progress.update(view(current));
    }
    if (current.state === 'running') {
      interrupted(ctx, progress, view(current), `stopped following; the job goes on in the gateway (GET ${client.baseUrl}/v1/backfills/${job.id})`);
      return;
    }
    // The stream may trail the polled state: wait for the job's job_completed event, which the
    // gateway sends after every shard event of the job.
    const deadline = Date.now() + EVENT_TRAIL_MS;
    while (stream?.handle !== undefined && unknown() === undefined && !ledger.settled(job.id) && Date.now() < deadline) await delay(EVENT_POLL_MS);
    const final = await jobOf(client, job.id);
    const why = unknown() ?? (ledger.settled(job.id) ? undefined : `no job_completed event within ${EVENT_TRAIL_MS / 1000} s`);
    progress.finish(view(final));
    if (why !== undefined) {
      report(ctx, final, Date.now() - started, true);
      writeLine(ctx.stderr, `seamless: rows written by this run unknown (the gateway's event stream: ${why}); ${final.rowsWritten} is what the job's shards hold in total`);
      return;
    }
    report(ctx, thisRun(final, ledger), Date.now() - started, ledger.written(shardKeys(final)).fetched);
  } finally {
    offSignal();
  }
}

function describeFailure(err: unknown): string | undefined {
  if (err === undefined) return undefined;
  return err instanceof Error ? err.message : String(err);
}

/** The shard keys of a job that lists them (the gateway's GET /v1/backfills/:id, the embedded job). */
function shardKeys(job: JobView & { shardList?: readonly { key: string }[] }): string[] {
  return (job.shardList ?? []).map((s) => s.key);
}

/** The job with `rowsWritten` as written by this run (the ledger), not the shards' totals. */
function thisRun(job: JobView & { shardList?: readonly { key: string }[] }, ledger: BackfillLedger): JobView {
  return { ...job, rowsWritten: ledger.written(shardKeys(job)).rows };
}

async function jobOf(client: GatewayClient, id: string): Promise<JobView & { shardList?: readonly { key: string }[] }> {
  return (await client.getJson<{ job: JobView & { shardList?: readonly { key: string }[] } }>(`/v1/backfills/${encodeURIComponent(id)}`)).job;
}

function reporter(ctx: CliContext): ProgressReporter {
  return createProgressReporter(ctx.stderr as NodeJS.WritableStream & typeof ctx.stderr, ctx.stderr.isTTY === true);
}

function interrupted(ctx: CliContext, progress: ProgressReporter, job: JobView, what: string): void {
  progress.finish(job);
  writeLine(ctx.stderr, `seamless: backfill ${job.id} interrupted at ${settledShards(job)}/${job.totalShards} shards: ${what}`);
  ctx.exitCode = INTERRUPTED_EXIT;
}

/** The summary line; `fetched` is false when no shard of the job did upstream work in this run. */
function report(ctx: CliContext, job: JobView, elapsedMs: number, fetched: boolean): void {
  const s = job.shards;
  const written = job.rowsWritten === 0 && !fetched && job.state === 'completed'
    ? '0 rows written: already stored, nothing to fetch'
    : `${job.rowsWritten} rows written in ${(elapsedMs / 1000).toFixed(1)} s`;
  writeLine(ctx.stdout, `backfill ${job.id} ${job.state}: ${s.completed ?? 0} shards completed, ${s.known_empty ?? 0} known empty, ` +
    `${s.failed ?? 0} failed; ${written}`);
  if (job.state === 'completed') return;
  writeLine(ctx.stderr, `seamless: backfill ${job.id} failed: ${s.failed ?? 0} of ${job.totalShards} shards failed`);
  for (const e of job.errors.slice(0, MAX_ERROR_LINES)) writeLine(ctx.stderr, `  [${formatTime(e.start)}, ${formatTime(e.end)}): ${e.reason}`);
  if (job.errors.length > MAX_ERROR_LINES) writeLine(ctx.stderr, `  … and ${job.errors.length - MAX_ERROR_LINES} more`);
  ctx.exitCode = 1;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => { setTimeout(resolve, ms); });
}
