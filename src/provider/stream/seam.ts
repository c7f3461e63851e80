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

  /**
   * The rows of a replayed frame (ascending) past the last delivered, read for a range ending at
   * `rangeEnd`, with the held live bars of that stretch the read did not see merged in: a chunk
   * read before a bar closed lacks it, and the next chunk would otherwise move the position past
   * it (stored rows win over held ones at the same ts). `delivered` marks each part as it is sent.
   */
  replayable(frame: Frame, rangeEnd: number): Frame {
    const last = this.lastDelivered ?? Number.NEGATIVE_INFINITY;
    const rows = frame.slice(last === Number.NEGATIVE_INFINITY ? 0 : lowerBound(frame.ts, last + 1), frame.length);
    const extra: number[] = [];
    for (const t of this.#held.keys()) {
      if (t <= last || t >= rangeEnd) continue;
      const i = lowerBound(rows.ts, t);
      if (i >= rows.length || rows.ts[i] !== t) extra.push(t);
    }
    if (extra.length === 0) return rows;
    extra.sort((a, b) => a - b);
    const width = this.schema.columns.length;
    const out = allocateFrame(this.schema, rows.length + extra.length);
    let r = 0;
    let h = 0;
    for (let o = 0; o < out.length; o++) {
      const fromRows = h >= extra.length || (r < rows.length && rows.ts[r] < extra[h]);
      if (fromRows) {
        out.ts[o] = rows.ts[r];
        for (let c = 0; c < width; c++) (out.values[c] as Float64Array)[o] = (rows.values[c] as Float64Array)[r];
        r++;
      } else {
        const row = this.#held.get(extra[h]) as Float64Array;
        out.ts[o] = extra[h];
        for (let c = 0; c < width; c++) (out.values[c] as Float64Array)[o] = row[c];
        h++;
      }
    }
    return out;
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
