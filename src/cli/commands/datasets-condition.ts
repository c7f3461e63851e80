/**
 * `seamless datasets condition`: the per-day condition of one dataset (GET
 * /v1/datasets/condition) — available, degraded, pending or missing per UTC day, with the
 * reason and when the day's coverage last changed — as a table, or with --json as the
 * gateway's body.
 */
import type { Command } from 'commander';
import { formatTime, parseInterval, parseTime } from '../../core/index.js';
import type { DatasetConditionAnswer } from '../../provider/index.js';
import { writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { addRemoteOptions, gatewayClient, withSeamless } from '../options.js';
import type { RemoteOptions } from '../options.js';
import { formatTable } from '../output.js';

interface ConditionOptions extends RemoteOptions {
  readonly node: string;
  readonly interval: string;
  readonly start: string;
  readonly end: string;
  readonly json?: boolean;
}

type ConditionBody = DatasetConditionAnswer & { readonly nodeId: string; readonly interval: string };

export function registerDatasetsCondition(datasets: Command, ctx: CliContext): void {
  const cmd = datasets.command('condition')
    .description('the condition of a dataset per UTC day: available, degraded, pending or missing, with the reason and the last change')
    .requiredOption('--node <id>', 'dataset node id, e.g. ohlcv:demo:BTC-USD')
    .requiredOption('--interval <interval>', 'bar interval, e.g. 1m')
    .requiredOption('--start <time>', 'first day (epoch ms or ISO-8601; rounded down to a UTC day)')
    .requiredOption('--end <time>', 'end of the range, exclusive (rounded up to a UTC day; at most 3660 days after start)')
    .option('--json', 'print the body of GET /v1/datasets/condition');
  addRemoteOptions(cmd).action(async (opts: ConditionOptions) => {
    // Checked here too, so a bad value is named before any instance opens.
    const intervalMs = parseInterval(opts.interval, 'interval');
    const start = parseTime(opts.start, 'start');
    const end = parseTime(opts.end, 'end');
    const body: ConditionBody = opts.url !== undefined
      ? await gatewayClient(ctx, opts as ConditionOptions & { url: string }).getJson<ConditionBody>('/v1/datasets/condition', {
        node: opts.node, interval: opts.interval, start: opts.start, end: opts.end,
      })
      : await withSeamless(ctx, opts, (seamless) => seamless.condition(opts.node, intervalMs, start, end));
    if (opts.json === true) {
      writeLine(ctx.stdout, JSON.stringify(body));
      return;
    }
    const rows = body.days.map((d) => [d.date, d.condition, d.lastChange === null ? '-' : formatTime(d.lastChange), d.reason]);
    for (const line of formatTable(['day', 'condition', 'last change', 'reason'], rows)) writeLine(ctx.stdout, line);
    const s = body.summary;
    writeLine(ctx.stdout, `${body.nodeId} ${body.interval}: ${body.days.length} day(s); ${s.available} available, ${s.degraded} degraded, ${s.pending} pending, ${s.missing} missing`);
  });
}
