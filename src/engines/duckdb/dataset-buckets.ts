/**
 * The rows of a universe read placed dataset by dataset in request order, as DuckDB hands them
 * over in whatever order its scan finds them (duckdb-many-reader.ts reads with no ORDER BY).
 *
 * Each requested dataset owns a region of the columns sized by its most rows (its grid bound, or
 * its exact count); every run of one dataset id in a chunk is copied into its region with one
 * `TypedArray.set` per column, so the placement is a counting sort with the counts known up front
 * and no per-row JS value. A scan usually returns a dataset's rows in insertion order, which is
 * ascending by ts when its writes were, but nothing promises it: `finishBuckets` checks every
 * region and sorts only the ones that are not ascending (an index sort, then one gather per column).
 *
 * Cost avoided: DuckDB's `ORDER BY dataset_id, ts` over 500 × 1,440 rows was about 70 % of a
 * universe read's storage time (bench/provider/universe.bench.ts); the check is one pass over ts.
 */
import { InternalError, createFrame } from '../../core/index.js';
import type { FrameSchema } from '../../core/index.js';
import type { ManyDatasetsFrame } from '../../storage/index.js';

export interface DatasetBuckets {
  readonly schema: FrameSchema;
  /** ts, then the schema's value columns, each `capacity` long. */
  readonly columns: readonly Float64Array[];
  /** Request position of each dataset id asked for. */
  readonly positionOf: ReadonlyMap<number, number>;
  /** Region of position i: [begin[i], limit[i]); rows placed so far end at fill[i]. */
  readonly begin: Int32Array;
  readonly limit: Int32Array;
  readonly fill: Int32Array;
}

/**
 * Empty regions for `sizes[i]` rows of the dataset at request position i (0 for a dataset
 * without rows or not asked of storage); `positionOf` maps each dataset id read to its position.
 */
export function createBuckets(schema: FrameSchema, positionOf: ReadonlyMap<number, number>, sizes: ArrayLike<number>): DatasetBuckets {
  const n = sizes.length;
  const begin = new Int32Array(n);
  const limit = new Int32Array(n);
  let capacity = 0;
  for (let i = 0; i < n; i++) {
    begin[i] = capacity;
    capacity += sizes[i];
    limit[i] = capacity;
  }
  const columns: Float64Array[] = [];
  for (let c = 0; c <= schema.columns.length; c++) columns.push(new Float64Array(capacity));
  return { schema, columns, positionOf, begin, limit, fill: begin.slice() };
}

/**
 * Places `rows` rows of one chunk: `chunk[0]` the dataset ids, `chunk[1]` ts, then the value
 * columns (views valid until the next chunk is fetched). One `set` per column per run of one id.
 */
export function placeChunk(b: DatasetBuckets, chunk: readonly Float64Array[], rows: number): void {
  const ids = chunk[0];
  const width = b.columns.length;
  for (let r = 0; r < rows;) {
    const id = ids[r];
    let end = r + 1;
    while (end < rows && ids[end] === id) end++;
    const i = b.positionOf.get(id);
    if (i === undefined) throw new InternalError(`a universe read found rows of dataset id ${id}, which it did not ask for`);
    const at = b.fill[i];
    if (at + end - r > b.limit[i]) {
      throw new InternalError(`a universe read found more than ${b.limit[i] - b.begin[i]} rows of dataset id ${id}, the most it can hold in the range`);
    }
    for (let c = 0; c < width; c++) b.columns[c].set(chunk[c + 1].subarray(r, end), at);
    b.fill[i] = at + end - r;
    r = end;
  }
}

/** The placed rows as one frame, dataset after dataset in request order, each ascending by ts. */
export function finishBuckets(b: DatasetBuckets): ManyDatasetsFrame {
  const n = b.begin.length;
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  let length = 0;
  let full = true;
  for (let i = 0; i < n; i++) {
    if (!ascending(b.columns[0], b.begin[i], b.fill[i])) sortRegion(b.columns, b.begin[i], b.fill[i]);
    starts[i] = length;
    length += b.fill[i] - b.begin[i];
    ends[i] = length;
    if (b.fill[i] !== b.limit[i]) full = false;
  }
  // Regions filled to their bound (every bar of the range stored) are already contiguous.
  const columns = full ? b.columns : compact(b, length);
  return { frame: createFrame(b.schema, columns[0], columns.slice(1)), starts, ends };
}

function ascending(ts: Float64Array, from: number, to: number): boolean {
  for (let r = from + 1; r < to; r++) if (!(ts[r] > ts[r - 1])) return false;
  return true;
}

/** Sorts rows [from, to) of every column by ts: an index sort, then one gather per column. */
function sortRegion(columns: readonly Float64Array[], from: number, to: number): void {
  const ts = columns[0];
  const order = new Uint32Array(to - from);
  for (let k = 0; k < order.length; k++) order[k] = from + k;
  order.sort((x, y) => ts[x] - ts[y]);
  const gathered = new Float64Array(order.length);
  for (const column of columns) {
    for (let k = 0; k < order.length; k++) gathered[k] = column[order[k]];
    column.set(gathered, from);
  }
}

/** The regions' rows copied into exact-length columns, closing the gaps of datasets with fewer rows than their bound. */
function compact(b: DatasetBuckets, length: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (const column of b.columns) {
    const exact = new Float64Array(length);
    let at = 0;
    for (let i = 0; i < b.begin.length; i++) {
      exact.set(column.subarray(b.begin[i], b.fill[i]), at);
      at += b.fill[i] - b.begin[i];
    }
    out.push(exact);
  }
  return out;
}
