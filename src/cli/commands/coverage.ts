/**
 * `seamless coverage`: which ranges of a dataset are stored, known empty or failed.
 */
import type { Command } from 'commander';
import { formatInterval, formatTime, parseInterval, parseTime } from '../../core/index.js';
import type { TimeRange } from '../../core/index.js';
import { writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { addRemoteOptions, gatewayClient, withSeamless } from '../options.js';
import type { CoverageDeps } from '../command-deps.js';
import type { RemoteOptions } from '../options.js';
import { formatTable } from '../output.js';
import type { DerivedFrom } from '../../provider/index.js';

interface CoverageOptions extends RemoteOptions {
  readonly node: string;
  readonly interval: string;
  readonly start?: string;
  readonly end?: string;
  readonly json?: boolean;
}

/** One coverage entry as storage and the gateway report it. */
export interface CoverageEntry {
  readonly start: number;
  readonly end: number;
  readonly state: string;
  readonly reason?: string;
  readonly attempts?: number;
}

/** What the gateway answers (`derivedFrom`: the base interval of a derived interval, else null). */
interface CoverageAnswer {
  readonly ranges: readonly CoverageEntry[];
  readonly derivedFrom?: DerivedFrom | null;
}

export function registerCoverage(program: Command, ctx: CliContext): void {
  const cmd = program.command('coverage')
    .description('show the stored, known-empty and failed ranges of a dataset')
    .requiredOption('--node <id>', 'dataset node id, e.g. ohlcv:demo:BTC-USD')
    .requiredOption('--interval <interval>', 'bar interval, e.g. 1m')
    .option('--start <time>', 'only ranges overlapping [start, end) (epoch ms or ISO-8601)')
    .option('--end <time>', 'see --start')
    .option('--json', 'print {"node","interval","derivedFrom","ranges"} as the gateway does');
  addRemoteOptions(cmd).action(async (opts: CoverageOptions) => {
    const intervalMs = parseInterval(opts.interval, 'interval');
    const range: TimeRange | undefined = opts.start !== undefined || opts.end !== undefined
      ? {
        start: opts.start === undefined ? 0 : parseTime(opts.start, 'start'),
        end: opts.end === undefined ? Number.MAX_SAFE_INTEGER : parseTime(opts.end, 'end'),
      }
      : undefined;
    const { ranges, derivedFrom } = opts.url !== undefined
      ? await gatewayClient(ctx, opts as CoverageOptions & { url: string }).getJson<CoverageAnswer>('/v1/coverage', {
        node: opts.node, interval: opts.interval, start: opts.start, end: opts.end,
      })
      : await withSeamless(ctx, opts, async (seamless: CoverageDeps): Promise<CoverageAnswer> => ({
        ranges: await seamless.coverage(opts.node, intervalMs, range), derivedFrom: seamless.derivedFrom?.(opts.node, intervalMs) ?? null,
      }));
    if (opts.json === true) {
      writeLine(ctx.stdout, JSON.stringify({ node: opts.node, interval: formatInterval(intervalMs), derivedFrom: derivedFrom ?? null, ranges }));
      return;
    }
    // A derived interval is never stored: its coverage is the base bars', in its buckets.
    if (derivedFrom !== undefined && derivedFrom !== null) {
      writeLine(ctx.stdout, `${formatInterval(intervalMs)} is derived from ${derivedFrom.interval} bars: each ${formatInterval(intervalMs)} bar is stored when all its ${derivedFrom.interval} bars are, partial when some are`);
    }
    printCoverage(ctx, opts.node, intervalMs, ranges);
  });
}

function printCoverage(ctx: CliContext, nodeId: string, intervalMs: number, ranges: readonly CoverageEntry[]): void {
  const label = `${nodeId} ${formatInterval(intervalMs)}`;
  if (ranges.length === 0) {
    writeLine(ctx.stdout, `no coverage for ${label}: nothing stored, known empty or failed`);
    return;
  }
  const bars = (r: CoverageEntry): number => Math.round((r.end - r.start) / intervalMs);
  const rows = ranges.map((r) => [
    formatTime(r.start), formatTime(r.end), r.state, String(bars(r)),
    r.reason === undefined ? '' : `${r.reason}${r.attempts !== undefined ? ` (${r.attempts} attempts)` : ''}`,
  ]);
  for (const line of formatTable(['start', 'end', 'state', 'bars', 'reason'], rows, ['left', 'left', 'left', 'right', 'left'])) writeLine(ctx.stdout, line);
  const totals = new Map<string, number>();
  for (const r of ranges) totals.set(r.state, (totals.get(r.state) ?? 0) + bars(r));
  const summary = [...totals].map(([state, n]) => `${n} bars ${state}`).join(', ');
  writeLine(ctx.stdout, `${label}: ${ranges.length} range(s); ${summary}`);
}
