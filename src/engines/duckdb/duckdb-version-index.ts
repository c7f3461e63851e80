/**
 * The in-process index of each dataset's versions (id, commit time, span, whether it replaced its
 * whole span), columnar, for as-of reads on DuckDB: the version in force at a time, the newest,
 * whether a later version touched a range and whether one replaced all of it, answered in memory. Cost avoided: the query over `bar_versions` that every as-of read
 * made before its rows (about half a plain 1,440-bar read, and it scans every version of the file;
 * bench/storage/as-of-read.bench.ts).
 *
 * Exact because this process is the file's only writer (DuckDB opens a file in one process) and
 * every version is committed by the bar store's write queue (a write or a purge), which tells the
 * index: `writing(id)` inside the transaction, before COMMIT; `committed(id, version)` or
 * `abandoned(id)` after it. So:
 * - while a write of the dataset is in flight the index does not answer (`stamp` is undefined;
 *   the caller reads through SQL);
 * - an entry loaded from `bar_versions` is kept only if no write of the dataset began since the
 *   stamp taken before the load (`install`), so a load cannot miss a version it will never hear of;
 * - a statement that relies on nothing newer having committed (the current rows, unguarded) checks
 *   `unchangedSince(stamp)` after it ran; a write that began meanwhile sends the read to SQL.
 * A COMMIT that fails leaves its outcome unknown: `abandoned` drops the entry (reloaded on use).
 */
import type { TimeRange } from '../../core/index.js';

/** A committed version as the index keeps it. */
export interface IndexedVersion {
  readonly id: number;
  readonly at: number;
  /** The span of its claims (bar_versions.start_ms, end_ms). */
  readonly start: number;
  readonly end: number;
  /** It replaced every row of its span (bar_versions.whole_span). */
  readonly whole: boolean;
}

/** The version in force at a time, as `versionInForce` (duckdb-bar-versions.ts) answers it, without the coverage. */
export interface IndexedInForce {
  readonly id: number;
  readonly at: number;
  readonly newest: { readonly id: number; readonly at: number };
  /** A later version's span overlaps the range. */
  readonly changedSince: boolean;
  /** A later version replaced every row of the range: no current row is as of this one. */
  readonly replacedSince: boolean;
}

/** One dataset's versions, ascending by id (the order they committed in), one array per field. */
export class VersionColumns {
  ids: Float64Array;
  at: Float64Array;
  start: Float64Array;
  end: Float64Array;
  /** 1: the version replaced every row of its span. */
  whole: Uint8Array;
  length = 0;
  /** Commit times never went down (the usual case): the version in force is a binary search. */
  ordered = true;

  constructor(capacity = 16) {
    const n = Math.max(1, capacity);
    this.ids = new Float64Array(n);
    this.at = new Float64Array(n);
    this.start = new Float64Array(n);
    this.end = new Float64Array(n);
    this.whole = new Uint8Array(n);
  }

  /** Appends a version newer (higher id) than every one held. */
  push(id: number, at: number, start: number, end: number, whole: boolean): void {
    if (this.length === this.ids.length) this.#grow(this.length * 2);
    const i = this.length;
    if (i > 0 && at < this.at[i - 1]) this.ordered = false;
    this.ids[i] = id;
    this.at[i] = at;
    this.start[i] = start;
    this.end[i] = end;
    this.whole[i] = whole ? 1 : 0;
    this.length = i + 1;
  }

  /** The newest version committed at or before `asOf` (the highest id among them), or undefined. */
  inForce(asOf: number, range: TimeRange): IndexedInForce | undefined {
    const n = this.length;
    const i = this.ordered ? this.#lastAtOrBefore(asOf) : this.#scanAtOrBefore(asOf);
    if (i < 0) return undefined;
    let changedSince = false;
    for (let j = i + 1; j < n && !changedSince; j++) changedSince = this.start[j] < range.end && this.end[j] > range.start;
    return {
      id: this.ids[i], at: this.at[i], newest: { id: this.ids[n - 1], at: this.at[n - 1] }, changedSince, replacedSince: this.replacedAfter(i, range),
    };
  }

  /** A version after position `i` (-1: any) replaced every row of the range. */
  replacedAfter(i: number, range: TimeRange): boolean {
    for (let j = this.length - 1; j > i; j--) if (this.whole[j] === 1 && this.start[j] <= range.start && this.end[j] >= range.end) return true;
    return false;
  }

  #lastAtOrBefore(asOf: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at[mid] <= asOf) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  #scanAtOrBefore(asOf: number): number {
    for (let i = this.length - 1; i >= 0; i--) if (this.at[i] <= asOf) return i;
    return -1;
  }

  #grow(capacity: number): void {
    const grown = (a: Float64Array): Float64Array => {
      const out = new Float64Array(capacity);
      out.set(a.subarray(0, this.length));
      return out;
    };
    this.ids = grown(this.ids);
    this.at = grown(this.at);
    this.start = grown(this.start);
    this.end = grown(this.end);
    const whole = new Uint8Array(capacity);
    whole.set(this.whole.subarray(0, this.length));
    this.whole = whole;
  }
}

export class DuckDbVersionIndex {
  readonly #entries = new Map<number, VersionColumns>();
  /** Writes of the dataset between `writing` and `committed`/`abandoned` (the write queue runs one at a time). */
  readonly #inFlight = new Map<number, number>();
  /** How many writes of the dataset began, ever: the stamp. */
  readonly #began = new Map<number, number>();

  /** The dataset's stamp, or undefined while a write of it is in flight (then the index must not answer). */
  stamp(datasetId: number): number | undefined {
    return (this.#inFlight.get(datasetId) ?? 0) > 0 ? undefined : this.#began.get(datasetId) ?? 0;
  }

  /** No write of the dataset began since `stamp` was taken, and none is in flight. */
  unchangedSince(datasetId: number, stamp: number): boolean {
    return this.stamp(datasetId) === stamp;
  }

  entry(datasetId: number): VersionColumns | undefined {
    return this.#entries.get(datasetId);
  }

  /** Keeps `columns` (loaded from bar_versions after `stamp` was taken) unless a write of the dataset began since; says whether it did. */
  install(datasetId: number, stamp: number, columns: VersionColumns): boolean {
    if (!this.unchangedSince(datasetId, stamp)) return false;
    this.#entries.set(datasetId, columns);
    return true;
  }

  /** Inside the write's transaction, before its COMMIT. */
  writing(datasetId: number): void {
    this.#inFlight.set(datasetId, (this.#inFlight.get(datasetId) ?? 0) + 1);
    this.#began.set(datasetId, (this.#began.get(datasetId) ?? 0) + 1);
  }

  /** After the COMMIT of a write announced by `writing`. */
  committed(datasetId: number, version: IndexedVersion): void {
    this.#entries.get(datasetId)?.push(version.id, version.at, version.start, version.end, version.whole);
    this.#settle(datasetId);
  }

  /** After a write announced by `writing` failed, COMMIT included: its outcome is unknown, so the entry goes. */
  abandoned(datasetId: number): void {
    this.#entries.delete(datasetId);
    this.#settle(datasetId);
  }

  #settle(datasetId: number): void {
    const left = (this.#inFlight.get(datasetId) ?? 0) - 1;
    if (left > 0) this.#inFlight.set(datasetId, left);
    else this.#inFlight.delete(datasetId);
  }
}
