/**
 * A universe answer (long format) as an Arrow IPC stream: a `node` column of type
 * Dictionary<Utf8, Int32> (the node ids once, in a dictionary batch; per row a 4-byte index),
 * then `ts` and the value columns exactly as a single read's stream (arrow-ipc.ts).
 *
 * The schema and dictionary messages are apache-arrow's: its stream writer writes a zero-row
 * batch of the schema, and the messages before that batch are kept. The record batches are
 * written as single reads' are (arrow-batch-message.ts, `recordBatchMessageOf` with a 4-byte
 * first column): their bodies are the columns' own bytes; only `ts` and the index column are
 * built (8 and 4 bytes a row), so no row object and no copy of a value column.
 */
import type { Data, DataType, Field } from 'apache-arrow';
import { InternalError } from '../errors.js';
import { nodeIndexColumn } from '../universe-frame.js';
import type { UniverseFrame } from '../universe-frame.js';
import { padded8, recordBatchMessageOf } from './arrow-batch-message.js';
import { ARROW_BATCH_ROWS, ARROW_SCHEMA_KEY, END_OF_STREAM, arrow, arrowFields, tsToInt64Words } from './arrow-ipc.js';

/** Dictionary id of the `node` column. */
const NODE_DICTIONARY_ID = 0;
const HEADER_SCHEMA = 1;
const HEADER_DICTIONARY_BATCH = 2;

const bytesOf = (a: Float64Array | BigInt64Array | Int32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The schema message and the dictionary batch of `u`'s stream (apache-arrow's bytes). */
function schemaAndDictionary(u: UniverseFrame, metadata: Record<string, string>): Uint8Array {
  const meta = new Map<string, string>(Object.entries(metadata));
  meta.set(ARROW_SCHEMA_KEY, u.frame.schema.name);
  return schemaAndNodeDictionary(u.nodes, arrowFields(u.frame.schema), meta);
}

/**
 * The schema message (a leading `node` column of type Dictionary<Utf8, Int32>, then `fields`,
 * custom metadata `metadata`) and the dictionary batch of `nodes`, as apache-arrow writes them:
 * its stream writer writes a zero-row batch of the schema, and the messages before that batch
 * are kept.
 */
function schemaAndNodeDictionary(nodes: readonly string[], fields: readonly Field[], metadata: ReadonlyMap<string, string>): Uint8Array {
  const A = arrow();
  const nodeType = new A.Dictionary(new A.Utf8(), new A.Int32(), NODE_DICTIONARY_ID, false);
  const all = [new A.Field('node', nodeType, false), ...fields];
  const schema = new A.Schema(all, new Map(metadata));
  const children: Data[] = [A.makeData({ type: nodeType, length: 0, nullCount: 0, data: new Int32Array(0), dictionary: A.vectorFromArray([...nodes], new A.Utf8()) })];
  for (const f of fields) children.push(A.makeData({ type: f.type as DataType, length: 0, nullCount: 0 }));
  const batch = new A.RecordBatch(schema, A.makeData({ type: new A.Struct(all), length: 0, nullCount: 0, children }));
  const stream = A.RecordBatchStreamWriter.writeAll([batch]).toUint8Array(true);
  // Keep the messages up to the first that is neither the schema nor a dictionary batch.
  let at = 0;
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  while (at + 8 <= stream.byteLength) {
    const length = view.getInt32(at + 4, true);
    if (length === 0) break;
    const message = A.Message.decode(stream.subarray(at + 8, at + 8 + length));
    if (message.headerType !== HEADER_SCHEMA && message.headerType !== HEADER_DICTIONARY_BATCH) break;
    at += 8 + length + Number(message.bodyLength);
  }
  if (at === 0) throw new InternalError('apache-arrow wrote no schema message for the node-dictionary stream');
  return stream.slice(0, at);
}

/**
 * `u` as an Arrow IPC stream, in pieces (as `arrowIpcChunks`): schema and dictionary, then per
 * record batch of at most `batchRows` rows its message, the node indices (padded to 8 bytes),
 * `ts` as int64 and views of the value columns, then the end-of-stream marker.
 */
export function* universeArrowChunks(u: UniverseFrame, metadata: Record<string, string> = {}, batchRows: number = ARROW_BATCH_ROWS): Generator<Uint8Array> {
  yield schemaAndDictionary(u, metadata);
  const { frame } = u;
  const n = frame.length;
  const widths = [4, 8];
  for (let c = 0; c < frame.values.length; c++) widths.push(8);
  for (let from = 0; from === 0 || from < n; from += batchRows) {
    const to = Math.min(n, from + batchRows);
    const rows = to - from;
    yield recordBatchMessageOf(rows, widths);
    if (rows === 0) break;
    const index = bytesOf(nodeIndexColumn(u, from, to));
    yield index;
    if (padded8(index.byteLength) > index.byteLength) yield new Uint8Array(padded8(index.byteLength) - index.byteLength);
    yield bytesOf(tsToInt64Words(frame.ts.subarray(from, to)));
    for (const col of frame.values) yield bytesOf(col.subarray(from, to));
  }
  yield END_OF_STREAM;
}

/** `u` as one Arrow IPC stream (`universeArrowChunks` joined). */
export function encodeUniverseArrow(u: UniverseFrame, metadata: Record<string, string> = {}): Uint8Array {
  return Buffer.concat([...universeArrowChunks(u, metadata)]);
}
