/**
 * Frames to and from the Apache Arrow IPC *stream* format (`application/vnd.apache.arrow.stream`).
 *
 * Wire layout written by `encodeArrowIpc`: one record batch; `ts` is
 * `Timestamp(MILLISECOND, "UTC")` (int64, so pandas/polars read it as a tz-aware datetime), every
 * value column is a non-nullable `Float64` (a missing value stays NaN, it is not an Arrow null).
 * The schema's custom metadata carries the caller's string map plus `seamless.schema` = the
 * frame schema name (the read metadata JSON goes under `seamless.metadata`, API.md).
 */
import { createRequire } from 'node:module';
import type * as ArrowModule from 'apache-arrow';
import type { Data, Field, Table } from 'apache-arrow';
import { InternalError, InvalidRequestError } from '../errors.js';
import { FRAME_SCHEMAS, frameSchemaByName } from '../frame-schema.js';
import type { FrameSchema } from '../frame-schema.js';
import { createFrame } from '../frame.js';
import { recordBatchMessage } from './arrow-batch-message.js';
import type { Frame } from '../frame.js';

/**
 * apache-arrow, loaded at the first Arrow encode or decode rather than at startup: its ~150
 * modules keep 15–20 MB resident in a gateway that never serves Arrow (bench/load/idle-rss.bench.ts).
 * Loaded synchronously through `require` (the package ships a CommonJS build for Node), so the
 * encoders stay synchronous; only bytes cross this module's boundary, so the CommonJS copy never
 * meets an ESM copy's classes.
 */
let arrowModule: typeof ArrowModule | undefined;
export function arrow(): typeof ArrowModule {
  arrowModule ??= createRequire(import.meta.url)('apache-arrow') as typeof ArrowModule;
  return arrowModule;
}

/** Schema metadata key holding the frame schema name (`ohlcv`, `tick`, `quote`). */
export const ARROW_SCHEMA_KEY = 'seamless.schema';
/** Schema metadata key under which the gateway puts the read metadata as JSON. */
export const ARROW_METADATA_KEY = 'seamless.metadata';

export interface DecodedArrow {
  readonly frame: Frame;
  /** The schema's custom metadata, `seamless.schema` included. */
  readonly metadata: Record<string, string>;
}

const TWO_32 = 4294967296;

/**
 * Epoch-ms doubles to int64 words, written as (lo, hi) uint32 pairs into one buffer. Cost: one
 * pass and one allocation of 8 bytes per row. The obvious `out[i] = BigInt(t)` (what
 * apache-arrow's own builder does per value) allocates one BigInt per row: 29 ms against 6 ms
 * for 1 M rows (bench/core/encoders.bench.ts). A zero-copy view is impossible because the bit
 * patterns of a double and an int64 differ.
 * Arrow JS assumes a little-endian host, as does this word order.
 */
export function tsToInt64Words(ts: Float64Array): BigInt64Array {
  const n = ts.length;
  const words = new Uint32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const t = ts[i];
    if (!Number.isSafeInteger(t)) throw new InternalError(`frame ts[${i}] = ${t} is not an integer epoch ms; cannot encode as an Arrow timestamp`);
    const hi = Math.floor(t / TWO_32);
    words[2 * i] = t - hi * TWO_32; // low word, 0 ≤ lo < 2^32 also for negative t
    words[2 * i + 1] = hi; // Uint32Array stores hi mod 2^32: two's complement for negative t
  }
  return new BigInt64Array(words.buffer, 0, n);
}

/** The Arrow fields of `schema`: `ts` as Timestamp(ms, UTC), the value columns as Float64. */
export function arrowFields(schema: FrameSchema): Field[] {
  const { Field, Float64, TimestampMillisecond } = arrow();
  const fields: Field[] = [new Field('ts', new TimestampMillisecond('UTC'), false)];
  for (let c = 0; c < schema.columns.length; c++) fields.push(new Field(schema.columns[c].name, new Float64(), false));
  return fields;
}

function schemaMetadata(frame: Frame, metadata: Record<string, string>): Map<string, string> {
  const meta = new Map<string, string>(Object.entries(metadata));
  meta.set(ARROW_SCHEMA_KEY, frame.schema.name);
  return meta;
}

/** The end-of-stream marker of the IPC stream format: continuation 0xFFFFFFFF, then length 0. */
export const END_OF_STREAM = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** The Arrow fields of each frame schema, built once (the frame schemas are fixed). */
const FIELDS = new Map<FrameSchema, Field[]>();

/**
 * The schema message of `frame`'s stream: apache-arrow's flatbuffer (`Message.encode`), framed as
 * its stream writer frames it (continuation, length, flatbuffer, zero padding to 8 bytes). The
 * writer itself (a Table, a sink, a reset per stream) cost ~1 ms a request on small reads, several
 * times the encoding.
 */
function schemaMessage(frame: Frame, metadata: Record<string, string>): Uint8Array {
  const { Message, Schema } = arrow();
  let fields = FIELDS.get(frame.schema);
  if (fields === undefined) FIELDS.set(frame.schema, (fields = arrowFields(frame.schema)));
  const flatbuffer = Message.encode(Message.from(new Schema(fields, schemaMetadata(frame, metadata))));
  const size = (flatbuffer.byteLength + 8 + 7) & ~7;
  const out = new Uint8Array(size);
  const head = new DataView(out.buffer);
  head.setInt32(0, -1, true);
  head.setInt32(4, size - 8, true);
  out.set(flatbuffer, 8);
  return out;
}

/** Encodes `frame` as an Arrow IPC stream of one record batch. `metadata` goes into the schema's custom metadata. */
export function encodeArrowIpc(frame: Frame, metadata: Record<string, string> = {}): Uint8Array {
  return Buffer.concat([...arrowIpcChunks(frame, metadata, Math.max(1, frame.length))]);
}

/** Rows per record batch of `arrowIpcChunks`: 3 MB of OHLCV columns. */
export const ARROW_BATCH_ROWS = 65_536;

const bytesOf = (a: Float64Array | BigInt64Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * The frame as an Arrow IPC stream, in pieces: the schema message (with `metadata`), then per
 * record batch of at most `batchRows` rows its message and its body, one piece per column, then
 * the end-of-stream marker. Concatenated, the pieces are one IPC stream that `tableFromIPC` /
 * `RecordBatchReader` read as `ceil(length / batchRows)` batches (one, empty, for an empty frame).
 * A caller can send each piece as it comes and let its event loop turn between them.
 *
 * No column is copied: a value column's piece is a view of the frame's own Float64Array (the
 * caller must not change the frame while it holds the pieces); only `ts` is converted, doubles to
 * int64 words (`tsToInt64Words`, 8 bytes a row of the batch). The schema message is apache-arrow's;
 * the batch messages are written by arrow-batch-message.ts, since apache-arrow's writer would copy
 * every body into its output (and build a Table, a RecordBatch and a stream per batch).
 */
export function* arrowIpcChunks(frame: Frame, metadata: Record<string, string> = {}, batchRows: number = ARROW_BATCH_ROWS): Generator<Uint8Array> {
  yield schemaMessage(frame, metadata);
  const n = frame.length;
  const columns = 1 + frame.values.length;
  let fullBatch: Uint8Array | undefined;
  for (let from = 0; from === 0 || from < n; from += batchRows) {
    const to = Math.min(n, from + batchRows);
    const rows = to - from;
    yield rows === batchRows ? (fullBatch ??= recordBatchMessage(rows, columns)) : recordBatchMessage(rows, columns);
    if (rows === 0) break;
    yield bytesOf(tsToInt64Words(frame.ts.subarray(from, to)));
    for (const col of frame.values) yield bytesOf(col.subarray(from, to));
  }
  yield END_OF_STREAM;
}

/** Picks the frame schema: by `seamless.schema`, else by the set of column names. */
function resolveSchema(names: readonly string[], meta: Map<string, string>): FrameSchema {
  const byName = meta.get(ARROW_SCHEMA_KEY);
  if (byName !== undefined) {
    const schema = frameSchemaByName(byName);
    if (schema === undefined) throw new InvalidRequestError('arrow', `unknown frame schema "${byName}" in ${ARROW_SCHEMA_KEY}`, { schema: byName });
    return schema;
  }
  const present = new Set(names);
  for (const schema of Object.values(FRAME_SCHEMAS)) {
    if (schema.columns.length + 1 !== present.size || !present.has('ts')) continue;
    if (schema.columns.every((c) => present.has(c.name))) return schema;
  }
  throw new InvalidRequestError('arrow', `columns [${names.join(', ')}] match no known frame schema`, { columns: names });
}

/** Epoch ms of chunk `data` of the ts column, written into `out` at `at`. */
function readTs(data: Data, out: Float64Array, at: number): void {
  const { DataType, TimeUnit } = arrow();
  const n = data.length;
  const type = data.type as ArrowModule.DataType;
  if (DataType.isTimestamp(type) && type.unit === TimeUnit.MILLISECOND && data.nullCount === 0) {
    // int64 → double through the two uint32 words: no BigInt per row (see tsToInt64Words).
    const v = data.values as BigInt64Array;
    const words = new Uint32Array(v.buffer, v.byteOffset + data.offset * 8, n * 2);
    for (let i = 0; i < n; i++) out[at + i] = (words[2 * i + 1] | 0) * TWO_32 + words[2 * i];
    return;
  }
  if (DataType.isFloat(type) && type.precision === 2 && data.nullCount === 0) {
    out.set((data.values as Float64Array).subarray(data.offset, data.offset + n), at);
    return;
  }
  if (!DataType.isTimestamp(type) && !DataType.isInt(type) && !DataType.isFloat(type)) {
    throw new InvalidRequestError('arrow', `column ts has unsupported type ${String(type)}`);
  }
  readSlow(data, out, at, 'ts');
}

/**
 * Generic per-value path for foreign writers (other timestamp units, ints, nullable columns):
 * apache-arrow's getter converts each value to a JS number (timestamps to ms). Nulls become NaN.
 */
function readSlow(data: Data, out: Float64Array, at: number, name: string): void {
  const vector = arrow().makeVector(data);
  for (let i = 0; i < data.length; i++) {
    const v: unknown = vector.get(i);
    if (v === null) out[at + i] = Number.NaN;
    else if (typeof v === 'number') out[at + i] = v;
    else if (typeof v === 'bigint') out[at + i] = Number(v);
    else throw new InvalidRequestError('arrow', `column ${name} holds a non-numeric value at row ${at + i}`);
  }
}

function readValues(data: Data, out: Float64Array, at: number, name: string): void {
  const { DataType } = arrow();
  const type = data.type as ArrowModule.DataType;
  if (DataType.isFloat(type) && type.precision === 2 && data.nullCount === 0) {
    out.set((data.values as Float64Array).subarray(data.offset, data.offset + data.length), at);
    return;
  }
  if (!DataType.isInt(type) && !DataType.isFloat(type) && !DataType.isDecimal(type)) {
    throw new InvalidRequestError('arrow', `column ${name} has unsupported type ${String(type)}; expected Float64`);
  }
  readSlow(data, out, at, name);
}

/** The chunks of a column as one Float64Array: the chunk's own view when there is exactly one. */
export function float64Column(chunks: readonly Data[], length: number, name: string, isTs: boolean): Float64Array {
  if (!isTs && chunks.length === 1) {
    const d = chunks[0];
    const { DataType } = arrow();
    const type = d.type as ArrowModule.DataType;
    // Zero-copy: one Float64 chunk without nulls is a view into the decoded bytes.
    if (DataType.isFloat(type) && type.precision === 2 && d.nullCount === 0) return (d.values as Float64Array).subarray(d.offset, d.offset + d.length);
  }
  const out = new Float64Array(length);
  let at = 0;
  for (const d of chunks) {
    if (isTs) readTs(d, out, at);
    else readValues(d, out, at, name);
    at += d.length;
  }
  return out;
}

/**
 * Decodes an Arrow IPC stream (or file) into a Frame and the schema's custom metadata. All record
 * batches are read. The frame's value columns may be views over `bytes` (single-batch streams are
 * not copied), so the caller must not reuse `bytes` afterwards. Bad input → InvalidRequestError
 * on field `arrow`.
 */
export function decodeArrowIpc(bytes: Uint8Array): DecodedArrow {
  // apache-arrow builds Float64Array views straight over the body, which throws on a misaligned
  // offset (e.g. a slice of Node's pooled Buffer); copy once only in that case.
  const input = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  let table: Table;
  try {
    table = arrow().tableFromIPC(input);
  } catch (cause) {
    throw new InvalidRequestError('arrow', 'body is not a readable Arrow IPC stream', {}, { cause });
  }
  const fields = table.schema.fields;
  const names: string[] = [];
  for (const f of fields) names.push(f.name);
  const schema = resolveSchema(names, table.schema.metadata);
  const length = table.numRows;

  const chunksOf = (name: string): readonly Data[] => {
    const idx = names.indexOf(name);
    if (idx < 0) throw new InvalidRequestError('arrow', `column ${name} of schema ${schema.name} is missing`, { column: name });
    const child = table.getChildAt(idx);
    return child === null ? [] : (child.data as readonly Data[]);
  };
  const ts = float64Column(chunksOf('ts'), length, 'ts', true);
  const values: Float64Array[] = [];
  for (const c of schema.columns) values.push(float64Column(chunksOf(c.name), length, c.name, false));

  const metadata: Record<string, string> = {};
  for (const [k, v] of table.schema.metadata) metadata[k] = v;
  return { frame: createFrame(schema, ts, values), metadata };
}
