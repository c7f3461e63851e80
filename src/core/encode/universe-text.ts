/**
 * A universe answer (long format) as columnar JSON and as CSV, with a leading `node` column:
 * JSON `{"node":[...],"ts":[...],...}` (the gateway wraps it as a single read's body), CSV
 * `node,ts,<value columns…>` one line per row. The node column is written from the answer's spans
 * over its node dictionary: each entry is encoded once (a JSON string, a CSV field) and its bytes
 * copied per row, so no per-row string is built. Value columns are written as single reads' are
 * (columnar-json.ts, csv.ts), slice by slice, so a caller can let its event loop turn between
 * slices.
 */
import { nodeIndexColumn } from '../universe-frame.js';
import type { UniverseFrame } from '../universe-frame.js';
import { JSON_SLICE_VALUES, columnSlices } from './columnar-json.js';
import { CSV_SLICE_ROWS, csvField, csvSlices } from './csv.js';

const COMMA = 0x2c;

/** Rows [from, to) of the node column as part of a JSON array (the `[`/`,` lead and `]` end of columnSlices). */
function nodeJsonSlice(u: UniverseFrame, tokens: readonly Buffer[], from: number, to: number): Buffer {
  let size = 2;
  const { offsets } = u;
  for (let i = 0; i < u.nodes.length; i++) {
    const rows = Math.min(offsets[i + 1], to) - Math.max(offsets[i], from);
    if (rows > 0) size += rows * (tokens[i].length + 1);
  }
  const out = Buffer.allocUnsafe(size);
  out[0] = from === 0 ? 0x5b : COMMA;
  let o = 1;
  for (let i = 0; i < u.nodes.length; i++) {
    const rows = Math.min(offsets[i + 1], to) - Math.max(offsets[i], from);
    if (rows <= 0) continue;
    // One `"node",` written, then doubled in place: log2(rows) copies per span, none per row.
    const start = o;
    o += tokens[i].copy(out, o);
    out[o++] = COMMA;
    const unit = o - start;
    let filled = unit;
    const total = unit * rows;
    while (filled < total) {
      const n = Math.min(filled, total - filled);
      out.copyWithin(start + filled, start, start + n);
      filled += n;
    }
    o = start + total;
  }
  // The last comma becomes the column's `]` when this slice ends it, else it is dropped.
  if (to === u.frame.length) out[o - 1] = 0x5d;
  else o -= 1;
  return out.subarray(0, o);
}

/** `u` as columnar JSON with a leading `node` column, in slices of at most `sliceValues` values. */
export function* universeJsonSlices(u: UniverseFrame, sliceValues: number = JSON_SLICE_VALUES): Generator<Buffer> {
  const { frame } = u;
  const tokens = u.nodes.map((n) => Buffer.from(JSON.stringify(n), 'utf8'));
  yield Buffer.from('{"node":', 'latin1');
  if (frame.length === 0) yield Buffer.from('[]', 'latin1');
  for (let from = 0; from < frame.length; from += sliceValues) yield nodeJsonSlice(u, tokens, from, Math.min(frame.length, from + sliceValues));
  yield Buffer.from(',"ts":', 'latin1');
  yield* columnSlices(frame.ts, sliceValues);
  const cols = frame.schema.columns;
  for (let c = 0; c < cols.length; c++) {
    yield Buffer.from(',' + JSON.stringify(cols[c].name) + ':', 'utf8');
    yield* columnSlices(frame.values[c], sliceValues);
  }
  yield Buffer.from('}', 'latin1');
}

/** `u` as CSV with a leading `node` column: header, then slices of at most `sliceRows` lines. */
export function universeCsvSlices(u: UniverseFrame, sliceRows: number = CSV_SLICE_ROWS): Generator<Buffer> {
  const tokens = u.nodes.map((n) => csvField(n));
  return csvSlices(u.frame, sliceRows, {}, { name: 'node', tokens, index: (from, to) => nodeIndexColumn(u, from, to) });
}

/** `u` as one columnar JSON string (`universeJsonSlices` joined). */
export function encodeUniverseJson(u: UniverseFrame): string {
  return Buffer.concat([...universeJsonSlices(u)]).toString('utf8');
}

/** `u` as one CSV string (`universeCsvSlices` joined). */
export function encodeUniverseCsv(u: UniverseFrame): string {
  return Buffer.concat([...universeCsvSlices(u)]).toString('utf8');
}
