/**
 * Encodes columns as PostgreSQL's binary COPY format (`COPY … FROM STDIN (FORMAT binary)`), in
 * Buffers of a few hundred KB written straight from the Float64Arrays: no per-row objects and no
 * text formatting of numbers (a text COPY spends most of its time in number → string → number).
 * The format is described in binary-copy-decoder.ts. `int8` columns must hold safe integers
 * (write validation checks ts before anything is encoded); `float8` keeps NaN and ±Infinity.
 */
import type { CopyColumnType } from './binary-copy-decoder.js';

const HEADER = Buffer.from([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, // PGCOPY\n\377\r\n\0
  0, 0, 0, 0, // flags
  0, 0, 0, 0, // header extension length
]);
const TRAILER = Buffer.from([0xff, 0xff]);
const TWO_POW_32 = 4_294_967_296;
/** Rows per Buffer: 8,192 OHLCV rows are ~600 KB, few enough writes and little memory held. */
export const ROWS_PER_COPY_CHUNK = 8_192;

/**
 * The binary COPY stream of rows [0, rows) of `columns` (`columns[c]` typed by `types[c]`): the
 * header, the tuples in chunks of `rowsPerChunk`, the trailer. Lazily, so a retried write can
 * encode again and memory holds one chunk at a time.
 */
export function* encodeBinaryCopy(
  columns: readonly Float64Array[], types: readonly CopyColumnType[], rows: number, rowsPerChunk = ROWS_PER_COPY_CHUNK,
): Generator<Buffer> {
  yield HEADER;
  const width = columns.length;
  const isInt = Uint8Array.from(types, (t) => (t === 'int8' ? 1 : 0));
  const tupleBytes = 2 + 12 * width;
  for (let from = 0; from < rows; from += rowsPerChunk) {
    const to = Math.min(rows, from + rowsPerChunk);
    const out = Buffer.allocUnsafe((to - from) * tupleBytes);
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    let p = 0;
    for (let r = from; r < to; r++) {
      view.setInt16(p, width);
      p += 2;
      for (let c = 0; c < width; c++) {
        view.setInt32(p, 8);
        const v = columns[c][r];
        if (isInt[c] === 1) {
          const high = Math.floor(v / TWO_POW_32);
          view.setInt32(p + 4, high);
          view.setUint32(p + 8, v - high * TWO_POW_32);
        } else {
          view.setFloat64(p + 4, v);
        }
        p += 12;
      }
    }
    yield out;
  }
  yield TRAILER;
}
