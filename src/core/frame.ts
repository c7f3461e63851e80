/**
 * The columnar Frame: `ts` plus one Float64Array per value column of its schema. Frames are
 * immutable by convention (nobody writes into a frame they did not build) and slicing returns
 * views, so moving a frame between cache, storage and encoders copies nothing.
 */
import { InternalError } from './errors.js';
import type { FrameSchema } from './frame-schema.js';

export interface Frame {
  readonly schema: FrameSchema;
  readonly length: number;
  /** Bar open times, epoch ms, ascending. */
  readonly ts: Float64Array;
  /** Value columns in schema order. */
  readonly values: readonly Float64Array[];
  /** The named column (`ts` included); throws InternalError for a name not in the schema. */
  column(name: string): Float64Array;
  /** Rows [from, to) as views over the same buffers. */
  slice(from: number, to: number): Frame;
  /** Bytes held by the columns (what the response cache charges). */
  readonly byteLength: number;
}

class ColumnarFrame implements Frame {
  readonly schema: FrameSchema;
  readonly length: number;
  readonly ts: Float64Array;
  readonly values: readonly Float64Array[];
  readonly byteLength: number;

  constructor(schema: FrameSchema, ts: Float64Array, values: readonly Float64Array[]) {
    if (values.length !== schema.columns.length) {
      throw new InternalError(`frame of schema ${schema.name} needs ${schema.columns.length} value columns, got ${values.length}`);
    }
    for (let c = 0; c < values.length; c++) {
      if (values[c].length !== ts.length) {
        throw new InternalError(`column ${schema.columns[c].name} has ${values[c].length} rows, ts has ${ts.length}`);
      }
    }
    this.schema = schema;
    this.length = ts.length;
    this.ts = ts;
    this.values = values;
    this.byteLength = ts.byteLength * (values.length + 1);
  }

  column(name: string): Float64Array {
    if (name === 'ts') return this.ts;
    const cols = this.schema.columns;
    for (let c = 0; c < cols.length; c++) if (cols[c].name === name) return this.values[c];
    throw new InternalError(`column ${name} is not in schema ${this.schema.name}`);
  }

  slice(from: number, to: number): Frame {
    const a = Math.max(0, Math.min(from, this.length));
    const b = Math.max(a, Math.min(to, this.length));
    if (a === 0 && b === this.length) return this;
    return new ColumnarFrame(this.schema, this.ts.subarray(a, b), this.values.map((v) => v.subarray(a, b)));
  }
}

/** Wraps existing columns (no copy). `values` are in schema order. */
export function createFrame(schema: FrameSchema, ts: Float64Array, values: readonly Float64Array[]): Frame {
  return new ColumnarFrame(schema, ts, values);
}

/** Allocates zeroed columns for `length` rows. */
export function allocateFrame(schema: FrameSchema, length: number): Frame {
  const values: Float64Array[] = [];
  for (let c = 0; c < schema.columns.length; c++) values.push(new Float64Array(length));
  return new ColumnarFrame(schema, new Float64Array(length), values);
}

/** One empty frame per schema: zero-length columns cannot change, so every read shares it (no allocation per read). */
const EMPTY_FRAMES = new WeakMap<FrameSchema, Frame>();

export function emptyFrame(schema: FrameSchema): Frame {
  let frame = EMPTY_FRAMES.get(schema);
  if (frame === undefined) {
    frame = allocateFrame(schema, 0);
    EMPTY_FRAMES.set(schema, frame);
  }
  return frame;
}

/**
 * Concatenates frames of one schema in the given order into fresh columns (one copy per column
 * with TypedArray.set, no per-row work).
 */
export function concatFrames(schema: FrameSchema, frames: readonly Frame[]): Frame {
  const nonEmpty = frames.filter((f) => f.length > 0);
  if (nonEmpty.length === 0) return emptyFrame(schema);
  if (nonEmpty.length === 1) return nonEmpty[0];
  let total = 0;
  for (const f of nonEmpty) total += f.length;
  const out = allocateFrame(schema, total);
  let at = 0;
  for (const f of nonEmpty) {
    if (f.schema.columns.length !== schema.columns.length) throw new InternalError(`cannot concat ${f.schema.name} into ${schema.name}`);
    out.ts.set(f.ts, at);
    for (let c = 0; c < out.values.length; c++) (out.values[c] as Float64Array).set(f.values[c], at);
    at += f.length;
  }
  return out;
}

/** Index of the first row with ts >= t (binary search; ts ascending). */
export function lowerBound(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Rows with start <= ts < end, as a view. */
export function sliceByTime(frame: Frame, start: number, end: number): Frame {
  return frame.slice(lowerBound(frame.ts, start), lowerBound(frame.ts, end));
}
