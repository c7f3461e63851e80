/**
 * `seamless import <file>`: a CSV or Parquet file of bars into one dataset, all or nothing.
 * A bad file fails with its first problem and the next ones listed (see output.ts).
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import { FRAME_SCHEMAS, formatInterval, formatTime, parseInterval } from '../../core/index.js';
import { writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { addStoreOptions, withSeamless } from '../options.js';
import type { ImportDeps } from '../command-deps.js';
import type { StoreOptions } from '../options.js';

interface ImportOptions extends StoreOptions {
  readonly node: string;
  readonly interval: string;
  readonly format?: 'csv' | 'parquet';
  readonly schema?: string;
}

export function registerImport(program: Command, ctx: CliContext): void {
  const cmd = program.command('import')
    .description('import a CSV or Parquet file of bars into a dataset (all rows or none)')
    .argument('<file>', 'the file to import')
    .requiredOption('--node <id>', 'dataset node id, e.g. ohlcv:file:BTC-USD')
    .requiredOption('--interval <interval>', 'bar interval of the file, e.g. 1m')
    .addOption(new Option('--format <format>', 'file format (default: by extension)').choices(['csv', 'parquet']))
    .addOption(new Option('--schema <schema>', 'frame schema (default: the dataset\'s, else ohlcv)').choices(Object.keys(FRAME_SCHEMAS)));
  addStoreOptions(cmd).action(async (file: string, opts: ImportOptions) => {
    const intervalMs = parseInterval(opts.interval, 'interval');
    const report = await withSeamless(ctx, opts, (seamless: ImportDeps) => seamless.import({
      path: file, nodeId: opts.node, interval: intervalMs,
      ...(opts.format !== undefined ? { format: opts.format } : {}),
      ...(opts.schema !== undefined ? { schema: opts.schema } : {}),
    }));
    writeLine(ctx.stdout, `imported ${report.rows} rows from ${report.file} (${report.format}, ${report.bytes} bytes) into ${opts.node} ${formatInterval(intervalMs)}`);
    writeLine(ctx.stdout, `first ${formatTime(report.firstTs)}  last ${formatTime(report.lastTs)}`);
    for (const c of report.coverage) writeLine(ctx.stdout, `coverage ${c.state} [${formatTime(c.start)}, ${formatTime(c.end)})`);
  });
}
