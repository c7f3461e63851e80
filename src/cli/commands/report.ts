/**
 * `seamless report list|show`: archived conformance reports, embedded (opens the data
 * directory) or through a gateway (--url, GET /v1/reports[/:id]).
 */
import type { Command } from 'commander';
import { NotFoundError, formatInterval, formatTime, parseInterval } from '../../core/index.js';
import type { ConformanceReport } from '../../conformance/index.js';
import { validateNodeId } from '../../provider/index.js';
import { writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { addRemoteOptions, gatewayClient, integerOption, withSeamless } from '../options.js';
import type { ReportDeps } from '../command-deps.js';
import type { RemoteOptions } from '../options.js';
import { formatTable } from '../output.js';

export const DEFAULT_REPORT_LIMIT = 20;
/** The gateway's cap on `limit`. */
export const MAX_REPORT_LIMIT = 1000;
const URI_PREFIX = 'qmtl://';

interface ListOptions extends RemoteOptions {
  readonly node?: string;
  readonly interval?: string;
  readonly limit: number;
}

/** A report as the list prints it (the gateway's summary shape). */
interface ReportSummary {
  readonly id: string | null;
  readonly uri: string | null;
  readonly node: string;
  readonly interval: string;
  readonly createdAt: number;
  readonly flags: Readonly<Record<string, number | undefined>>;
}

function summaryOf(r: ConformanceReport): ReportSummary {
  return { id: r.id, uri: r.uri, node: r.nodeId, interval: formatInterval(r.intervalMs), createdAt: r.createdAt, flags: r.flags };
}

/** `gap=1 duplicate_ts=2`, most frequent first. */
function formatFlags(flags: ReportSummary['flags']): string {
  return Object.entries(flags)
    .filter((e): e is [string, number] => typeof e[1] === 'number' && e[1] > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${k}=${n}`)
    .join(' ');
}

/** A report id, or its `qmtl://observability/seamless/<node>/<id>` URI. */
function idOf(ref: string): string {
  return ref.startsWith(URI_PREFIX) ? ref.slice(ref.lastIndexOf('/') + 1) : ref;
}

export function registerReport(program: Command, ctx: CliContext): void {
  const report = program.command('report').description('archived conformance reports (reads with findings)');

  addRemoteOptions(report.command('list').description('reports, newest first')
    .option('--node <id>', 'only this dataset, e.g. ohlcv:demo:DEFECTS')
    .option('--interval <interval>', 'only this bar interval, e.g. 1m')
    .option('--limit <n>', 'at most this many', integerOption('--limit', 1, MAX_REPORT_LIMIT), DEFAULT_REPORT_LIMIT))
    .action(async (opts: ListOptions) => {
      const reports: readonly ReportSummary[] = opts.url !== undefined
        ? (await gatewayClient(ctx, opts as ListOptions & { url: string }).getJson<{ reports: ReportSummary[] }>('/v1/reports', {
          node: opts.node, interval: opts.interval, limit: String(opts.limit),
        })).reports
        : await withSeamless(ctx, opts, async (seamless: ReportDeps) => (await seamless.reports({
          ...(opts.node !== undefined ? { nodeId: validateNodeId(opts.node, 'node') } : {}),
          ...(opts.interval !== undefined ? { intervalMs: parseInterval(opts.interval, 'interval') } : {}),
          limit: opts.limit,
        })).map(summaryOf));
      if (reports.length === 0) {
        writeLine(ctx.stdout, 'no reports');
        return;
      }
      const rows = reports.map((r) => [formatTime(r.createdAt), r.node, r.interval, formatFlags(r.flags), r.uri ?? r.id ?? '']);
      for (const line of formatTable(['created', 'node', 'interval', 'flags', 'uri'], rows)) writeLine(ctx.stdout, line);
    });

  addRemoteOptions(report.command('show').description('one report as JSON (flags, warnings, completeness, regression digest)')
    .argument('<id>', 'report id or its qmtl:// URI'))
    .action(async (ref: string, opts: RemoteOptions) => {
      const id = idOf(ref);
      const found: unknown = opts.url !== undefined
        ? (await gatewayClient(ctx, opts as RemoteOptions & { url: string }).getJson<{ report: unknown }>(`/v1/reports/${encodeURIComponent(id)}`)).report
        : await withSeamless(ctx, opts, (seamless: ReportDeps) => seamless.report(id));
      if (found === undefined) throw new NotFoundError('report', id);
      writeLine(ctx.stdout, JSON.stringify(found, null, 2));
    });
}
