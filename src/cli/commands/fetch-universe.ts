/**
 * `seamless fetch` of many datasets (a universe read): `--node` repeated, `--universe NAME` (config
 * `universes`) or `--nodes-file FILE` (one node id a line; blank lines and `#` comments skipped),
 * embedded or through a gateway (`--url`: POST /v1/bars/query). `--format json|csv` prints the
 * gateway's long-format body (a `node` column first); `table` prints one line per dataset (rows,
 * coverage, or its error) and a summary line.
 */
import { readFileSync } from 'node:fs';
import { InvalidRequestError, encodeUniverseCsv, encodeUniverseJson } from '../../core/index.js';
import type { DatasetOutcome, UniverseMetadata } from '../../provider/index.js';
import type { UniverseFetch } from '../../gateway/index.js';
import { writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { gatewayClient, withSeamless } from '../options.js';
import { printRead, readRequestFields } from '../read-options.js';
import type { ReadOptions } from '../read-options.js';
import { formatTable } from '../output.js';

export type UniverseFetchOptions = ReadOptions;

/** The node ids of `--nodes-file`: one a line, blank lines and `#` comments skipped. */
function nodesOfFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidRequestError('--nodes-file', `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`, {}, { cause: error });
  }
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const id = line.trim();
    if (id !== '' && !id.startsWith('#')) out.push(id);
  }
  return out;
}

function requestOf(opts: UniverseFetchOptions): UniverseFetch {
  const given = [opts.node.length > 0, opts.universe !== undefined, opts.nodesFile !== undefined].filter(Boolean).length;
  if (given === 0) throw new InvalidRequestError('--node', 'is required (e.g. --node ohlcv:demo:BTC-USD), or --universe NAME, or --nodes-file FILE');
  if (given > 1) throw new InvalidRequestError(opts.universe !== undefined ? '--universe' : '--nodes-file', 'give the datasets one way: --node (repeated), --universe or --nodes-file');
  return {
    ...(opts.universe !== undefined ? { universe: opts.universe } : { nodes: opts.nodesFile !== undefined ? nodesOfFile(opts.nodesFile) : opts.node }),
    ...readRequestFields(opts),
    allOrNothing: opts.allOrNothing === true,
  };
}

export async function fetchUniverseCommand(ctx: CliContext, opts: UniverseFetchOptions): Promise<void> {
  const request = requestOf(opts);
  if (opts.url !== undefined) {
    const client = gatewayClient(ctx, { ...opts, url: opts.url });
    const { requestedBy: _by, context: _context, ...body } = request;
    void _by;
    void _context;
    const text = await client.postText('/v1/bars/query', { ...body, ...(opts.asOf !== undefined ? { asOf: opts.asOf } : {}), format: opts.format === 'csv' ? 'csv' : 'json' });
    if (opts.format === 'table') printSummary(ctx, (JSON.parse(text) as { metadata: UniverseMetadata }).metadata);
    else if (opts.format === 'json') writeLine(ctx.stdout, text);
    else ctx.stdout.write(text);
    return;
  }
  await withSeamless(ctx, opts, async (seamless) => {
    const { universe, metadata } = await seamless.fetchUniverse(request);
    printRead(ctx, opts.format, metadata, {
      data: () => encodeUniverseJson(universe),
      csv: () => encodeUniverseCsv(universe),
      table: () => printSummary(ctx, metadata),
    });
  });
}

function row(node: string, o: DatasetOutcome): string[] {
  if ('error' in o) return [node, '', '', `${o.error.code}: ${o.error.message}`];
  return [node, String(o.rows), o.coverageRatio.toFixed(3), o.partial ? `partial${o.downgradeReason ? ` (${o.downgradeReason})` : ''}` : 'ok'];
}

function printSummary(ctx: CliContext, metadata: UniverseMetadata): void {
  const rows = Object.entries(metadata.datasets).map(([node, o]) => row(node, o));
  for (const line of formatTable(['node', 'rows', 'coverage', 'status'], rows, ['left', 'right', 'right', 'left'])) writeLine(ctx.stdout, line);
  writeLine(ctx.stdout, `${metadata.datasetCount} dataset(s), ${metadata.rows} row(s) at ${metadata.interval}, ${metadata.failed.length} failed`);
}
