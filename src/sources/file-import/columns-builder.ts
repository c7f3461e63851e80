/**
 * Growable columns that readers fill record by record: `ts`, one Float64Array per value column
 * and the origin (file line or row number) of each row. Capacity doubles, so filling n rows
 * costs O(n) copies in total and no per-row objects.
 */
export interface ParsedColumns {
  readonly length: number;
  readonly ts: Float64Array;
  readonly values: readonly Float64Array[];
  /** File line (CSV) or 1-based row (Parquet) each row came from. */
  readonly origin: Uint32Array;
}

export class ColumnsBuilder {
  length = 0;
  ts: Float64Array;
  values: Float64Array[];
  origin: Uint32Array;

  constructor(valueColumns: number, capacity: number) {
    const cap = Math.max(16, Math.floor(capacity));
    this.ts = new Float64Array(cap);
    this.values = [];
    for (let c = 0; c < valueColumns; c++) this.values.push(new Float64Array(cap));
    this.origin = new Uint32Array(cap);
  }

  /** Makes room for one more row; call before writing row `length`. */
  reserve(): void {
    if (this.length < this.ts.length) return;
    const cap = this.ts.length * 2;
    this.ts = grow(this.ts, cap);
    for (let c = 0; c < this.values.length; c++) this.values[c] = grow(this.values[c], cap);
    const origin = new Uint32Array(cap);
    origin.set(this.origin);
    this.origin = origin;
  }

  /** The filled rows, as views (no copy). */
  finish(): ParsedColumns {
    const n = this.length;
    return {
      length: n,
      ts: this.ts.subarray(0, n),
      values: this.values.map((v) => v.subarray(0, n)),
      origin: this.origin.subarray(0, n),
    };
  }
}

function grow(a: Float64Array, cap: number): Float64Array {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}
