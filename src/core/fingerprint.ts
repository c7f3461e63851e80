/**
 * Frame fingerprints: `sha256:<64 lowercase hex>` over a canonical byte encoding of a frame.
 *
 * Canonical encoding (version 1), hashed as one byte stream:
 *
 *   1. Header, UTF-8: the schema name and the column names in wire order (`ts` first), joined
 *      by `,`, then one `\n`. For OHLCV: `ohlcv,ts,open,high,low,close,volume\n`.
 *   2. Then each column in the same order (`ts` first, then the value columns in schema order),
 *      column after column, each value as an IEEE-754 float64 in little-endian byte order
 *      (8 bytes per row; the row count follows from the length).
 *   3. Before hashing, every NaN (any sign or payload) is replaced by the single pattern
 *      0x7FF8000000000000, and -0 by +0 (all zero bytes).
 *
 * So two frames have the same fingerprint exactly when they have the same schema name, the same
 * column names in the same order, and the same values, where all NaNs are equal and -0 == +0.
 * Example: an empty OHLCV frame is sha256 of the 36 bytes `ohlcv,ts,open,high,low,close,volume\n`.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { endianness } from 'node:os';
import type { Frame } from './frame.js';

/** Rows per canonicalisation chunk: 64 Ki rows = 512 KiB of scratch. */
const CHUNK = 65536;
const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * Scratch for chunks that need fixing, allocated on first need and then reused by every call
 * (fingerprinting is synchronous, so no two calls share it at once). Clean frames never allocate.
 */
let scratchBuffer: Float64Array | undefined;
function scratch(): Float64Array {
  scratchBuffer ??= new Float64Array(CHUNK);
  return scratchBuffer;
}

/** Index of the first NaN or -0 in col[from, to), or -1. */
function firstNonCanonical(col: Float64Array, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    const x = col[i];
    // x !== x is NaN; 1 / -0 is -Infinity. The division only runs for zeros.
    if (x !== x || (x === 0 && 1 / x < 0)) return i;
  }
  return -1;
}

/**
 * Feeds col[from, to) to the hash in canonical form. A clean chunk on a little-endian host is
 * hashed straight from the column's memory (a Uint8Array view, no copy): the common case costs a
 * read-only scan plus the hash, and never allocates. Otherwise the chunk is copied into the
 * scratch buffer and fixed there, so the frame itself is never written to. Measured on 1 M OHLCV
 * rows (bench/core/encoders.bench.ts): SHA-256 dominates (~55 ms); the copying path costs about
 * the same time, so what the view avoids is the 512 KiB scratch and its memory traffic, not time.
 */
function hashChunk(hash: Hash, col: Float64Array, from: number, to: number): void {
  const first = firstNonCanonical(col, from, to);
  if (LITTLE_ENDIAN && first < 0) {
    hash.update(new Uint8Array(col.buffer, col.byteOffset + from * 8, (to - from) * 8));
    return;
  }
  const n = to - from;
  const buf = scratch();
  const out = buf.subarray(0, n);
  if (LITTLE_ENDIAN) {
    out.set(col.subarray(from, to));
    // Write the NaN bits through a uint32 view: storing the JS value NaN into a Float64Array
    // does not promise a particular bit pattern.
    const words = new Uint32Array(buf.buffer, 0, n * 2);
    for (let i = first - from; i < n; i++) {
      const x = out[i];
      if (x !== x) {
        words[2 * i] = 0;
        words[2 * i + 1] = 0x7ff80000;
      } else if (x === 0) {
        words[2 * i] = 0;
        words[2 * i + 1] = 0;
      }
    }
  } else {
    // Big-endian host: byte-swap every value through a DataView (slow, but never hit on x64/arm64).
    const view = new DataView(buf.buffer, 0, n * 8);
    for (let i = 0; i < n; i++) {
      const x = col[from + i];
      if (x !== x) {
        view.setUint32(i * 8, 0, true);
        view.setUint32(i * 8 + 4, 0x7ff80000, true);
      } else {
        view.setFloat64(i * 8, x === 0 ? 0 : x, true);
      }
    }
  }
  hash.update(new Uint8Array(buf.buffer, 0, n * 8));
}

function hashColumn(hash: Hash, col: Float64Array): void {
  for (let from = 0; from < col.length; from += CHUNK) hashChunk(hash, col, from, Math.min(col.length, from + CHUNK));
}

/** `sha256:<hex>` of the frame's canonical encoding (see the top of this file). */
export function fingerprintFrame(frame: Frame): string {
  const hash = createHash('sha256');
  let header = frame.schema.name + ',ts';
  for (const c of frame.schema.columns) header += ',' + c.name;
  hash.update(header + '\n', 'utf8');
  hashColumn(hash, frame.ts);
  for (let c = 0; c < frame.values.length; c++) hashColumn(hash, frame.values[c]);
  return 'sha256:' + hash.digest('hex');
}
