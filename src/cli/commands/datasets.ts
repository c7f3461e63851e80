/**
 * `seamless datasets`: the datasets a gateway (--url, GET /v1/datasets) or the embedded
 * configuration knows — node id, intervals, source, schema subject, SLA policy — as a table, or
 * with --json as the gateway's body `{"datasets":[…]}`.
 */
import type { Command } from 'commander';
import type { DatasetListing } from '../../provider/index.js';
import { writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { addRemoteOptions, gatewayClient, withSeamless } from '../options.js';
import type { DatasetsDeps } from '../command-deps.js';
import type { RemoteOptions } from '../options.js';
import { formatTable } from '../output.js';

interface DatasetsOptions extends RemoteOptions {
  readonly json?: boolean;
}

/** The fields the table prints; a gateway's listing has them (and more). */
type Listed = Pick<DatasetListing, 'nodeId' | 'intervals' | 'source' | 'schemaSubject' | 'slaPolicy'>;

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
    writeLine(ctx.stdout, `${datasets.length} dataset(s)`);
  });
}
