/**
 * A column of safe integers (epoch-ms timestamps, above all) as the bytes of its JSON array,
 * `[a,b,c]`, written digit by digit into one Buffer: the same text `JSON.stringify(Array.from(col))`
 * gives (-0 is written `0`), without V8's general double→shortest-string conversion.
 *
 * Cost avoided: JSON.stringify formats every value with the shortest-round-trip double algorithm,
 * ~150 ns a value; the 13-digit `ts` of 1 M bars took ~150 ms of a JSON answer. Here a value is
 * two int32 halves of at most 8 digits each (bench/core/encoders.bench.ts, "ts column").
 */

const ZERO = 0x30;
const MINUS = 0x2d;
const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const LOW_DIGITS = 100_000_000;
/** Digits of a safe integer (2^53 has 16) plus sign and separator. */
const MAX_BYTES_PER_VALUE = 18;

/** True when every value of `col` is a safe integer (what `integerArrayJson` can write). */
export function allSafeIntegers(col: Float64Array): boolean {
  for (let i = 0; i < col.length; i++) {
    const x = col[i];
    // Number.isSafeInteger without the call: finite, integral, |x| ≤ 2^53 - 1.
    if (!(x === Math.floor(x) && x <= 9007199254740991 && x >= -9007199254740991)) return false;
  }
  return true;
}

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

/**
 * `[a,b,c]` for safe integers `col` (check with `allSafeIntegers` first), as latin1 bytes. `open`
 * replaces the leading `[` and `close` says whether the `]` is written, so a caller can emit one
 * column as several pieces that concatenate to the whole array.
 */
export function integerArrayJson(col: Float64Array, open: number = OPEN, close = true): Buffer {
  const n = col.length;
  const out = Buffer.allocUnsafe(2 + n * MAX_BYTES_PER_VALUE);
  let o = 0;
  out[o++] = open;
  for (let i = 0; i < n; i++) {
    if (i > 0) out[o++] = COMMA;
    let x = col[i];
    if (x < 0) {
      out[o++] = MINUS;
      x = -x;
    }
    if (x < LOW_DIGITS) {
      o = writeDigits(out, o, x, 1);
    } else {
      // Two int32 halves: x / 1e8 rounds correctly, so its floor is off by at most one near 2^53.
      let hi = Math.floor(x / LOW_DIGITS);
      let lo = x - hi * LOW_DIGITS;
      if (lo < 0) { hi--; lo += LOW_DIGITS; } else if (lo >= LOW_DIGITS) { hi++; lo -= LOW_DIGITS; }
      o = writeDigits(out, o, hi, 1);
      o = writeDigits(out, o, lo, 8);
    }
  }
  if (close) out[o++] = CLOSE;
  return out.subarray(0, o);
}
