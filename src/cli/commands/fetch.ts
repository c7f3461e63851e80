/**
 * `seamless fetch`: one read, embedded (opens the data directory) or through a gateway (--url),
 * printed as a table, the gateway's JSON body or CSV.
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import { InvalidRequestError, encodeColumnarJson, encodeCsv } from '../../core/index.js';
import type { Frame } from '../../core/index.js';
import { STRATEGIES } from '../../provider/index.js';
import type { ReadMetadata } from '../../provider/index.js';
import { writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { addRemoteOptions, gatewayClient, integerOption, withSeamless } from '../options.js';
import type { FetchDeps } from '../command-deps.js';
import { printRead, readRequestFields } from '../read-options.js';
import type { ReadOptions } from '../read-options.js';
import { formatBars } from '../output.js';
import type { Columns } from '../output.js';
import { readSummaryLines } from '../read-summary.js';
import { fetchEstimate } from './fetch-estimate.js';
import { fetchUniverseCommand } from './fetch-universe.js';

export const FETCH_FORMATS = ['table', 'json', 'csv'] as const;
export type FetchFormat = (typeof FETCH_FORMATS)[number];
export const DEFAULT_TABLE_LIMIT = 20;

/** One node: a single read; several (or --universe, --nodes-file): a universe read (fetch-universe.ts). */
interface FetchOptions extends ReadOptions {
  readonly align?: string;
  readonly fill?: string;
  readonly asOf?: string;
  readonly format: FetchFormat;
  readonly limit: number;
  readonly estimate?: boolean;
  /** Read a snapshot's immutable copy instead of the live dataset. */
  readonly snapshot?: string;
}

export function registerFetch(program: Command, ctx: CliContext): void {
  const cmd = program.command('fetch')
    .description('read the bars of one dataset over [start, end), or of many (--node repeated, --universe, --nodes-file)')
    .option('--node <id>', 'dataset node id, e.g. ohlcv:demo:BTC-USD; repeat it for a universe read', (value: string, previous: string[]) => [...previous, value], [])
    .option('--universe <name>', 'read the datasets of a configured universe (config key universes)')
    .option('--nodes-file <file>', 'read the datasets listed in a file, one node id a line (# comments)')
    .option('--all-or-nothing', 'universe reads: fail the whole read when one dataset fails')
    .requiredOption('--interval <interval>', 'bar interval, e.g. 1m')
    .requiredOption('--start <time>', 'range start (epoch ms or ISO-8601), inclusive')
    .requiredOption('--end <time>', 'range end (epoch ms or ISO-8601), exclusive')
    .addOption(new Option('--strategy <strategy>', 'how to treat missing data').choices(STRATEGIES))
    .option('--partial-ok', 'accept a partial answer instead of an error')
    .option('--include-building', 'append the still-building bar of a live dataset (not closed: its values will change)')
    .option('--align <zone>', 'open 1d/1w bars derived from a base interval at local midnight of this IANA zone (weeks on Monday)')
    .option('--fill <mode>', 'what a missing bar becomes: none (default), null, prev (forward fill); filled bars are reported')
    .option('--as-of <time>', 'answer with the bars known at this time (epoch ms or ISO-8601): restated bars read as they were, nothing is backfilled')
    .addOption(new Option('--format <format>', 'output format').choices(FETCH_FORMATS).default('table'))
    .option('--limit <n>', 'table rows to show (head and tail)', integerOption('--limit', 2), DEFAULT_TABLE_LIMIT)
    .option('--snapshot <name>', 'read the dataset from snapshot <name> (its immutable copy, the same bytes for ever) instead of live')
    .option('--estimate', 'print what the read would store, backfill, request and answer (bars, shards, requests, bytes per format, time) without moving any data');
  addRemoteOptions(cmd).action(async (opts: FetchOptions) => {
    if (opts.estimate === true) {
      if (opts.node.length !== 1 || opts.universe !== undefined || opts.nodesFile !== undefined) {
        throw new InvalidRequestError('--estimate', 'an estimate prices one dataset: give exactly one --node (no --universe or --nodes-file)');
      }
      return fetchEstimate(ctx, { ...opts, node: opts.node[0] });
    }
    if (opts.node.length !== 1 || opts.universe !== undefined || opts.nodesFile !== undefined) {
      await fetchUniverseCommand(ctx, opts);
      return;
    }
    if (opts.url !== undefined) await fetchRemote(ctx, opts as FetchOptions & { url: string });
    else if (opts.snapshot !== undefined) await fetchSnapshotEmbedded(ctx, opts, opts.snapshot);
    else await fetchEmbedded(ctx, opts);
  });
}

async function fetchEmbedded(ctx: CliContext, opts: FetchOptions): Promise<void> {
  await withSeamless(ctx, opts, async (seamless: FetchDeps) => {
    const { frame, metadata } = await seamless.fetch({
      nodeId: opts.node[0],
      ...readRequestFields(opts),
      ...(opts.align !== undefined ? { align: opts.align } : {}),
      ...(opts.fill !== undefined ? { fill: opts.fill } : {}),
    });
    printRead(ctx, opts.format, metadata, {
      data: () => encodeColumnarJson(frame),
      csv: () => encodeCsv(frame),
      table: () => printTable(ctx, frameColumns(frame), metadata, opts.limit),
    });
  });
}

async function fetchRemote(ctx: CliContext, opts: FetchOptions & { url: string }): Promise<void> {
  const client = gatewayClient(ctx, opts);
  const query = {
    node: opts.node[0], interval: opts.interval, start: opts.start, end: opts.end, strategy: opts.strategy,
    partial_ok: opts.partialOk === true ? 'true' : undefined,
    include_building: opts.includeBuilding === true ? 'true' : undefined,
    align: opts.align,
    fill: opts.fill,
    snapshot: opts.snapshot,
    as_of: opts.asOf,
  };
  if (opts.format === 'csv') {
    ctx.stdout.write(await client.getText('/v1/bars', { ...query, format: 'csv' }));
    return;
  }
  const text = await client.getText('/v1/bars', { ...query, format: 'json' });
  if (opts.format === 'json') {
    writeLine(ctx.stdout, text);
    return;
  }
  const body = JSON.parse(text) as { data: Record<string, number[]>; metadata: ReadMetadata };
  const names = Object.keys(body.data);
  if (opts.snapshot !== undefined) {
    if (body.metadata.rows > 0) for (const line of formatBars({ names, values: names.map((n) => body.data[n]), length: body.metadata.rows }, opts.limit)) writeLine(ctx.stdout, line);
    writeLine(ctx.stdout, `snapshot ${opts.snapshot}: ${body.metadata.rows} rows, ${body.metadata.fingerprint}`);
    return;
  }
  printTable(ctx, { names, values: names.map((n) => body.data[n]), length: body.metadata.rows }, body.metadata, opts.limit);
}

/** `--snapshot` without --url: the snapshot's copy from the data directory. */
async function fetchSnapshotEmbedded(ctx: CliContext, opts: FetchOptions, name: string): Promise<void> {
  await withSeamless(ctx, opts, async (seamless: FetchDeps) => {
    const { frame, metadata } = await seamless.snapshots.read({ name, nodeId: opts.node[0], interval: opts.interval, start: opts.start, end: opts.end });
    switch (opts.format) {
      case 'json':
        writeLine(ctx.stdout, `{"data":${encodeColumnarJson(frame)},"metadata":${JSON.stringify(metadata)}}`);
        return;
      case 'csv':
        ctx.stdout.write(encodeCsv(frame));
        return;
      case 'table':
        if (frame.length > 0) for (const line of formatBars(frameColumns(frame), opts.limit)) writeLine(ctx.stdout, line);
        writeLine(ctx.stdout, `snapshot ${metadata.snapshot}: ${metadata.rows} rows, ${metadata.fingerprint}`);
        return;
      default: {
        const never: never = opts.format;
        return never;
      }
    }
  });
}

function frameColumns(frame: Frame): Columns {
  return {
    names: ['ts', ...frame.schema.columns.map((c) => c.name)],
    values: [frame.ts, ...frame.values],
    length: frame.length,
  };
}

function printTable(ctx: CliContext, cols: Columns, metadata: ReadMetadata, limit: number): void {
  if (cols.length > 0) for (const line of formatBars(cols, limit)) writeLine(ctx.stdout, line);
  for (const line of readSummaryLines(metadata)) writeLine(ctx.stdout, line);
}
