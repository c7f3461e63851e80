/**
 * The replay→live seam of one dataset in one subscription. The subscription follows the live bars
 * FIRST; while history is replayed from storage, closed live bars are held here (newest values per
 * ts win). Replayed rows are passed on only past the last closed bar delivered, and when the replay
 * ends the held bars newer than it follow, ascending; from then on a live closed bar is passed on
 * only when newer than the last delivered. So, whatever the timing of closes against the replay,
 * the client sees every bar of storage + live exactly once, in ascending ts (no gap, no duplicate).
 *
 *   replaying ──finishReplay()──▶ live
 *   (closes held)                 (closes passed on when ts > last delivered)
 *
 * A closed bar older than the last one delivered (a late, out-of-order close) is not sent: the
 * stream stays ascending; reads see it in storage.
 */
import { allocateFrame, lowerBound } from '../../core/index.js';
import type { Frame, FrameSchema } from '../../core/index.js';

export type SeamPhase = 'replaying' | 'live';

export class DatasetSeam {
  readonly schema: FrameSchema;
  /** ts of the last closed bar delivered; undefined before the first. */
  lastDelivered: number | undefined;
  phase: SeamPhase;
  /** Closed live bars held during the replay: ts → values. Only while replaying (a bounded, short-lived set). */
  readonly #held: Map<number, Float64Array>;
  #heldBytes: number;

  constructor(schema: FrameSchema, lastDelivered: number | undefined) {
    this.schema = schema;
    this.lastDelivered = lastDelivered;
    this.phase = 'replaying';
    this.#held = new Map();
    this.#heldBytes = 0;
  }

  /** Bytes held for after the replay (the subscription bounds them). */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Holds a closed live bar that arrived during the replay (values are copied by the caller's source). */
  hold(ts: number, values: Float64Array): void {
    if (!this.#held.has(ts)) this.#heldBytes += 8 * (values.length + 1);
    this.#held.set(ts, values);
  }

  /** The rows of a replayed frame (ascending) past the last delivered; `delivered` marks each part as it is sent. */
  replayable(frame: Frame): Frame {
    const from = this.lastDelivered === undefined ? 0 : lowerBound(frame.ts, this.lastDelivered + 1);
    return frame.slice(from, frame.length);
  }

  /** Marks closed bars up to `ts` delivered (a replay part was sent). */
  delivered(ts: number): void {
    if (this.lastDelivered === undefined || ts > this.lastDelivered) this.lastDelivered = ts;
  }

  /** Ends the replay: the held bars past the last delivered, ascending, as one frame (marked delivered). */
  finishReplay(): Frame {
    this.phase = 'live';
    const last = this.lastDelivered ?? Number.NEGATIVE_INFINITY;
    const ts: number[] = [];
    for (const t of this.#held.keys()) if (t > last) ts.push(t);
    ts.sort((a, b) => a - b);
    const width = this.schema.columns.length;
    const out = allocateFrame(this.schema, ts.length);
    for (let i = 0; i < ts.length; i++) {
      out.ts[i] = ts[i];
      const row = this.#held.get(ts[i]) as Float64Array;
      for (let c = 0; c < width; c++) (out.values[c] as Float64Array)[i] = row[c];
    }
    this.#held.clear();
    this.#heldBytes = 0;
    if (ts.length > 0) this.lastDelivered = ts[ts.length - 1];
    return out;
  }

  /** Live phase: whether a closed bar at `ts` is to be delivered (then it is marked delivered). */
  acceptLive(ts: number): boolean {
    if (this.lastDelivered !== undefined && ts <= this.lastDelivered) return false;
    this.lastDelivered = ts;
    return true;
  }

  /** Live phase: whether a building update at `ts` is to be sent (never at or before a delivered close). */
  acceptBuilding(ts: number): boolean {
    return this.lastDelivered === undefined || ts > this.lastDelivered;
  }
}
