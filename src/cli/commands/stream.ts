/**
 * `seamless stream --url URL --node N [--node M] --interval 1m [--start T] [--building] [--format json|csv]`:
 * follows a running gateway's subscription (docs/streaming.md) and prints bars as they arrive, one
 * line per bar (NDJSON objects, or CSV rows with a `node` column; building updates have
 * `final` false). Reconnects with its resume tokens after a dropped connection; Ctrl-C ends it
 * cleanly (exit 0).
 */
import type { Command } from 'commander';
import { InvalidRequestError } from '../../core/index.js';
import type { StreamBars } from '../../gateway/index.js';
import { writeLine } from '../context.js';
import type { CliContext } from '../context.js';

interface StreamOptions {
  readonly url?: string;
  readonly key?: string;
  readonly node: string[];
  readonly interval: string;
  readonly start?: string;
  readonly building?: boolean;
  readonly format: 'json' | 'csv';
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerStream(program: Command, ctx: CliContext): void {
  program.command('stream')
    .description('follow a gateway subscription: bars as they close (replayed from --start first), one line each; Ctrl-C ends it')
    .option('--url <url>', 'the running gateway (required)')
    .option('--key <key>', 'API key for --url (default: $SEAMLESS_API_KEY)')
    .requiredOption('--node <nodeId>', 'dataset node id (repeat for several)', collect)
    .requiredOption('--interval <interval>', 'bar interval, e.g. 1m')
    .option('--start <time>', 'replay from this time (epoch ms or ISO-8601) before live bars')
    .option('--building', 'also print updates of the bar still building (final false)')
    .option('--format <format>', 'json (one object per line) or csv', 'json')
    .action(async (opts: StreamOptions) => {
      if (opts.url === undefined) throw new InvalidRequestError('url', 'is required: seamless stream follows a running gateway (e.g. --url http://127.0.0.1:8080)');
      if (opts.format !== 'json' && opts.format !== 'csv') throw new InvalidRequestError('format', `must be json or csv, got "${String(opts.format)}"`);
      const abort = new AbortController();
      const off = ctx.onSignal(() => abort.abort());
      const key = opts.key ?? ctx.env.SEAMLESS_API_KEY;
      let header = false;
      // Loaded when the command runs, not with the CLI (see openSeamless in options.ts).
      const { subscribe } = await import('../../gateway/index.js');
      try {
        for await (const event of subscribe({
          url: opts.url, nodes: opts.node, interval: opts.interval, signal: abort.signal,
          ...(key !== undefined ? { key } : {}), ...(opts.start !== undefined ? { start: opts.start } : {}), ...(opts.building === true ? { building: true } : {}),
        })) {
          if (event.type !== 'bars') continue;
          if (opts.format === 'csv' && !header) {
            writeLine(ctx.stdout, ['node', 'final', ...Object.keys(event.data)].join(','));
            header = true;
          }
          for (const line of lines(event, opts.format)) writeLine(ctx.stdout, line);
        }
      } finally {
        off();
      }
    });
}

/** One line per bar of a batch (rows exist only here, at the printer). */
function lines(bars: StreamBars, format: 'json' | 'csv'): string[] {
  const names = Object.keys(bars.data);
  const ts = bars.data.ts ?? new Float64Array(0);
  const out: string[] = [];
  for (let i = 0; i < ts.length; i++) {
    if (format === 'csv') {
      let line = `${JSON.stringify(bars.node)},${bars.final}`;
      for (const n of names) line += `,${bars.data[n][i]}`;
      out.push(line);
    } else {
      let line = `{"node":${JSON.stringify(bars.node)},"interval":${JSON.stringify(bars.interval)},"final":${bars.final}`;
      for (const n of names) line += `,${JSON.stringify(n)}:${Number.isFinite(bars.data[n][i]) ? bars.data[n][i] : 'null'}`;
      out.push(`${line}}`);
    }
  }
  return out;
}
