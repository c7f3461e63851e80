/**
 * Rows of one dataset's range put in ascending ts order in JavaScript, for a query read without
 * ORDER BY (the as-of reads: current and history rows arrive as a UNION ALL, or one table's rows,
 * in whatever order the scans find them). Each row goes to its interval slot of the range's grid (a counting sort;
 * the arrays are already sized by that grid bound), then one gather per column. When two rows
 * share a slot (rows not aligned to the interval) it falls back to an index sort by ts.
 *
 * Cost avoided: DuckDB's ORDER BY over the UNION ALL of the as-of statement, about half the cost
 * of a plain 1,440-bar read (bench/storage/as-of-read.bench.ts); an ascending result is checked
 * in one pass and left as it is.
 */
import type { TimeRange } from '../../core/index.js';

/** `columns[0]` is ts; rows [0, length) of every column are reordered in place, ascending by ts (ts unique). */
export function orderByTs(columns: readonly Float64Array[], length: number, range: TimeRange, intervalMs: number): void {
  const ts = columns[0];
  if (ascending(ts, length)) return;
  const order = slotOrder(ts, length, range, intervalMs) ?? sortedOrder(ts, length);
  const gathered = new Float64Array(length);
  for (const column of columns) {
    for (let k = 0; k < length; k++) gathered[k] = column[order[k]];
    column.set(gathered);
  }
}

function ascending(ts: Float64Array, length: number): boolean {
  for (let r = 1; r < length; r++) if (!(ts[r] > ts[r - 1])) return false;
  return true;
}

/** Row indexes in ts order by grid slot, or undefined when two rows share a slot, one lies outside the range, or the grid is sparse. */
function slotOrder(ts: Float64Array, length: number, range: TimeRange, intervalMs: number): Int32Array | undefined {
  const slots = Math.ceil((range.end - range.start) / intervalMs);
  // A sparse range (few rows in a long grid) is cheaper to sort than to walk.
  if (slots > 8 * length + 1024) return undefined;
  const rowAt = new Int32Array(slots).fill(-1);
  for (let r = 0; r < length; r++) {
    const k = Math.floor((ts[r] - range.start) / intervalMs);
    if (!(k >= 0 && k < slots) || rowAt[k] !== -1) return undefined;
    rowAt[k] = r;
  }
  const order = new Int32Array(length);
  let at = 0;
  for (let k = 0; k < slots; k++) if (rowAt[k] !== -1) order[at++] = rowAt[k];
  return order;
}

function sortedOrder(ts: Float64Array, length: number): Int32Array {
  const order = new Int32Array(length);
  for (let r = 0; r < length; r++) order[r] = r;
  return order.sort((x, y) => ts[x] - ts[y]);
}
