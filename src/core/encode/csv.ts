/**
 * Frames as CSV: header `ts,<value columns…>` then one line per row, `\n` line ends. Numbers use
 * JS's default number→string (shortest round-trip, so `Number(field)` gives back the same
 * double; -0 is written `0`). NaN is an empty field; ±Infinity is written `Infinity`/`-Infinity`,
 * which `Number()` parses back.
 */
import type { Frame } from '../frame.js';
import { MAX_NUMBER_BYTES, handOut, mostlyLongDigits, pieceBuffer, writeNumber } from './number-text.js';

export interface CsvOptions {
  /** Write the header line (default true). */
  readonly header?: boolean;
}

const COMMA = 0x2c;
const NEWLINE = 0x0a;
const CLOSE_BRACKET = 0x5d;
const LETTER_N = 0x6e;

/**
 * A column written before the frame's own (a universe answer's `node`): its header name, each
 * dictionary entry as the bytes of one CSV field, and the entry of every row.
 */
export interface LeadColumn {
  readonly name: string;
  readonly tokens: readonly Buffer[];
  /** The dictionary entry of each row of `[from, to)`. */
  index(from: number, to: number): Int32Array;
}

/** A text as one CSV field: quoted (inner quotes doubled) when it holds a comma, a quote or a line break. */
export function csvField(text: string): Buffer {
  return Buffer.from(/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text, 'utf8');
}

/** The header line of `frame`'s CSV, `\n` included. */
function csvHeader(frame: Frame, lead?: LeadColumn): string {
  let header = lead === undefined ? 'ts' : `${csvField(lead.name).toString('utf8')},ts`;
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
export function* csvSlices(frame: Frame, sliceRows: number = CSV_SLICE_ROWS, options: CsvOptions = {}, lead?: LeadColumn): Generator<Buffer> {
  if (options.header ?? true) yield Buffer.from(csvHeader(frame, lead), 'utf8');
  for (let from = 0; from < frame.length; from += sliceRows) yield csvRows(frame, from, Math.min(frame.length, from + sliceRows), lead);
}

/**
 * Rows [from, to) of `frame` as CSV lines (latin1 bytes, ASCII in fact) in one output buffer, no
 * string per cell and no row objects. Each column is written one of two ways:
 *
 * - most columns (timestamps, prices with few decimals): each cell by number-text.ts straight into
 *   the output (`String(x)`'s digits; NaN an empty field);
 * - a column of mostly 16–17 digit values (`mostlyLongDigits`): formatted once by
 *   `JSON.stringify(Array.from(col))` — V8's serialiser writes every number (shortest round-trip,
 *   the digits of String(x)) into one buffer, NaN and ±Infinity as `null` — and a byte loop copies
 *   each row's token into the output; `null` becomes an empty field for NaN, or
 *   `Infinity`/`-Infinity`, looked up in the column.
 *
 * Cost avoided: a `s += x` loop pays a heap string and a rope node per cell (2.4 s for 1 M OHLCV
 * rows); bench/core/encoders.bench.ts has today's figures.
 */
function csvRows(frame: Frame, from: number, to: number, lead?: LeadColumn): Buffer {
  const cols: Float64Array[] = [frame.ts.subarray(from, to)];
  for (let c = 0; c < frame.values.length; c++) cols.push(frame.values[c].subarray(from, to));
  const length = to - from;
  const width = cols.length;
  const tokens: (Buffer | undefined)[] = [];
  for (let c = 0; c < width; c++) tokens.push(mostlyLongDigits(cols[c]) ? Buffer.from(JSON.stringify(Array.from(cols[c])), 'latin1') : undefined);
  const at = new Int32Array(width).fill(1); // read position in each token column's JSON, after `[`
  // Per cell: at most MAX_NUMBER_BYTES (a JSON token is no longer, `-Infinity` is 9), plus its `,` or `\n`.
  // The lead column: the dictionary entry's bytes and a comma at the start of each line.
  const leadIndex = lead?.index(from, to);
  const leadTokens = lead?.tokens ?? [];
  let leadBytes = 0;
  for (const t of leadTokens) leadBytes = Math.max(leadBytes, t.length + 1);
  const out = pieceBuffer(length * (width * (MAX_NUMBER_BYTES + 1) + leadBytes));
  let o = 0;
  for (let i = 0; i < length; i++) {
    if (leadIndex !== undefined) {
      const t = leadTokens[leadIndex[i]];
      o += t.copy(out, o);
      out[o++] = COMMA;
    }
    for (let c = 0; c < width; c++) {
      if (c > 0) out[o++] = COMMA;
      const src = tokens[c];
      if (src === undefined) {
        const x = cols[c][i];
        if (x === x) o = writeNumber(out, o, x);
        continue;
      }
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
  return handOut(out, o);
}
