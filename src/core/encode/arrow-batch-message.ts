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
  const lengths: number[] = [];
  for (const w of widths) lengths.push(rows * w);
  return recordBatchMessageOfLengths(rows, lengths);
}

/**
 * The same message for columns whose value buffers take the given bytes (`rows * width` for
 * fixed-width columns, `ceil(rows / 8)` for a Bool column's bit-packed values), each laid out at
 * an 8-byte boundary of the body.
 */
export function recordBatchMessageOfLengths(rows: number, valueBytes: readonly number[]): Uint8Array {
  const k = valueBytes.length;
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
  for (let c = 0; c < k; c++) bodyLength += padded8(valueBytes[c]);
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
    const length = valueBytes[c];
    i64(at, offset); // validity: offset, length 0
    i64(at + 16, offset); // values: offset, length
    i64(at + 24, length);
    offset += padded8(length);
  }
  return bytes;
}

const HEADER_DICTIONARY_BATCH = 2;

/**
 * The dictionary batch of a Utf8 dictionary (id `id`, not a delta) holding `values`: its message
 * and its body (offsets, then the UTF-8 bytes, each padded to 8 bytes), written by hand like the
 * record batches above, so a live batch's node dictionary needs no apache-arrow writer (~4 ms a
 * stream, whatever its size). Flatbuffer layout (offsets from its start):
 *   0 root offset → 16
 *   4 Message vtable [12, 24, 4, 6, 8, 16];  16 Message table (header → 48, bodyLength i64 @32)
 *  40 DictionaryBatch vtable [8, 16, 8, 4] (id, data);  48 table: soffset 8, data u32 @52 (→ 80), id i64 @56
 *  64 RecordBatch vtable [10, 24, 8, 4, 16];  80 table: soffset 16, nodes u32 @84 (→ 108), length i64 @88, buffers u32 @96 (→ 132)
 * 108 nodes: count 1, {length, null_count 0} @112;  132 buffers: count 3, @136 validity {0, 0}, offsets, data
 * 184 bytes in all, a multiple of 8.
 */
export function utf8DictionaryBatch(id: number, values: readonly string[]): Uint8Array[] {
  const n = values.length;
  const offsets = new Int32Array(n + 1);
  const encoded: Buffer[] = [];
  let utf8 = 0;
  for (let i = 0; i < n; i++) {
    const b = Buffer.from(values[i], 'utf8');
    encoded.push(b);
    utf8 += b.byteLength;
    offsets[i + 1] = utf8;
  }
  const offsetBytes = 4 * (n + 1);
  const body = new Uint8Array(padded8(offsetBytes) + padded8(utf8));
  body.set(new Uint8Array(offsets.buffer), 0);
  let at = padded8(offsetBytes);
  for (const b of encoded) {
    body.set(b, at);
    at += b.byteLength;
  }

  const fbLength = 184;
  const bytes = new Uint8Array(8 + fbLength);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0xffffffff, true);
  view.setInt32(4, fbLength, true);
  const F = 8;
  const u16 = (at: number, v: number): void => view.setUint16(F + at, v, true);
  const u32 = (at: number, v: number): void => view.setUint32(F + at, v, true);
  const i64 = (at: number, v: number): void => view.setBigInt64(F + at, BigInt(v), true);

  u32(0, 16);
  [12, 24, 4, 6, 8, 16].forEach((v, i) => u16(4 + 2 * i, v));
  view.setInt32(F + 16, 16 - 4, true);
  view.setInt16(F + 20, METADATA_VERSION_V5, true);
  view.setUint8(F + 22, HEADER_DICTIONARY_BATCH);
  u32(24, 48 - 24);
  i64(32, body.byteLength);

  [8, 16, 8, 4].forEach((v, i) => u16(40 + 2 * i, v));
  view.setInt32(F + 48, 48 - 40, true);
  u32(52, 80 - 52);
  i64(56, id);

  [10, 24, 8, 4, 16].forEach((v, i) => u16(64 + 2 * i, v));
  view.setInt32(F + 80, 80 - 64, true);
  u32(84, 108 - 84);
  i64(88, n);
  u32(96, 132 - 96);

  u32(108, 1);
  i64(112, n); // null_count stays 0
  u32(132, 3);
  // validity {0, 0} at 136 stays zero
  i64(152, 0);
  i64(160, offsetBytes);
  i64(168, padded8(offsetBytes));
  i64(176, utf8);
  return [bytes, body];
}
