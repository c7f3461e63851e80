/**
 * A universe read's request and answer: many datasets (node ids) over one interval and range.
 * The node list is checked here once (1 to MAX_UNIVERSE_NODES distinct ids, each a valid node id,
 * refusals naming `nodes` or `nodes[i]`); interval, range, strategy and context are those of a
 * single read (fetch-request.ts) and are checked once for all.
 */
import { InvalidRequestError } from '../../core/index.js';
import type { ErrorBody, UniverseFrame } from '../../core/index.js';
import { validateNodeId } from '../read/fetch-request.js';
import type { FetchRequest } from '../read/fetch-request.js';
import type { ReadMetadata } from '../read/read-metadata.js';

/** Most node ids one universe read may name (issue 15 asks for at least 1,000). */
export const MAX_UNIVERSE_NODES = 10_000;

/** Most bars (nodes × bars of the range) one universe read may span: about 750 MB of OHLCV columns. */
export const MAX_UNIVERSE_BARS = 16_000_000;

export interface UniverseRequest extends Omit<FetchRequest, 'nodeId'> {
  /** The datasets' node ids, in the order the answer lists them. */
  readonly nodes: readonly string[];
  /** Any dataset that fails fails the whole read (first error, with the failed nodes); default false. */
  readonly allOrNothing?: boolean;
}

/** A dataset's part of the metadata: the metadata its single read reports, or its error. */
export type DatasetOutcome = ReadMetadata | ErrorBody;

export interface UniverseMetadata {
  readonly interval: string;
  readonly intervalMs: number;
  readonly requestedRange: { readonly start: number; readonly end: number };
  /** Rows of the whole answer. */
  readonly rows: number;
  /** How many datasets were asked for. */
  readonly datasetCount: number;
  /** Node ids whose read failed (their metadata holds the error), in request order. */
  readonly failed: readonly string[];
  /** Per node id: its read's metadata or `{error: {code, message, details}}`. */
  readonly datasets: Readonly<Record<string, DatasetOutcome>>;
}

export interface UniverseResult {
  /** Long format: every dataset's rows, dataset after dataset, with the node of each row. */
  readonly universe: UniverseFrame;
  readonly metadata: UniverseMetadata;
}

/** The node ids, checked: an array of 1 to MAX_UNIVERSE_NODES distinct valid node ids. */
export function validateUniverseNodes(nodes: unknown, field = 'nodes'): readonly string[] {
  if (!Array.isArray(nodes)) throw new InvalidRequestError(field, 'must be an array of node ids (e.g. ["ohlcv:demo:BTC-USD", "ohlcv:demo:ETH-USD"])');
  if (nodes.length === 0) throw new InvalidRequestError(field, 'must name at least one node id');
  if (nodes.length > MAX_UNIVERSE_NODES) {
    throw new InvalidRequestError(field, `names ${nodes.length} node ids, more than the maximum of ${MAX_UNIVERSE_NODES}; split the read`, { count: nodes.length, max: MAX_UNIVERSE_NODES });
  }
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const node = validateNodeId(nodes[i], `${field}[${i}]`);
    if (seen.has(node)) throw new InvalidRequestError(`${field}[${i}]`, `names ${JSON.stringify(node)} a second time; each dataset once`, { node });
    seen.add(node);
    out.push(node);
  }
  return out;
}
