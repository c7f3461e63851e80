/**
 * Frames as CSV: header `ts,<value columns…>` then one line per row, `\n` line ends. Numbers use
 * JS's default number→string (shortest round-trip, so `Number(field)` gives back the same
 * double; -0 is written `0`). NaN is an empty field; ±Infinity is written `Infinity`/`-Infinity`,
 * which `Number()` parses back.
 */
import type { Frame } from '../frame.js';
import { allSafeIntegers, integerArrayJson } from './integer-text.js';

export interface CsvOptions {
  /** Write the header line (default true). */
  readonly header?: boolean;
}

const COMMA = 0x2c;
const NEWLINE = 0x0a;
const CLOSE_BRACKET = 0x5d;
const LETTER_N = 0x6e;

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
 * Rows [from, to) of `frame` as CSV lines (latin1 bytes, ASCII in fact), in two column-major
 * steps and no row objects:
 *
 * 1. Each column is formatted once by `JSON.stringify(Array.from(col))` — V8's serialiser writes
 *    every number (shortest round-trip, the same digits as String(x)) straight into one buffer,
 *    NaN and ±Infinity as `null` — and the ASCII result is taken as bytes.
 * 2. A byte loop over rows copies each column's next token into one output buffer, adding `,` and
 *    `\n`. A `null` token becomes an empty field for NaN, or `Infinity`/`-Infinity`, looked up
 *    in the column.
 *
 * This avoids what a `s += x` loop pays per cell: a heap string for the number and a rope node
 * for the append. Measured on 1 M OHLCV rows: 0.9 s against 2.4 s for the `+=` loop (a line
 * array joined with `\n` and per-column string arrays measured the same as `+=`).
 */
function csvRows(frame: Frame, from: number, to: number): Buffer {
  const length = to - from;
  const cols: Float64Array[] = [frame.ts.subarray(from, to)];
  for (let c = 0; c < frame.values.length; c++) cols.push(frame.values[c].subarray(from, to));

  const width = cols.length;
  const tokens: Buffer[] = [];
  let capacity = 0;
  for (let c = 0; c < width; c++) {
    const col = cols[c];
    // Integer columns (ts) skip the double formatter: see integer-text.ts.
    const bytes = allSafeIntegers(col) ? integerArrayJson(col) : Buffer.from(JSON.stringify(Array.from(col)), 'latin1');
    tokens.push(bytes);
    capacity += bytes.length;
    // `null` (4 bytes) may grow to `-Infinity` (9): reserve 5 more bytes per infinite value.
    for (let i = 0; i < length; i++) {
      const x = col[i];
      if (x - x !== 0 && x === x) capacity += 5;
    }
  }
  // A column's JSON holds its tokens, length - 1 commas and two brackets; the CSV rows hold the
  // same tokens, (width - 1) * length commas and length newlines: never more bytes than `capacity`.
  const out = Buffer.allocUnsafe(capacity);
  const at = new Int32Array(width).fill(1); // read position in each column's JSON, after `[`
  let o = 0;
  for (let i = 0; i < length; i++) {
    for (let c = 0; c < width; c++) {
      if (c > 0) out[o++] = COMMA;
      const src = tokens[c];
      let p = at[c];
      if (src[p] === LETTER_N) {
        p += 4;
        const x = cols[c][i];
        if (x === x) o += out.write(x > 0 ? 'Infinity' : '-Infinity', o, 'latin1');
      } else {
        let ch = src[p];
        while (ch !== COMMA && ch !== CLOSE_BRACKET) {
          out[o++] = ch;
          ch = src[++p];
        }
      }
      at[c] = p + 1;
    }
    out[o++] = NEWLINE;
  }
  return out.subarray(0, o);
}
