/**
 * The columnar blob a snapshot keeps per dataset, the same in every engine: `ts` then each value
 * column of the schema, each `rows` float64 little-endian values, back to back. Encoding is one
 * copy per column (TypedArray.set over the host's bytes, no per-row work); decoding copies the
 * blob into one aligned buffer and views the columns over it.
 */
import { InternalError, createFrame } from '../core/index.js';
import type { Frame, FrameSchema } from '../core/index.js';
import { StorageEngineError } from './errors.js';

// Float64Array uses the host's byte order; the blob format is little-endian.
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

export function encodeSnapshotColumns(frame: Frame): Uint8Array {
  if (!LITTLE_ENDIAN) throw new InternalError('snapshot columns are encoded on little-endian hosts only');
  const n = frame.length;
  const all = new Float64Array(n * (1 + frame.values.length));
  all.set(frame.ts.subarray(0, n), 0);
  for (let c = 0; c < frame.values.length; c++) all.set(frame.values[c].subarray(0, n), (c + 1) * n);
  return new Uint8Array(all.buffer);
}

export function decodeSnapshotColumns(bytes: Uint8Array, rows: number, schema: FrameSchema, engine: string): Frame {
  if (!LITTLE_ENDIAN) throw new InternalError('snapshot columns are decoded on little-endian hosts only');
  const width = 1 + schema.columns.length;
  if (bytes.byteLength !== rows * width * 8) {
    throw new StorageEngineError(engine, 'snapshot.read', `snapshot blob holds ${bytes.byteLength} bytes, expected ${rows * width * 8} for ${rows} rows of ${schema.name}`);
  }
  // One copy into an aligned buffer; the columns are views over it.
  const all = new Float64Array(rows * width);
  new Uint8Array(all.buffer).set(bytes);
  const values: Float64Array[] = [];
  for (let c = 1; c < width; c++) values.push(all.subarray(c * rows, (c + 1) * rows));
  return createFrame(schema, all.subarray(0, rows), values);
}
