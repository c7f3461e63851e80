/**
 * Doubles as the text JS writes for them (`String(x)`, which is also what `JSON.stringify`
 * writes for a finite number: the shortest digits that read back as the same double; -0 is `0`),
 * written byte by byte into a Buffer, without a string per value. The JSON and CSV encoders write
 * every column through `writeNumber`.
 *
 * Cost avoided: V8's general double→shortest-string conversion, ~150 ns a value, plus the
 * `Array.from` and the string JSON.stringify builds; prices and volumes are short decimals, and
 * the 13-digit `ts` an integer (bench/core/encoders.bench.ts, "encode 1,000,000 OHLCV rows").
 *
 * Three paths, the first that applies:
 * 1. A safe integer: its digits, as two int32 halves of at most 8 digits each.
 * 2. A short decimal, 1e-6 ≤ |x| < 1e15: the smallest d in 1..8 with m = round(|x|·10^d) < 10^15
 *    and m / 10^d === |x|. Then the decimal m·10^-d (at most 15 significant digits) rounds to |x|:
 *    m and 10^d are exact doubles and IEEE division is correctly rounded, so m / 10^d is the
 *    double nearest that decimal. Every decimal of at most 15 significant digits survives
 *    decimal → double → 15 digits (DBL_DIG = 15), so no two of them round to the same double:
 *    m·10^-d is the only one for |x|, and JS's shortest string, having at most as many digits, is
 *    that decimal. In this range JS writes it without an exponent ("0.000001" down to 1e-6,
 *    plain digits below 1e21), which is what is written here: integer part, `.`, the fraction
 *    without trailing zeros.
 * 3. Anything else (exponent notation, 16–17 digit values, ±Infinity, NaN): `String(x)`.
 */
import { InternalError } from '../errors.js';

const ZERO = 0x30;
const MINUS = 0x2d;
const DOT = 0x2e;
const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const LOW_DIGITS = 100_000_000;
const MAX_SAFE = 9007199254740991;
/** 10^0 … 10^8, all exact doubles. */
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8];

/**
 * The longest `String(x)` of any double: sign, `0.00000` and 17 digits (x just above 1e-6), or
 * sign, 17 digits, `.`, `e-308`.
 */
export const MAX_NUMBER_BYTES = 25;

/** Writes the decimal digits of 0 ≤ v < 2^31 at `out[o…]`, `pad` digits at least; returns the new offset. */
function writeDigits(out: Buffer, o: number, v: number, pad: number): number {
  let n = 1;
  for (let p = 10; p <= v; p *= 10) n++;
  if (n < pad) n = pad;
  let at = o + n;
  for (let i = 0; i < n; i++) {
    const q = (v / 10) | 0;
    out[--at] = ZERO + (v - q * 10);
    v = q;
  }
  return o + n;
}

/** Writes the digits of a safe integer 0 ≤ a ≤ 2^53 - 1 (-0 as `0`); returns the new offset. */
function writeSafeInteger(out: Buffer, o: number, a: number): number {
  if (a < LOW_DIGITS) return writeDigits(out, o, a, 1);
  // Two int32 halves: a / 1e8 rounds correctly, so its floor is off by at most one near 2^53.
  let hi = Math.floor(a / LOW_DIGITS);
  let lo = a - hi * LOW_DIGITS;
  if (lo < 0) { hi--; lo += LOW_DIGITS; } else if (lo >= LOW_DIGITS) { hi++; lo -= LOW_DIGITS; }
  o = writeDigits(out, o, hi, 1);
  return writeDigits(out, o, lo, 8);
}

/** Path 3: `String(x)` as latin1 bytes (ASCII in fact). */
function writeString(out: Buffer, o: number, x: number): number {
  const s = String(x);
  if (s.length > MAX_NUMBER_BYTES) throw new InternalError(`String(${s}) is longer than MAX_NUMBER_BYTES = ${MAX_NUMBER_BYTES}`);
  return o + out.write(s, o, 'latin1');
}

/**
 * Writes `String(x)` at `out[o…]` (at most MAX_NUMBER_BYTES bytes; see the file comment for how)
 * and returns the new offset. NaN is written `NaN`: callers decide its spelling first.
 */
export function writeNumber(out: Buffer, o: number, x: number): number {
  const a = x < 0 ? -x : x;
  if (a === Math.floor(a) && a <= MAX_SAFE) {
    if (x < 0) out[o++] = MINUS;
    return writeSafeInteger(out, o, a);
  }
  if (!(a >= 1e-6 && a < 1e15)) return writeString(out, o, x);
  for (let d = 1; d <= 8; d++) {
    const p = POW10[d];
    const m = Math.round(a * p);
    if (m >= 1e15) break; // m only grows with d
    if (m / p !== a) continue;
    let whole = Math.floor(m / p);
    let frac = m - whole * p;
    if (frac < 0) { whole--; frac += p; } else if (frac >= p) { whole++; frac -= p; }
    // No trailing zero to drop: were m a multiple of 10, d - 1 would have given m / 10, the same
    // decimal, and been taken.
    if (x < 0) out[o++] = MINUS;
    o = writeSafeInteger(out, o, whole);
    out[o++] = DOT;
    return writeDigits(out, o, frac, d);
  }
  return writeString(out, o, x);
}

const NULL = Buffer.from('null', 'latin1');

/**
 * `col` as the bytes of its JSON array, `[a,b,c]`: exactly `JSON.stringify(Array.from(col))`
 * (numbers as `String(x)`, `null` for NaN and ±Infinity). `open` replaces the leading `[` and
 * `close` says whether the `]` is written, so a caller can emit one column as several pieces
 * that concatenate to the whole array.
 */
export function numberArrayJson(col: Float64Array, open: number = OPEN, close = true): Buffer {
  const n = col.length;
  const out = Buffer.allocUnsafe(2 + n * (MAX_NUMBER_BYTES + 1));
  let o = 0;
  out[o++] = open;
  for (let i = 0; i < n; i++) {
    if (i > 0) out[o++] = COMMA;
    const x = col[i];
    if (x - x === 0) {
      o = writeNumber(out, o, x);
    } else {
      NULL.copy(out, o);
      o += 4;
    }
  }
  if (close) out[o++] = CLOSE;
  return out.subarray(0, o);
}
