/**
 * The live buffer of one dataset: the most recent closed bars in a bounded ring of typed arrays
 * (one Float64Array per column, ascending by ts), plus the one bar still building. The newest
 * update for a ts wins: a closed bar received again replaces the one held, and a bar that
 * closes replaces the building one. Snapshots copy the rows they return (the ring is reused),
 * two `TypedArray.set` calls per column, no per-row objects. The ring starts small and doubles up
 * to `capacity` as bars arrive: 1,000 live datasets do not allocate 1,000 full rings (480 MB at the
 * default 10,000 bars) before their first bar.
 */
import { InternalError, allocateFrame } from '../../core/index.js';
import type { Frame, FrameSchema, TimeRange } from '../../core/index.js';

/** What one update did. */
export type LiveUpdateOutcome =
  | 'appended' // a closed bar newer than every one held
  | 'replaced' // a closed bar for a ts already held: the newer values won
  | 'inserted' // a closed bar older than the newest, placed in order
  | 'too_old' // a closed bar older than everything a full ring holds: dropped
  | 'building' // the building bar was set or updated
  | 'stale'; // a building update for a ts not newer than the newest closed bar: ignored

export interface LiveBuffer {
  readonly schema: FrameSchema;
  readonly capacity: number;
  /** Closed bars held. */
  readonly size: number;
  /** ts of the newest closed bar held; undefined while empty. */
  readonly lastClosedTs: number | undefined;
  /** ts of the building bar; undefined when none. */
  readonly buildingTs: number | undefined;
  update(ts: number, values: ArrayLike<number>, closed: boolean): LiveUpdateOutcome;
  /** Forgets the building bar (its connection dropped: its values are no longer current). */
  clearBuilding(): void;
  /** Closed bars with range.start <= ts < range.end, ascending, as a fresh frame. */
  closed(range: TimeRange): Frame;
  /** The building bar as a 1-row frame when its ts lies in `range`. */
  building(range: TimeRange): Frame | undefined;
}

/** Rows a ring starts with. */
const INITIAL_ROWS = 64;

export function createLiveBuffer(schema: FrameSchema, capacity: number): LiveBuffer {
  if (!Number.isSafeInteger(capacity) || capacity < 1) throw new InternalError(`live buffer capacity must be a positive integer, got ${capacity}`);
  const width = schema.columns.length;
  // Rows allocated now (grows by doubling up to `capacity`).
  let room = Math.min(capacity, INITIAL_ROWS);
  let ts = new Float64Array(room);
  let cols: Float64Array[] = [];
  for (let c = 0; c < width; c++) cols.push(new Float64Array(room));
  const building = new Float64Array(width);
  let buildingTs = Number.NaN;
  // Logical row i (0 = oldest) lives at physical index (head + i) % room.
  let head = 0;
  let size = 0;

  const at = (i: number): number => (head + i) % room;

  /** Doubles the rows allocated (at most `capacity`), the held rows moved to the front in order. */
  function grow(): void {
    const next = Math.min(capacity, room * 2);
    const move1 = (from: Float64Array): Float64Array<ArrayBuffer> => {
      const to = new Float64Array(next);
      const first = Math.min(size, room - head);
      to.set(from.subarray(head, head + first), 0);
      if (first < size) to.set(from.subarray(0, size - first), first);
      return to;
    };
    ts = move1(ts);
    cols = cols.map(move1);
    head = 0;
    room = next;
  }

  function write(p: number, t: number, values: ArrayLike<number>): void {
    ts[p] = t;
    for (let c = 0; c < width; c++) cols[c][p] = values[c];
  }

  function move(from: number, to: number): void {
    ts[to] = ts[from];
    for (let c = 0; c < width; c++) cols[c][to] = cols[c][from];
  }

  /** First logical index with ts >= t. */
  function lowerBound(t: number): number {
    let lo = 0;
    let hi = size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ts[at(mid)] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  function dropOldest(): void {
    head = (head + 1) % room;
    size--;
  }

  function closeBar(t: number, values: ArrayLike<number>): LiveUpdateOutcome {
    if (t >= buildingTs) buildingTs = Number.NaN;
    if (size === room && room < capacity) grow();
    if (size === 0 || t > ts[at(size - 1)]) {
      if (size === capacity) dropOldest();
      write(at(size), t, values);
      size++;
      return 'appended';
    }
    let i = lowerBound(t);
    if (i < size && ts[at(i)] === t) {
      write(at(i), t, values);
      return 'replaced';
    }
    if (size === capacity) {
      if (i === 0) return 'too_old';
      dropOldest();
      i--;
    }
    // Rare (an out-of-order close): shift the newer rows one place up.
    for (let k = size; k > i; k--) move(at(k - 1), at(k));
    write(at(i), t, values);
    size++;
    return 'inserted';
  }

  function copyRows(from: number, to: number): Frame {
    const n = to - from;
    const out = allocateFrame(schema, n);
    if (n === 0) return out;
    const p = at(from);
    const first = Math.min(n, room - p); // rows before the ring wraps
    out.ts.set(ts.subarray(p, p + first), 0);
    if (first < n) out.ts.set(ts.subarray(0, n - first), first);
    for (let c = 0; c < width; c++) {
      const dst = out.values[c] as Float64Array;
      dst.set(cols[c].subarray(p, p + first), 0);
      if (first < n) dst.set(cols[c].subarray(0, n - first), first);
    }
    return out;
  }

  return {
    schema,
    capacity,
    get size() { return size; },
    get lastClosedTs() { return size === 0 ? undefined : ts[at(size - 1)]; },
    get buildingTs() { return Number.isNaN(buildingTs) ? undefined : buildingTs; },

    update(t, values, closed) {
      if (closed) return closeBar(t, values);
      if ((size > 0 && t <= ts[at(size - 1)]) || t < buildingTs) return 'stale';
      buildingTs = t;
      for (let c = 0; c < width; c++) building[c] = values[c];
      return 'building';
    },

    clearBuilding() {
      buildingTs = Number.NaN;
    },

    closed(range) {
      return copyRows(lowerBound(range.start), lowerBound(range.end));
    },

    building(range) {
      if (Number.isNaN(buildingTs) || buildingTs < range.start || buildingTs >= range.end) return undefined;
      const out = allocateFrame(schema, 1);
      out.ts[0] = buildingTs;
      for (let c = 0; c < width; c++) (out.values[c] as Float64Array)[0] = building[c];
      return out;
    },
  };
}
