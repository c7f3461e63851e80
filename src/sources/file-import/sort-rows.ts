/**
 * Orders parsed rows by ts and finds duplicate timestamps, columnar: an index permutation
 * (Uint32Array) sorted by (ts, origin), then one gather per column. Already-sorted input (the
 * common case) skips the sort and the gathers entirely.
 */
import { createFrame, formatTime } from '../../core/index.js';
import type { Frame, FrameSchema } from '../../core/index.js';
import type { ParsedColumns } from './columns-builder.js';
import type { IssueCollector } from './issue-collector.js';

export interface SortedRows {
  readonly frame: Frame;
  /** Origin (line / row) of each frame row. */
  readonly origin: Uint32Array;
}

export function sortRows(parsed: ParsedColumns, schema: FrameSchema): SortedRows {
  const { ts, origin, length } = parsed;
  let sorted = true;
  for (let i = 1; i < length; i++) {
    if (ts[i] < ts[i - 1]) {
      sorted = false;
      break;
    }
  }
  if (sorted) return { frame: createFrame(schema, ts, parsed.values), origin };
  const perm = new Uint32Array(length);
  for (let i = 0; i < length; i++) perm[i] = i;
  perm.sort((a, b) => ts[a] - ts[b] || origin[a] - origin[b]);
  const outTs = new Float64Array(length);
  const outOrigin = new Uint32Array(length);
  const outValues = parsed.values.map(() => new Float64Array(length));
  for (let i = 0; i < length; i++) {
    outTs[i] = ts[perm[i]];
    outOrigin[i] = origin[perm[i]];
  }
  for (let c = 0; c < outValues.length; c++) {
    const src = parsed.values[c];
    const dst = outValues[c];
    for (let i = 0; i < length; i++) dst[i] = src[perm[i]];
  }
  return { frame: createFrame(schema, outTs, outValues), origin: outOrigin };
}

/** Reports every row whose ts equals the previous row's, naming both lines (or rows). */
export function reportDuplicates(sorted: SortedRows, issues: IssueCollector): void {
  const { frame, origin } = sorted;
  const ts = frame.ts;
  for (let i = 1; i < frame.length; i++) {
    if (ts[i] !== ts[i - 1]) continue;
    const shown = formatTime(ts[i]);
    const full = issues.add(origin[i], 'ts', shown, `duplicate timestamp ${shown} (${ts[i]}): also on ${issues.location} ${origin[i - 1]}`);
    if (full) return;
  }
}
