/**
 * Frames as CSV: header `ts,<value columns…>` then one line per row, `\n` line ends. Numbers use
 * JS's default number→string (shortest round-trip, so `Number(field)` gives back the same
 * double; -0 is written `0`). NaN is an empty field; ±Infinity is written `Infinity`/`-Infinity`,
 * which `Number()` parses back.
 */
import type { Frame } from '../frame.js';
import { MAX_NUMBER_BYTES, handOut, pieceBuffer, writeNumber } from './number-text.js';

export interface CsvOptions {
  /** Write the header line (default true). */
  readonly header?: boolean;
}

const COMMA = 0x2c;
const NEWLINE = 0x0a;

/** The header line of `frame`'s CSV, `\n` included. */
function csvHeader(frame: Frame): string {
  let header = 'ts';
  for (let c = 0; c < frame.values.length; c++) header += ',' + frame.schema.columns[c].name;
  return header + '\n';
}

/**
 * Encodes `frame` as CSV text (see `csvRows` for how). The output is one JS string, so it is
 * bounded by V8's maximum string length (~2^29 chars, roughly 8 M OHLCV rows); encode larger
 * reads slice by slice (`csvSlices`).
 */
export function encodeCsv(frame: Frame, options: CsvOptions = {}): string {
  const header = options.header ?? true ? csvHeader(frame) : '';
  if (frame.length === 0) return header;
  return header + csvRows(frame, 0, frame.length).toString('latin1');
}

/** Rows per slice of `csvSlices`: about 0.5 ms of number formatting for OHLCV rows. */
export const CSV_SLICE_ROWS = 1_024;

/**
 * The bytes of `encodeCsv(frame, options)`, in order: the header, then slices of at most
 * `sliceRows` rows each. Concatenated they are that string encoded as UTF-8 (the rows are ASCII).
 * A caller that yields between slices never holds its event loop longer than one slice.
 */
export function* csvSlices(frame: Frame, sliceRows: number = CSV_SLICE_ROWS, options: CsvOptions = {}): Generator<Buffer> {
  if (options.header ?? true) yield Buffer.from(csvHeader(frame), 'utf8');
  for (let from = 0; from < frame.length; from += sliceRows) yield csvRows(frame, from, Math.min(frame.length, from + sliceRows));
}

/**
 * Rows [from, to) of `frame` as CSV lines (latin1 bytes, ASCII in fact), each cell written by
 * number-text.ts straight into one output buffer (`String(x)`; NaN an empty field), no string
 * per cell and no row objects.
 *
 * Cost avoided: a `s += x` loop pays a heap string and a rope node per cell (2.4 s for 1 M OHLCV
 * rows); the previous version formatted each column with `JSON.stringify(Array.from(col))` and
 * copied its tokens row by row (0.9 s), bench/core/encoders.bench.ts has today's figure.
 */
function csvRows(frame: Frame, from: number, to: number): Buffer {
  const cols: Float64Array[] = [frame.ts.subarray(from, to)];
  for (let c = 0; c < frame.values.length; c++) cols.push(frame.values[c].subarray(from, to));
  const length = to - from;
  const width = cols.length;
  // Per cell: at most MAX_NUMBER_BYTES, plus its `,` or `\n`.
  const out = pieceBuffer(length * width * (MAX_NUMBER_BYTES + 1));
  let o = 0;
  for (let i = 0; i < length; i++) {
    for (let c = 0; c < width; c++) {
      if (c > 0) out[o++] = COMMA;
      const x = cols[c][i];
      if (x === x) o = writeNumber(out, o, x);
    }
    out[o++] = NEWLINE;
  }
  return handOut(out, o);
}
