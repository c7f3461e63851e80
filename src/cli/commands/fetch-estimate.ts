/**
 * `seamless fetch --estimate`: the pre-flight estimate of the read `fetch` would make, embedded
 * (opens the data directory, reads coverage only) or through a gateway (`--url`:
 * GET /v1/bars/estimate). Printed as lines a person reads (`--format table`, the default) or as
 * the gateway's JSON (`--format json`); `--format csv` has no meaning for an estimate and is
 * refused naming `--format`.
 */
import { InvalidRequestError, formatTime } from '../../core/index.js';
import type { BarsEstimate, EstimateRequest } from '../../provider/index.js';
import { writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { gatewayClient, withSeamless } from '../options.js';
import type { RemoteOptions } from '../options.js';
import type { FetchDeps } from '../command-deps.js';

export interface EstimateOptions extends RemoteOptions {
  readonly node: string;
  readonly interval: string;
  readonly start: string;
  readonly end: string;
  readonly format: string;
  readonly align?: string;
  readonly fill?: string;
}

export async function fetchEstimate(ctx: CliContext, opts: EstimateOptions): Promise<void> {
  if (opts.format !== 'table' && opts.format !== 'json') throw new InvalidRequestError('--format', `an estimate prints as table or json, not ${opts.format}`);
  const shape = { ...(opts.align !== undefined ? { align: opts.align } : {}), ...(opts.fill !== undefined ? { fill: opts.fill } : {}) };
  const request: EstimateRequest = { nodeId: opts.node, interval: opts.interval, start: opts.start, end: opts.end, ...shape };
  let estimate: BarsEstimate;
  if (opts.url !== undefined) {
    estimate = await gatewayClient(ctx, { ...opts, url: opts.url }).getJson<BarsEstimate>('/v1/bars/estimate', { node: opts.node, interval: opts.interval, start: opts.start, end: opts.end, ...shape });
  } else {
    estimate = await withSeamless(ctx, opts, (seamless: FetchDeps) => seamless.estimate(request));
  }
  if (opts.format === 'json') writeLine(ctx.stdout, JSON.stringify(estimate));
  else for (const line of estimateLines(estimate)) writeLine(ctx.stdout, line);
}

/** The estimate as lines: the range, the bars by state, the backfill, the bytes per format, each with its basis. */
export function estimateLines(e: BarsEstimate): string[] {
  const b = e.bars;
  const f = e.backfill;
  const lines = [
    `estimate for ${e.node} ${e.interval} [${formatTime(e.alignedRange.start)}, ${formatTime(e.alignedRange.end)}) — no data moved`,
    // A derived interval: bars in range are derived bars, what is stored and backfilled base bars.
    e.derivedFrom !== undefined && e.base !== undefined
      ? `bars      ${b.inRange} ${e.interval} bars in range, derived from ${e.base.inRange} ${e.derivedFrom.interval} bars (calendar ${e.calendar.name}): ${b.stored} stored, ${b.knownEmpty} known empty, ${b.missing} missing${b.notClosed > 0 ? `, ${b.notClosed} ${e.interval} bars not closed yet` : ''}`
      : `bars      ${b.inRange} in range (calendar ${e.calendar.name}), ${b.stored} stored, ${b.knownEmpty} known empty, ${b.missing} missing${b.notClosed > 0 ? `, ${b.notClosed} not closed yet` : ''}`,
    f.source === null
      ? 'backfill  none: the dataset has no upstream source'
      : `backfill  ${f.bars} ${e.derivedFrom === undefined ? '' : `${e.derivedFrom.interval} `}bars in ${plural(f.shards, 'shard')} of ${f.barsPerShard} from ${f.source}, ${plural(f.requests, 'upstream request')} (${f.requestsBasis})`,
    `time      ${f.expectedMs === null ? 'unknown' : `${f.expectedMs} ms`} (${f.timeBasis})`,
    `rows      ${e.rows}`,
  ];
  for (const format of ['json', 'csv', 'arrow'] as const) {
    const x = e.bytes[format];
    lines.push(`${format.padEnd(9)} ${x.bytes} bytes (${x.basis}: ${x.detail})`);
  }
  return lines;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
