/**
 * The answer of a universe read in long format: the rows of many datasets one after another in
 * one columnar frame, plus the dataset of each row given as spans (`offsets`) over a dictionary
 * of node ids. No per-row node string is ever built: the encoders write the node column from the
 * spans (JSON and CSV copy the dictionary entry's bytes, Arrow writes Int32 dictionary indices).
 */
import { InternalError } from './errors.js';
import type { Frame } from './frame.js';

export interface UniverseFrame {
  /** Every dataset's rows, dataset after dataset in `nodes` order, each ascending by ts. */
  readonly frame: Frame;
  /** The dictionary: node ids in request order (datasets without rows included). */
  readonly nodes: readonly string[];
  /** Rows of `nodes[i]` are `[offsets[i], offsets[i + 1])` of `frame`; `nodes.length + 1` long. */
  readonly offsets: Int32Array;
}

export function createUniverseFrame(frame: Frame, nodes: readonly string[], offsets: Int32Array): UniverseFrame {
  if (offsets.length !== nodes.length + 1 || offsets[0] !== 0 || offsets[nodes.length] !== frame.length) {
    throw new InternalError(`universe frame spans do not match: ${nodes.length} node(s), ${offsets.length} offsets, ${frame.length} rows`);
  }
  return { frame, nodes, offsets };
}

/** The dictionary index of every row of `[from, to)`: one Int32Array, filled span by span. */
export function nodeIndexColumn(u: UniverseFrame, from: number, to: number): Int32Array {
  const out = new Int32Array(to - from);
  const { offsets } = u;
  for (let i = 0; i < u.nodes.length; i++) {
    const a = Math.max(offsets[i], from);
    const b = Math.min(offsets[i + 1], to);
    if (b > a) out.fill(i, a - from, b - from);
  }
  return out;
}
