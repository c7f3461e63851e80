/**
 * Stage 1, schema rollup: the batch's columns against the registry schema of the dataset (or,
 * with no registry schema, against the frame schema: `ts` plus float64 value columns).
 *
 * - `missing_column`: a required field is absent (its frame column is filled with NaN);
 * - `unexpected_column` (info): a column neither in the schema nor in the frame schema, dropped;
 * - `dtype_cast` (info): a safe cast — int64 → float64 (doubles, or BigInts within ±2^53),
 *   integral float64 → int64;
 * - `dtype_mismatch`: anything else — strings (even numeric ones) or bools for a number field,
 *   fractional values for an int64 field, BigInts beyond ±2^53 for a frame column, numbers for a
 *   string/bool/enum field. The frame still gets a best-effort value (a decimal string's number,
 *   1/0 for a bool, NaN otherwise) so shadow mode can serve something; the error blocks otherwise;
 * - `invalid_enum`: a string not among the field's symbols;
 * - `null_value`: a null (string or bool columns carry nulls) in a non-nullable field. NaN in a
 *   float64 column is not a null: the quality stage reports it as `non_finite`.
 *
 * The `ts` column is the temporal rollup's (unit inference, ISO strings): it is only checked for
 * presence here. Registry fields that are not frame columns are checked and not carried on.
 * Counts are rows; the first ts of a finding is the earliest normalised ts among its rows.
 * An empty batch has no schema findings. A float64 column of the right length is carried into
 * the frame as is (no copy), so a frame read back from storage costs no pass here.
 */
import type { FrameSchema } from '../core/index.js';
import type { ParsedSchema, SchemaField } from '../schema/index.js';
import type { Findings } from './findings.js';
import type { RawBatch, RawColumn } from './raw-batch.js';

export interface SchemaRollupResult {
  /** Value columns in frame-schema order, batch length, arrival order. */
  readonly columns: readonly Float64Array[];
  /** Per frame column: whether the quality stage should report its non-finite values (not for nullable or missing columns). */
  readonly checkFinite: readonly boolean[];
}

const MAX_EXACT = 2 ** 53;
const MAX_EXACT_BIG = 2n ** 53n;
const DECIMAL = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

export function schemaRollup(batch: RawBatch, frameSchema: FrameSchema, registry: ParsedSchema | undefined, ts: Float64Array, findings: Findings): SchemaRollupResult {
  const n = batch.length;
  const fields = effectiveFields(frameSchema, registry);
  // The earliest ts of the batch is one pass: computed once, and only when a finding needs it.
  let earliest: number | undefined;
  const batchFirst = (): number => (earliest ??= minTs(ts, n));
  if (n > 0) {
    if (!batch.columns.has('ts')) findings.add('missing_column', 'ts', n, Number.NaN, 'no ts column: every row is dropped');
    for (const name of batch.columns.keys()) {
      if (name !== 'ts' && !fields.has(name)) findings.add('unexpected_column', name, n, batchFirst(), 'column dropped');
    }
  }
  const frameNames = new Set(frameSchema.columns.map((c) => c.name));
  const outputs = new Map<string, Float64Array>();
  const missing = new Set<string>();
  for (const field of fields.values()) {
    const col = batch.columns.get(field.name);
    const toFrame = frameNames.has(field.name);
    if (col === undefined) {
      if (field.required && n > 0) findings.add('missing_column', field.name, n, Number.NaN, `required ${field.type} field absent`);
      missing.add(field.name);
      continue;
    }
    const out = n === 0 ? undefined : checkColumn(field, col, n, ts, batchFirst, toFrame, findings);
    if (toFrame) outputs.set(field.name, out ?? toFloat64(col, n));
  }
  const columns: Float64Array[] = [];
  const checkFinite: boolean[] = [];
  for (const spec of frameSchema.columns) {
    const out = outputs.get(spec.name);
    columns.push(out ?? new Float64Array(n).fill(Number.NaN));
    const field = fields.get(spec.name);
    checkFinite.push(out !== undefined && !missing.has(spec.name) && !(field?.nullable ?? spec.nullable));
  }
  return { columns, checkFinite };
}

/** Registry fields (ts excluded) plus the frame columns the registry does not name, as float64. */
function effectiveFields(frameSchema: FrameSchema, registry: ParsedSchema | undefined): Map<string, SchemaField> {
  const fields = new Map<string, SchemaField>();
  if (registry) for (const f of registry.fields) if (f.name !== 'ts') fields.set(f.name, f);
  for (const c of frameSchema.columns) {
    if (!fields.has(c.name)) fields.set(c.name, { name: c.name, type: 'float64', nullable: c.nullable, required: true });
  }
  return fields;
}

/** Checks one column against its field; returns its float64 frame column when it built one. */
function checkColumn(
  field: SchemaField, col: RawColumn, n: number, ts: Float64Array, batchFirst: () => number, toFrame: boolean, findings: Findings,
): Float64Array | undefined {
  const name = field.name;
  const mismatch = (count: number, first: number, what: string): void =>
    findings.add('dtype_mismatch', name, count, first, `${what} for a ${field.type} field`);
  if (col.kind === 'string' || col.kind === 'bool') {
    const values = col.values;
    const symbols = field.type === 'enum' ? new Set(field.symbols ?? []) : undefined;
    const native = (col.kind === 'string' && (field.type === 'string' || field.type === 'enum')) || (col.kind === 'bool' && field.type === 'bool');
    let nulls = 0, nullFirst = Infinity, bad = 0, badFirst = Infinity, enums = 0, enumFirst = Infinity;
    for (let i = 0; i < n; i++) {
      const v = i < values.length ? values[i] : null;
      const t = ts[i];
      if (v === null || v === undefined) {
        nulls++;
        if (t < nullFirst) nullFirst = t;
      } else if (!native) {
        bad++;
        if (t < badFirst) badFirst = t;
      } else if (symbols !== undefined && !symbols.has(v as string)) {
        enums++;
        if (t < enumFirst) enumFirst = t;
      }
    }
    if (!field.nullable) findings.add('null_value', name, nulls, nullFirst, 'null where the field is not nullable');
    mismatch(bad, badFirst, `${col.kind} values`);
    findings.add('invalid_enum', name, enums, enumFirst, `allowed: ${(field.symbols ?? []).join(', ')}`);
    return undefined;
  }
  const values = col.values;
  if (field.type === 'string' || field.type === 'bool' || field.type === 'enum') {
    mismatch(n, batchFirst(), `${col.kind} values`);
    return undefined;
  }
  if (values instanceof BigInt64Array) {
    // int64 payloads: exact as float64 within ±2^53; beyond, only a problem for frame columns.
    if (!toFrame) return undefined;
    const out = new Float64Array(n).fill(Number.NaN);
    let big = 0, bigFirst = Infinity;
    const len = Math.min(n, values.length);
    for (let i = 0; i < len; i++) {
      const b = values[i];
      out[i] = Number(b);
      if (b > MAX_EXACT_BIG || b < -MAX_EXACT_BIG) {
        big++;
        if (ts[i] < bigFirst) bigFirst = ts[i];
      }
    }
    mismatch(big, bigFirst, 'int64 values beyond ±2^53 (not exact as float64)');
    if (field.type === 'float64') if (len - big > 0) findings.add('dtype_cast', name, len - big, batchFirst(), 'int64 cast to float64');
    return out;
  }
  if (field.type === 'float64') {
    // float64 as float64 costs nothing; int64 carried as exact doubles is a safe cast.
    if (col.kind === 'int64') findings.add('dtype_cast', name, n, batchFirst(), 'int64 cast to float64');
    return undefined;
  }
  // int64 / timestamp fields over doubles: integral values are exact, fractional ones are not.
  let frac = 0, fracFirst = Infinity, integral = 0;
  const len = Math.min(n, values.length);
  for (let i = 0; i < len; i++) {
    const v = values[i];
    if (v - v !== 0) continue; // NaN/±Infinity: the quality stage's non_finite
    if (Number.isInteger(v) && v <= MAX_EXACT && v >= -MAX_EXACT) integral++;
    else {
      frac++;
      if (ts[i] < fracFirst) fracFirst = ts[i];
    }
  }
  mismatch(frac, fracFirst, 'fractional float64 values');
  if (col.kind === 'float64' && integral > 0) findings.add('dtype_cast', name, integral, batchFirst(), 'integral float64 cast to int64');
  return undefined;
}

/** The column as float64, best effort: no copy for a float64 array of the right length. */
function toFloat64(col: RawColumn, n: number): Float64Array {
  if (col.kind === 'float64' || col.kind === 'int64') {
    const v = col.values;
    if (v instanceof Float64Array) {
      if (v.length === n) return v;
      const out = new Float64Array(n).fill(Number.NaN);
      out.set(v.subarray(0, Math.min(n, v.length)));
      return out;
    }
    const out = new Float64Array(n).fill(Number.NaN);
    for (let i = 0; i < n && i < v.length; i++) out[i] = Number(v[i]);
    return out;
  }
  const out = new Float64Array(n).fill(Number.NaN);
  const values = col.values;
  for (let i = 0; i < n && i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'boolean') out[i] = v ? 1 : 0;
    else if (typeof v === 'string' && DECIMAL.test(v)) out[i] = Number(v);
  }
  return out;
}

/** Earliest usable ts of the batch (the first ts of a whole-column finding), NaN if none. */
function minTs(ts: Float64Array, n: number): number {
  let first = Infinity;
  for (let i = 0; i < n && i < ts.length; i++) if (ts[i] < first && ts[i] >= 0) first = ts[i];
  return first === Infinity ? Number.NaN : first;
}
