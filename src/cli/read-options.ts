/**
 * The read options `seamless fetch` shares between a one-dataset read (`fetch.ts`) and a universe
 * read (`fetch-universe.ts`): their declaration, their mapping to the provider's request fields,
 * and the printing of an embedded read's answer in the chosen format.
 */
import type { Strategy } from '../provider/index.js';
import { writeLine } from './context.js';
import type { CliContext } from './context.js';
import type { RemoteOptions } from './options.js';

export interface ReadOptions extends RemoteOptions {
  /** One node: a single read; several (or --universe, --nodes-file): a universe read. */
  readonly node: readonly string[];
  readonly universe?: string;
  readonly nodesFile?: string;
  readonly allOrNothing?: boolean;
  readonly interval: string;
  readonly start: string;
  readonly end: string;
  readonly strategy?: Strategy;
  readonly partialOk?: boolean;
  readonly includeBuilding?: boolean;
  /** `--as-of`: the read as known at that time (versioned storage, never a backfill). */
  readonly asOf?: string;
  readonly format: 'table' | 'json' | 'csv';
}

export interface ReadRequestFields {
  readonly interval: string;
  readonly start: string;
  readonly end: string;
  readonly strategy?: Strategy;
  readonly partialOk: boolean;
  readonly includeBuilding: boolean;
  readonly context?: { readonly asOf: string };
  readonly requestedBy: 'cli';
}

/** The range, strategy and flags of a read as the provider's request wants them. */
export function readRequestFields(opts: ReadOptions): ReadRequestFields {
  return {
    interval: opts.interval, start: opts.start, end: opts.end,
    ...(opts.strategy !== undefined ? { strategy: opts.strategy } : {}),
    partialOk: opts.partialOk === true,
    includeBuilding: opts.includeBuilding === true,
    ...(opts.asOf !== undefined ? { context: { asOf: opts.asOf } } : {}),
    requestedBy: 'cli',
  };
}

/** How one kind of answer (a frame, a universe) is encoded for each format. */
export interface ReadPrinters {
  /** The `data` member of the gateway's JSON body. */
  readonly data: () => string;
  readonly csv: () => string;
  readonly table: () => void;
}

/** Prints an embedded read's answer as the gateway's JSON body (`{"data":…,"metadata":…}`), CSV or a table. */
export function printRead(ctx: CliContext, format: ReadOptions['format'], metadata: unknown, printers: ReadPrinters): void {
  switch (format) {
    case 'json':
      writeLine(ctx.stdout, `{"data":${printers.data()},"metadata":${JSON.stringify(metadata)}}`);
      return;
    case 'csv':
      ctx.stdout.write(printers.csv());
      return;
    case 'table':
      printers.table();
      return;
    default: {
      const never: never = format;
      return never;
    }
  }
}
