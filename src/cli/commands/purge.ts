/**
 * `seamless purge`: removes [start, end) of a dataset — rows, coverage and ingest findings in one
 * fenced transaction, audited — so the next read or backfill fetches it again. Asks for
 * confirmation on a terminal unless --yes (and needs --yes without one). Embedded, it purges the
 * data directory (the coordinator's leases with it); with --url, the gateway does (DELETE /v1/bars,
 * scope admin).
 */
import type { Command } from 'commander';
import { formatInterval, formatTime, parseInterval } from '../../core/index.js';
import { writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { addRemoteOptions, gatewayClient, withSeamless } from '../options.js';
import type { RemoteOptions } from '../options.js';
import type { PurgeDeps } from '../command-deps.js';
import { confirmDestructive } from '../confirm.js';

interface PurgeOptions extends RemoteOptions {
  readonly node: string;
  readonly interval: string;
  readonly start: string;
  readonly end: string;
  readonly yes?: boolean;
  readonly json?: boolean;
}

/** A purge as the gateway answers it (and the embedded command prints it). */
export interface PurgeView {
  readonly node: string;
  readonly intervalMs: number;
  readonly start: number;
  readonly end: number;
  readonly rowsRemoved: number;
  readonly findingsRetired: number;
  readonly audit: { readonly id: number; readonly actor: string; readonly coverageRemoved: Readonly<Record<string, number>> };
}

export function registerPurge(program: Command, ctx: CliContext): void {
  const cmd = program.command('purge')
    .description('delete [start, end) of a dataset (rows, coverage, findings; audited) so it is fetched again')
    .requiredOption('--node <id>', 'dataset node id, e.g. ohlcv:demo:BTC-USD')
    .requiredOption('--interval <interval>', 'bar interval, e.g. 1m')
    .requiredOption('--start <time>', 'range start (epoch ms or ISO-8601), inclusive, on the interval grid')
    .requiredOption('--end <time>', 'range end (epoch ms or ISO-8601), exclusive, on the interval grid')
    .option('--yes', 'do not ask for confirmation (required without a terminal)')
    .option('--json', 'print the purge as the gateway answers it');
  addRemoteOptions(cmd).action(async (opts: PurgeOptions) => {
    const intervalMs = parseInterval(opts.interval, 'interval');
    await confirmDestructive(ctx, opts.yes, `Purge ${opts.node} ${formatInterval(intervalMs)} [${opts.start}, ${opts.end}): its bars, coverage and findings are deleted.`);
    const view: PurgeView = opts.url !== undefined
      ? (await gatewayClient(ctx, opts as PurgeOptions & { url: string }).deleteJson<{ purge: PurgeView }>('/v1/bars', {
        node: opts.node, interval: opts.interval, start: opts.start, end: opts.end,
      })).purge
      : await withSeamless(ctx, opts, async (seamless: PurgeDeps) => {
        const o = await seamless.purge({ nodeId: opts.node, interval: opts.interval, start: opts.start, end: opts.end, actor: 'cli' });
        return { node: o.nodeId, intervalMs: o.intervalMs, start: o.start, end: o.end, rowsRemoved: o.rowsRemoved, findingsRetired: o.findingsRetired, audit: o.audit };
      });
    if (opts.json === true) {
      writeLine(ctx.stdout, JSON.stringify(view));
      return;
    }
    writeLine(ctx.stdout, purgeLine(view));
  });
}

/** `purged <node> <interval> [start, end): N rows removed, …` */
export function purgeLine(v: PurgeView): string {
  const c = v.audit.coverageRemoved;
  return `purged ${v.node} ${formatInterval(v.intervalMs)} [${formatTime(v.start)}, ${formatTime(v.end)}): ${v.rowsRemoved} rows removed, ` +
    `${v.findingsRetired} findings retired; coverage removed: ${c.stored ?? 0} stored, ${c.known_empty ?? 0} known empty, ${c.failed ?? 0} failed bars ` +
    `(audit #${v.audit.id} by ${v.audit.actor})`;
}
