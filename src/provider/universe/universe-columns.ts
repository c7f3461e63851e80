/**
 * The columns of a universe answer: every dataset's frame, one after another in request order.
 * When those frames are adjacent views of the same columns, which is what a universe read of
 * stored bars produces (`BarStore.readMany` answers dataset after dataset in request order and
 * each pipeline answers a zero-copy slice of it, prefetched-store.ts), the answer is one view of
 * those columns; otherwise the frames are copied into fresh columns.
 *
 * Cost avoided: a second copy of every row (500 × 1,440 OHLCV bars: 35 MB written, about 1/8 of
 * the universe read, bench/provider/universe.bench.ts).
 */
import { allocateFrame, createFrame } from '../../core/index.js';
import type { Frame, FrameSchema } from '../../core/index.js';

/** `frames[i]` (undefined: a failed dataset, no rows) joined; `offsets[i]`..`offsets[i + 1]` is frame i's span. */
export function joinUniverseFrames(schema: FrameSchema, frames: readonly (Frame | undefined)[]): { frame: Frame; offsets: Int32Array } {
  const offsets = new Int32Array(frames.length + 1);
  let total = 0;
  for (let i = 0; i < frames.length; i++) {
    total += frames[i]?.length ?? 0;
    offsets[i + 1] = total;
  }
  return { frame: adjacentView(schema, frames, total) ?? copied(schema, frames, total), offsets };
}

/** One view over the frames' shared columns, or undefined when they are not adjacent views of the same columns. */
function adjacentView(schema: FrameSchema, frames: readonly (Frame | undefined)[], total: number): Frame | undefined {
  let first: Frame | undefined;
  let previous: Frame | undefined;
  for (const f of frames) {
    if (f === undefined || f.length === 0) continue;
    if (f.schema.columns.length !== schema.columns.length) return undefined;
    if (previous !== undefined && !(follows(previous.ts, f.ts) && previous.values.every((v, c) => follows(v, f.values[c])))) return undefined;
    first ??= f;
    previous = f;
  }
  if (first === undefined) return undefined;
  // Adjacent views each inside their buffer: the joined view is inside it too.
  const view = (column: Float64Array): Float64Array => new Float64Array(column.buffer, column.byteOffset, total);
  return createFrame(schema, view(first.ts), first.values.map(view));
}

/** `b` starts where `a` ends, in the same buffer. */
function follows(a: Float64Array, b: Float64Array): boolean {
  return a.buffer === b.buffer && a.byteOffset + a.byteLength === b.byteOffset;
}

function copied(schema: FrameSchema, frames: readonly (Frame | undefined)[], total: number): Frame {
  const frame = allocateFrame(schema, total);
  let at = 0;
  for (const f of frames) {
    if (f === undefined || f.length === 0) continue;
    frame.ts.set(f.ts, at);
    for (let c = 0; c < frame.values.length; c++) (frame.values[c] as Float64Array).set(f.values[c], at);
    at += f.length;
  }
  return frame;
}
