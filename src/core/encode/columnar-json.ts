/**
 * Frames as columnar JSON: `{"ts":[...],"open":[...],...}`, columns in schema order, `ts` first.
 * The gateway wraps it as `{"data": <this>, "metadata": ...}`. `encodeColumnarJson` gives one
 * string; `columnarJsonSlices` gives the same text as bytes, a bounded slice at a time, so a
 * server can let its event loop turn between slices.
 */
import type { Frame } from '../frame.js';
import { numberArrayJson } from './number-text.js';

/**
 * One column as a JSON array: JS's default number→string (shortest round-trip, so JSON.parse
 * gives back the same double; -0 is written `0`), and `null` for NaN and ±Infinity (JSON has no
 * spelling for them): the text of `JSON.stringify(Array.from(col))`, written digit by digit by
 * number-text.ts.
 */
function columnJson(col: Float64Array): string {
  return numberArrayJson(col).toString('latin1');
}

/** Encodes `frame` as a columnar JSON object (a string; no row objects are built). */
export function encodeColumnarJson(frame: Frame): string {
  let s = '{"ts":' + columnJson(frame.ts);
  const cols = frame.schema.columns;
  for (let c = 0; c < cols.length; c++) s += ',' + JSON.stringify(cols[c].name) + ':' + columnJson(frame.values[c]);
  return s + '}';
}

/** Values per slice of `columnarJsonSlices`: about 0.2 ms of number formatting, 70 KB of output. */
export const JSON_SLICE_VALUES = 4_096;

const COMMA = 0x2c;
const OPEN = 0x5b;

/**
 * The bytes of `encodeColumnarJson(frame)`, in order, as slices of at most `sliceValues` values
 * of one column each (plus the few bytes of the column names and brackets): concatenated they are
 * that string encoded as UTF-8. A caller that yields between slices never holds its event loop
 * longer than one slice, whatever the frame's length.
 *
 * A slice is written as the JSON array of its values, `[a,b,c]` (number-text.ts), with its `[`
 * turned into `,` when it continues a column and its `]` left out unless it ends one.
 */
export function* columnarJsonSlices(frame: Frame, sliceValues: number = JSON_SLICE_VALUES): Generator<Buffer> {
  const cols = frame.schema.columns;
  yield Buffer.from('{"ts":', 'latin1');
  yield* columnSlices(frame.ts, sliceValues);
  for (let c = 0; c < cols.length; c++) {
    yield Buffer.from(',' + JSON.stringify(cols[c].name) + ':', 'utf8');
    yield* columnSlices(frame.values[c], sliceValues);
  }
  yield Buffer.from('}', 'latin1');
}

/** One column's JSON array in slices of at most `sliceValues` values (see `columnarJsonSlices`). */
export function* columnSlices(col: Float64Array, sliceValues: number): Generator<Buffer> {
  const n = col.length;
  if (n === 0) {
    yield Buffer.from('[]', 'latin1');
    return;
  }
  for (let from = 0; from < n; from += sliceValues) {
    const to = Math.min(n, from + sliceValues);
    yield numberArrayJson(col.subarray(from, to), from > 0 ? COMMA : OPEN, to === n);
  }
}
