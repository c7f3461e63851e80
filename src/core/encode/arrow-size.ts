/**
 * The exact length in bytes of the Arrow IPC stream `arrowIpcChunks` writes for `rows` rows of a
 * frame schema, computed without encoding any row: the stream is the schema message (apache-arrow's
 * flatbuffer of the fields and the custom metadata, framed and padded to 8 bytes), then per record
 * batch of at most `ARROW_BATCH_ROWS` rows its message (`recordBatchMessage`: 8 + 96 + 48 bytes per
 * column) and its body (8 bytes per value: `ts` as int64, the value columns as Float64, no
 * validity bitmaps), then the 8-byte end-of-stream marker. An empty frame is one empty batch.
 *
 * Used by the pre-flight estimate (src/provider/estimate): the columns are fixed-width, so only the
 * schema message depends on anything but the row count, and it is measured once per schema and
 * metadata by encoding the schema message of an empty frame.
 */
import { emptyFrame } from '../frame.js';
import type { FrameSchema } from '../frame-schema.js';
import { ARROW_BATCH_ROWS, arrowIpcChunks } from './arrow-ipc.js';

/** Continuation marker and length before each message's flatbuffer. */
const MESSAGE_PREFIX_BYTES = 8;
/** The record-batch flatbuffer: 96 bytes plus 48 per column (arrow-batch-message.ts). */
const BATCH_FLATBUFFER_FIXED_BYTES = 96;
const BATCH_FLATBUFFER_PER_COLUMN_BYTES = 48;
const VALUE_BYTES = 8;
const END_OF_STREAM_BYTES = 8;

/** Schema message bytes of each frame schema with no caller metadata, measured once. */
const SCHEMA_MESSAGE_BYTES = new Map<FrameSchema, number>();

/** The bytes of the schema message of `schema`'s stream carrying `metadata`. */
export function arrowSchemaMessageBytes(schema: FrameSchema, metadata?: Record<string, string>): number {
  const plain = metadata === undefined || Object.keys(metadata).length === 0;
  const known = plain ? SCHEMA_MESSAGE_BYTES.get(schema) : undefined;
  if (known !== undefined) return known;
  // The first piece of a stream is its schema message; nothing else is encoded.
  const first = arrowIpcChunks(emptyFrame(schema), metadata ?? {}).next();
  const bytes = first.done === true ? 0 : first.value.byteLength;
  if (plain) SCHEMA_MESSAGE_BYTES.set(schema, bytes);
  return bytes;
}

/**
 * The length of `arrowIpcChunks(frame, metadata)` for a frame of `schema` with `rows` rows
 * (the gateway's Arrow body of a read, whose metadata is `{ 'seamless.metadata': <read metadata JSON> }`).
 */
export function arrowIpcByteLength(schema: FrameSchema, rows: number, metadata?: Record<string, string>, batchRows: number = ARROW_BATCH_ROWS): number {
  const columns = 1 + schema.columns.length;
  const batches = Math.max(1, Math.ceil(rows / batchRows));
  const batchMessage = MESSAGE_PREFIX_BYTES + BATCH_FLATBUFFER_FIXED_BYTES + BATCH_FLATBUFFER_PER_COLUMN_BYTES * columns;
  return arrowSchemaMessageBytes(schema, metadata) + batches * batchMessage + rows * columns * VALUE_BYTES + END_OF_STREAM_BYTES;
}
