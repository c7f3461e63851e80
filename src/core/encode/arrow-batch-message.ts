/**
 * The metadata message of an Arrow IPC record batch whose columns are all fixed-width 8-byte
 * values without nulls (our `ts` int64 and Float64 columns), written by hand: continuation
 * marker, int32 length, then the flatbuffer `Message { version: V5, header: RecordBatch { length,
 * nodes, buffers }, bodyLength }` (format/Message.fbs, Schema.fbs of the Arrow spec).
 *
 * Why by hand: apache-arrow's writer only writes a batch together with its body, which it copies
 * into its output; with the message written here, the body can go out as the column bytes
 * themselves (arrow-ipc.ts, `arrowIpcChunks`), no copy. The message depends only on the row and
 * column counts: per column one FieldNode (length, null_count 0) and two buffers, an empty
 * validity bitmap then `rows * 8` bytes of values, laid end to end (8-byte multiples, so no
 * padding), exactly the layout apache-arrow writes for such a batch.
 *
 * Flatbuffer layout (byte offsets from the flatbuffer's start; every int64 and every struct
 * vector 8-aligned, every table 4-aligned, vtables before their tables):
 *   0 root offset → 16
 *   4 Message vtable: [12, 24, 4, 6, 8, 16]   (size, table size, version, header_type, header, bodyLength)
 *  16 Message table: soffset 12, version i16 @20, header_type u8 @22, header u32 @24 (→ 56), bodyLength i64 @32
 *  40 RecordBatch vtable: [10, 24, 8, 4, 16]  (size, table size, length, nodes, buffers)
 *  56 RecordBatch table: soffset 16, nodes u32 @60 (→ 84), length i64 @64, buffers u32 @72 (→ 92 + 16k)
 *  84 nodes: count k, then k × {length i64, null_count i64} from 88
 *  92 + 16k buffers: count 2k, then 2k × {offset i64, length i64} from 96 + 16k
 * The flatbuffer is 96 + 48k bytes, a multiple of 8, so the body that follows is 8-aligned.
 */

const METADATA_VERSION_V5 = 4;
const HEADER_RECORD_BATCH = 3;

/** The bytes of the record-batch message (no body) for `rows` rows of `columns` 8-byte columns. */
export function recordBatchMessage(rows: number, columns: number): Uint8Array {
  const widths: number[] = [];
  for (let c = 0; c < columns; c++) widths.push(8);
  return recordBatchMessageOf(rows, widths);
}

/** A buffer's length rounded up to the 8-byte multiple the body lays it out in. */
export const padded8 = (bytes: number): number => (bytes + 7) & ~7;

/**
 * The same message for columns of the given value widths in bytes (8 for ts and Float64, 4 for
 * the Int32 indices of a dictionary column): each column's values start at an 8-byte boundary of
 * the body (a 4-byte column of an odd row count is followed by 4 bytes of padding).
 */
export function recordBatchMessageOf(rows: number, widths: readonly number[]): Uint8Array {
  const k = widths.length;
  const fbLength = 96 + 48 * k;
  const bytes = new Uint8Array(8 + fbLength); // zero-filled: padding and absent fields
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0xffffffff, true);
  view.setInt32(4, fbLength, true);
  const F = 8; // the flatbuffer's start
  const u16 = (at: number, v: number): void => view.setUint16(F + at, v, true);
  const u32 = (at: number, v: number): void => view.setUint32(F + at, v, true);
  const i64 = (at: number, v: number): void => view.setBigInt64(F + at, BigInt(v), true);

  let bodyLength = 0;
  for (let c = 0; c < k; c++) bodyLength += padded8(rows * widths[c]);
  u32(0, 16);
  [12, 24, 4, 6, 8, 16].forEach((v, i) => u16(4 + 2 * i, v));
  view.setInt32(F + 16, 16 - 4, true);
  view.setInt16(F + 20, METADATA_VERSION_V5, true);
  view.setUint8(F + 22, HEADER_RECORD_BATCH);
  u32(24, 56 - 24);
  i64(32, bodyLength);

  [10, 24, 8, 4, 16].forEach((v, i) => u16(40 + 2 * i, v));
  view.setInt32(F + 56, 56 - 40, true);
  u32(60, 84 - 60);
  i64(64, rows);
  const buffers = 92 + 16 * k;
  u32(72, buffers - 72);

  u32(84, k);
  for (let c = 0; c < k; c++) i64(88 + 16 * c, rows); // null_count stays 0
  u32(buffers, 2 * k);
  let offset = 0;
  for (let c = 0; c < k; c++) {
    const at = buffers + 4 + 32 * c;
    const length = rows * widths[c];
    i64(at, offset); // validity: offset, length 0
    i64(at + 16, offset); // values: offset, length
    i64(at + 24, length);
    offset += padded8(length);
  }
  return bytes;
}
