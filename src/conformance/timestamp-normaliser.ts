/**
 * Timestamp normalisation (first step of the temporal rollup): turns whatever the `ts` column
 * holds into epoch milliseconds, one Float64Array of the batch's length in arrival order.
 *
 * - Numbers (float64, int64 as doubles or BigInt64Array): the epoch unit is inferred once per
 *   column (see `inferEpochUnit`) and every value converted; `ts_cast` counts converted rows.
 * - Strings: digit strings are numbers (unit inferred over them), others ISO-8601 parsed by core
 *   `parseTime` (`ts_cast`); a date-time with a non-zero zone offset also counts as
 *   `ts_timezone_normalized`.
 * - Anything unusable (null, garbage, bool, NaN, negative, beyond 8.64e15 ms) becomes NaN or
 *   stays out of bounds: the temporal rollup drops those rows and counts `invalid_timestamp`.
 *
 * The common case — a float64 column already in ms — returns the column itself (no copy).
 */
import { parseTime } from '../core/index.js';
import type { TimeRange } from '../core/index.js';
import type { Findings } from './findings.js';
import type { RawColumn } from './raw-batch.js';

export type EpochUnit = 's' | 'ms' | 'us' | 'ns';

/** Multiply a value in the unit by this to get ms. */
const TO_MS: Readonly<Record<EpochUnit, number>> = { s: 1_000, ms: 1, us: 1e-3, ns: 1e-6 };
const DIVISOR: Readonly<Record<EpochUnit, number>> = { s: 1e-3, ms: 1, us: 1e3, ns: 1e6 };

const DIGITS = /^\d+$/;
const OFFSET = /T.*([+-])(\d{2}):?(\d{2})$/i;

export interface TsContext {
  readonly intervalMs: number;
  readonly expected: TimeRange;
}

/**
 * The epoch unit of a numeric ts column, from the magnitude of its largest value and, when that
 * is ambiguous, from the spacing of its values against the interval:
 *
 * - max >= 1e17 → ns, >= 1e14 → µs, >= 1e11 → ms (years 1973–5138 in ms);
 * - max < 1e11 is either seconds (any date up to 5138) or ms before March 1973 (test and demo
 *   data). The unit is the one under which the smallest positive step between consecutive rows
 *   is a whole number of bars; if both fit, the one whose converted values meet `expected`;
 *   if both still fit, ms (the unit whose step is the fewest bars). With no step (fewer than two
 *   distinct values), the unit whose converted values fall in `expected`; otherwise ms.
 */
export function inferEpochUnit(max: number, min: number, minStep: number, ctx: TsContext): EpochUnit {
  if (max >= 1e17) return 'ns';
  if (max >= 1e14) return 'us';
  if (max >= 1e11) return 'ms';
  const meets = (u: EpochUnit): boolean => min * TO_MS[u] < ctx.expected.end && max * TO_MS[u] >= ctx.expected.start;
  if (minStep > 0 && Number.isFinite(minStep)) {
    const msFits = minStep % ctx.intervalMs === 0;
    const sFits = (minStep * 1_000) % ctx.intervalMs === 0;
    if (msFits !== sFits) return msFits ? 'ms' : 's';
  }
  if (meets('ms')) return 'ms';
  if (meets('s')) return 's';
  return 'ms';
}

/** Normalised ts in ms (NaN where unusable), arrival order, length `n`. */
export function normaliseTimestamps(column: RawColumn | undefined, n: number, ctx: TsContext, findings: Findings): Float64Array {
  if (column === undefined || column.kind === 'bool') return new Float64Array(n).fill(Number.NaN);
  if (column.kind === 'string') return fromStrings(column.values, n, ctx, findings);
  const values = column.values;
  if (values instanceof BigInt64Array) return fromBigInts(values, n, ctx, findings);
  return fromNumbers(values, n, ctx, findings);
}

function fromNumbers(values: Float64Array, n: number, ctx: TsContext, findings: Findings): Float64Array {
  const c = convertNumbers(values, n, ctx);
  if (c.unit !== 'ms') findings.add('ts_cast', 'ts', c.cast, c.first, `epoch ${unitName(c.unit)} converted to ms`);
  return c.ts;
}

interface Converted {
  readonly ts: Float64Array;
  readonly unit: EpochUnit;
  /** Rows converted from another unit (0 for ms). */
  readonly cast: number;
  readonly first: number;
}

function convertNumbers(values: Float64Array, n: number, ctx: TsContext): Converted {
  // One pass for the magnitude: cheap next to the checks that follow, and it lets the common
  // ms column go through without a copy.
  const len = Math.min(n, values.length);
  let max = -Infinity;
  let min = Infinity;
  for (let i = 0; i < len; i++) {
    const v = values[i];
    if (v >= 0 && v < Infinity) {
      if (v > max) max = v;
      if (v < min) min = v;
    }
  }
  const unit = max === -Infinity ? 'ms' : inferEpochUnit(max, min, max < 1e11 ? minPositiveStep(values, len) : Number.NaN, ctx);
  if (unit === 'ms') {
    if (values.length === n) return { ts: values, unit, cast: 0, first: Number.NaN };
    const out = new Float64Array(n).fill(Number.NaN);
    out.set(values.subarray(0, len));
    return { ts: out, unit, cast: 0, first: Number.NaN };
  }
  const out = new Float64Array(n).fill(Number.NaN);
  let cast = 0;
  let first = Infinity;
  for (let i = 0; i < len; i++) {
    const v = values[i];
    if (!(v >= 0 && v < Infinity)) continue;
    const ms = toMs(v, unit);
    out[i] = ms;
    cast++;
    if (ms < first) first = ms;
  }
  return { ts: out, unit, cast, first };
}

function fromBigInts(values: BigInt64Array, n: number, ctx: TsContext, findings: Findings): Float64Array {
  const len = Math.min(n, values.length);
  let max = -Infinity;
  let min = Infinity;
  for (let i = 0; i < len; i++) {
    const v = Number(values[i]);
    if (v >= 0) {
      if (v > max) max = v;
      if (v < min) min = v;
    }
  }
  const out = new Float64Array(n).fill(Number.NaN);
  if (max === -Infinity) return out;
  const doubles = new Float64Array(len);
  for (let i = 0; i < len; i++) doubles[i] = Number(values[i]);
  const unit = inferEpochUnit(max, min, max < 1e11 ? minPositiveStep(doubles, len) : Number.NaN, ctx);
  let cast = 0;
  let first = Infinity;
  const div = BigInt(DIVISOR[unit] >= 1 ? DIVISOR[unit] : 1);
  for (let i = 0; i < len; i++) {
    const b = values[i];
    if (b < 0n) continue;
    let ms: number;
    if (unit === 's') ms = doubles[i] * 1_000;
    else {
      // Integer division in BigInt is exact where Number(b) / 1e6 would round a 19-digit value.
      const q = b / div;
      const r = b % div;
      ms = r === 0n ? Number(q) : Number(q) + Number(r) / Number(div);
    }
    out[i] = ms;
    cast++;
    if (ms < first) first = ms;
  }
  if (unit !== 'ms') findings.add('ts_cast', 'ts', cast, first, `epoch ${unitName(unit)} (int64) converted to ms`);
  return out;
}

function fromStrings(values: readonly (string | null)[], n: number, ctx: TsContext, findings: Findings): Float64Array {
  const out = new Float64Array(n).fill(Number.NaN);
  const len = Math.min(n, values.length);
  const digits = new Float64Array(len).fill(Number.NaN);
  let anyDigits = false;
  let iso = 0;
  let isoFirst = Infinity;
  let zoned = 0;
  let zonedFirst = Infinity;
  for (let i = 0; i < len; i++) {
    const s = values[i];
    if (typeof s !== 'string' || s.length === 0) continue;
    if (DIGITS.test(s)) {
      digits[i] = Number(s);
      anyDigits = true;
      continue;
    }
    let ms: number;
    try {
      ms = parseTime(s, 'ts');
    } catch {
      continue; // unusable: stays NaN, dropped and counted as invalid_timestamp by the temporal rollup
    }
    out[i] = ms;
    iso++;
    if (ms < isoFirst) isoFirst = ms;
    const m = OFFSET.exec(s);
    if (m !== null && (m[2] !== '00' || m[3] !== '00')) {
      zoned++;
      if (ms < zonedFirst) zonedFirst = ms;
    }
  }
  let cast = iso;
  let first = isoFirst;
  if (anyDigits) {
    // Digit strings are epoch numbers: the same unit inference as a numeric column, over them only.
    const numeric = convertNumbers(digits, len, ctx).ts;
    for (let i = 0; i < len; i++) {
      const v = numeric[i];
      if (v >= 0 && v < Infinity) {
        out[i] = v;
        cast++;
        if (v < first) first = v;
      }
    }
  }
  findings.add('ts_cast', 'ts', cast, first, 'strings converted to epoch ms');
  findings.add('ts_timezone_normalized', 'ts', zoned, zonedFirst, 'zone offsets converted to UTC');
  return out;
}

/** Smallest positive difference between consecutive finite values (arrival order), NaN if none. */
function minPositiveStep(values: Float64Array, len: number): number {
  let step = Infinity;
  let prev = Number.NaN;
  for (let i = 0; i < len; i++) {
    const v = values[i];
    if (!(v >= 0 && v < Infinity)) continue;
    const d = Math.abs(v - prev);
    if (d > 0 && d < step) step = d;
    prev = v;
  }
  return step === Infinity ? Number.NaN : step;
}

/** Converts a double to ms, snapping to the integer ms when the difference is only float rounding. */
function toMs(v: number, unit: EpochUnit): number {
  const ms = unit === 's' ? v * 1_000 : v / DIVISOR[unit];
  const r = Math.round(ms);
  // The source double carries ~2 ulp of error; scaled to ms that is the tolerance for snapping.
  const tol = Math.abs(v) * Number.EPSILON * 2 * TO_MS[unit];
  return Math.abs(ms - r) <= tol ? r : ms;
}

function unitName(unit: EpochUnit): string {
  return unit === 's' ? 'seconds' : unit === 'us' ? 'microseconds' : unit === 'ns' ? 'nanoseconds' : 'milliseconds';
}
