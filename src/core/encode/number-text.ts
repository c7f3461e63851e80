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

/** The two ASCII digits of 0..99, as one uint16 each (little-endian: tens first in memory). */
const PAIRS = new Uint16Array(100);
for (let i = 0; i < 100; i++) PAIRS[i] = (ZERO + ((i / 10) | 0)) | ((ZERO + (i % 10)) << 8);

/** Decimal digits of 0 ≤ v < 2^31, by comparisons (no loop of multiplications). */
function digitCount(v: number): number {
  if (v < 10_000) return v < 100 ? (v < 10 ? 1 : 2) : v < 1_000 ? 3 : 4;
  if (v < 100_000_000) return v < 1_000_000 ? (v < 100_000 ? 5 : 6) : v < 10_000_000 ? 7 : 8;
  return v < 1_000_000_000 ? 9 : 10;
}

/**
 * Writes the decimal digits of 0 ≤ v < 2^31 at `out[o…]`, `pad` digits at least (leading
 * zeros); returns the new offset. Two digits per step from a table of pairs.
 */
function writeDigits(out: Buffer, o: number, v: number, pad: number): number {
  let n = digitCount(v);
  if (n < pad) n = pad;
  let at = o + n;
  while (v >= 100) {
    const q = (v / 100) | 0;
    const pair = PAIRS[v - q * 100];
    out[--at] = pair >> 8;
    out[--at] = pair & 0xff;
    v = q;
  }
  if (v >= 10) {
    const pair = PAIRS[v];
    out[--at] = pair >> 8;
    out[--at] = pair & 0xff;
  } else {
    out[--at] = ZERO + v;
  }
  while (at > o) out[--at] = ZERO;
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

/** How many values path 3 has written (numberArrayJson watches it to give up on a slice). */
let slowValues = 0;

/** Path 3: `String(x)` as latin1 bytes (ASCII in fact). */
function writeString(out: Buffer, o: number, x: number): number {
  slowValues++;
  const s = String(x);
  if (s.length > MAX_NUMBER_BYTES) throw new InternalError(`String(${s}) is longer than MAX_NUMBER_BYTES = ${MAX_NUMBER_BYTES}`);
  // A charCode loop: cheaper than Buffer#write's call into C++ for ~20 characters.
  for (let i = 0; i < s.length; i++) out[o + i] = s.charCodeAt(i);
  return o + s.length;
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

const PROBE = Buffer.allocUnsafe(MAX_NUMBER_BYTES);

/**
 * Whether more than a quarter of the first 64 finite values of `col` need 16–17 digits (computed,
 * not parsed, prices, like the synthetic source's): for such a column String(x) per value from JS
 * costs ~3x V8's serialiser over the whole column, so encoders hand it to JSON.stringify.
 */
export function mostlyLongDigits(col: Float64Array): boolean {
  const n = Math.min(col.length, 64);
  const before = slowValues;
  for (let i = 0; i < n; i++) {
    const x = col[i];
    if (x - x === 0) writeNumber(PROBE, 0, x);
  }
  return (slowValues - before) * 4 > n;
}

const NULL = Buffer.from('null', 'latin1');

/** Bytes of the shared scratch buffer: a JSON slice of 4,096 values or a CSV slice of 1,024 OHLCV rows at their worst case. */
const SCRATCH_BYTES = 256 * 1024;
let scratch: Buffer | undefined;

/**
 * A buffer of at least `size` bytes to write a piece into: the shared scratch buffer when it is
 * big enough, else a new one. Pass the result to `handOut`.
 *
 * Why: a piece is sized for its worst case (MAX_NUMBER_BYTES a value) but fills about a third;
 * a fresh worst-case buffer per slice, kept alive by the slice handed out, held ~2.5× the body
 * and made the GC work for it (bench/gateway/streaming.bench.ts, peak RSS).
 */
export function pieceBuffer(size: number): Buffer {
  if (size > SCRATCH_BYTES) return Buffer.allocUnsafe(size);
  scratch ??= Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  return scratch;
}

/** The first `length` bytes of `out` (from `pieceBuffer`) as a Buffer of its own, copied out of the scratch buffer. */
export function handOut(out: Buffer, length: number): Buffer {
  return out === scratch ? Buffer.from(out.subarray(0, length)) : out.subarray(0, length);
}

/** `JSON.stringify(Array.from(col))` as bytes, `[` replaced by `open`, `]` dropped unless `close`. */
function stringifiedSlice(col: Float64Array, open: number, close: boolean): Buffer {
  const bytes = Buffer.from(JSON.stringify(Array.from(col)), 'latin1');
  bytes[0] = open;
  return close ? bytes : bytes.subarray(0, bytes.length - 1);
}

/**
 * `col` as the bytes of its JSON array, `[a,b,c]`: exactly `JSON.stringify(Array.from(col))`
 * (numbers as `String(x)`, `null` for NaN and ±Infinity). `open` replaces the leading `[` and
 * `close` says whether the `]` is written, so a caller can emit one column as several pieces
 * that concatenate to the whole array.
 */
export function numberArrayJson(col: Float64Array, open: number = OPEN, close = true): Buffer {
  const n = col.length;
  const out = pieceBuffer(2 + n * (MAX_NUMBER_BYTES + 1));
  let o = 0;
  out[o++] = open;
  const slowBefore = slowValues;
  for (let i = 0; i < n; i++) {
    // Mostly 16–17 digit values (computed, not parsed, prices): String(x) per value from JS costs
    // ~3x V8's serialiser over the whole slice, so hand the slice to it.
    if (i === 64 && (slowValues - slowBefore) * 4 > i) return stringifiedSlice(col, open, close);
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
  return handOut(out, o);
}
