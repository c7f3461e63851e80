/**
 * The read options `seamless fetch` shares between a one-dataset read (`fetch.ts`) and a universe
 * read (`fetch-universe.ts`): their declaration, and their mapping to the provider's request fields.
 */
import type { Strategy } from '../provider/index.js';
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
  readonly format: 'table' | 'json' | 'csv';
}

export interface ReadRequestFields {
  readonly interval: string;
  readonly start: string;
  readonly end: string;
  readonly strategy?: Strategy;
  readonly partialOk: boolean;
  readonly includeBuilding: boolean;
  readonly requestedBy: 'cli';
}

/** The range, strategy and flags of a read as the provider's request wants them. */
export function readRequestFields(opts: ReadOptions): ReadRequestFields {
  return {
    interval: opts.interval, start: opts.start, end: opts.end,
    ...(opts.strategy !== undefined ? { strategy: opts.strategy } : {}),
    partialOk: opts.partialOk === true,
    includeBuilding: opts.includeBuilding === true,
    requestedBy: 'cli',
  };
}
