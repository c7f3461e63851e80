/**
 * `seamless datasets`: the datasets a gateway (--url, GET /v1/datasets) or the embedded
 * configuration knows — node id, intervals, source, schema subject, SLA policy — as a table,
 * then their coverage summary per interval (first and last bar, bars stored, known empty,
 * failed, last write, base interval, calendar), or with --json as the gateway's body
 * `{"datasets":[…]}`. `seamless datasets condition` is the per-day condition (datasets-condition.ts).
 */
import type { Command } from 'commander';
import type { DatasetListing } from '../../provider/index.js';
import { writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { addRemoteOptions, gatewayClient, withSeamless } from '../options.js';
import type { DatasetsDeps } from '../command-deps.js';
import type { RemoteOptions } from '../options.js';
import { formatTable } from '../output.js';
import { formatTime } from '../../core/index.js';
import { registerDatasetsCondition } from './datasets-condition.js';

interface DatasetsOptions extends RemoteOptions {
  readonly json?: boolean;
}

/** The fields the table prints; a gateway's listing has them (and more). */
type Listed = Pick<DatasetListing, 'nodeId' | 'intervals' | 'source' | 'schemaSubject' | 'slaPolicy'> & Partial<Pick<DatasetListing, 'coverage'>>;

export function registerDatasets(program: Command, ctx: CliContext): void {
  const cmd = program.command('datasets')
    .description('list the datasets the configuration (or a gateway, with --url) knows: intervals, source, schema subject, SLA policy')
    .option('--json', 'print {"datasets":[…]} as GET /v1/datasets does');
  addRemoteOptions(cmd).action(async (opts: DatasetsOptions) => {
    const datasets: readonly Listed[] = opts.url !== undefined
      ? (await gatewayClient(ctx, opts as DatasetsOptions & { url: string }).getJson<{ datasets: Listed[] }>('/v1/datasets')).datasets
      : await withSeamless(ctx, opts, (seamless: DatasetsDeps) => seamless.datasets());
    if (opts.json === true) {
      writeLine(ctx.stdout, JSON.stringify({ datasets }));
      return;
    }
    const rows = datasets.map((d) => [d.nodeId, d.intervals.join(','), d.source ?? '(import only)', d.schemaSubject, d.slaPolicy ?? '-']);
    for (const line of formatTable(['node', 'intervals', 'source', 'schema subject', 'sla policy'], rows)) writeLine(ctx.stdout, line);
    // A gateway older than the catalog sends no `coverage`: its table is left out, not faked.
    const coverage = datasets.flatMap((d) => (d.coverage ?? []).map((c) => [
      d.nodeId, c.interval, c.firstBar === null ? '-' : formatTime(c.firstBar), c.lastBar === null ? '-' : formatTime(c.lastBar),
      String(c.barsStored), String(c.knownEmptyBars), String(c.failedBars), c.lastWrite === null ? '-' : formatTime(c.lastWrite),
      c.baseInterval ?? '-', c.calendar,
    ]));
    if (coverage.length > 0) {
      writeLine(ctx.stdout, '');
      const headers = ['node', 'interval', 'first bar', 'last bar', 'stored', 'known empty', 'failed', 'last write', 'base', 'calendar'];
      for (const line of formatTable(headers, coverage, ['left', 'left', 'left', 'left', 'right', 'right', 'right'])) writeLine(ctx.stdout, line);
    }
    writeLine(ctx.stdout, `${datasets.length} dataset(s)`);
  });
  registerDatasetsCondition(cmd, ctx);
}
