/**
 * Frame fingerprints: `sha256:<64 lowercase hex>` over a canonical byte encoding of a frame.
 *
 * Canonical encoding (version 1):
 *
 *   1. Each column (`ts` first, then the value columns in schema order) is encoded as its values
 *      in IEEE-754 float64 little-endian byte order, 8 bytes per row, after replacing every NaN
 *      (any sign or payload) by the single pattern 0x7FF8000000000000 and -0 by +0. Its column
 *      digest is the raw 32-byte SHA-256 of those bytes.
 *   2. The fingerprint is SHA-256 over: the header — UTF-8 of the schema name and the column
 *      names in the same order, joined by `,`, then `\n` (for OHLCV:
 *      `ohlcv,ts,open,high,low,close,volume\n`) — followed by the column digests in order.
 *
 * So two frames have the same fingerprint exactly when they have the same schema name, the same
 * column names in the same order, and the same values, where all NaNs are equal and -0 == +0.
 *
 * Hashing runs on this thread with node:crypto over views of the columns' own memory (no copy
 * for clean columns on little-endian hosts). `fingerprintFrameAsync` hashes large frames in
 * slices of `SLICE_ROWS` rows and yields to the event loop between slices, so a 1M-row frame
 * never blocks it for more than a slice (~1 ms). It used to hand each column to WebCrypto on
 * libuv's thread pool: that copied every column first (~50 MB for 1M OHLCV rows, on the main
 * thread) and queued behind DuckDB's queries, which run on the same pool; the bench
 * bench/provider/fixed-cost.bench.ts measures the read path with it.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { endianness } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Frame } from './frame.js';

const LITTLE_ENDIAN = endianness() === 'LE';
/** Rows of one column hashed between two event-loop turns (2 MiB, about 1 ms of SHA-256). */
const SLICE_ROWS = 262_144;

/** Index of the first NaN or -0 in col, or -1. */
function firstNonCanonical(col: Float64Array): number {
  for (let i = 0; i < col.length; i++) {
    const x = col[i];
    // x !== x is NaN; 1 / -0 is -Infinity. The division only runs for zeros.
    if (x !== x || (x === 0 && 1 / x < 0)) return i;
  }
  return -1;
}

/**
 * The column's canonical bytes. A clean column on a little-endian host is a view of its own
 * memory (no copy, the common case); otherwise a fixed copy, so the frame is never written to.
 */
function canonicalBytes(col: Float64Array): Uint8Array {
  const first = firstNonCanonical(col);
  if (LITTLE_ENDIAN && first < 0) return new Uint8Array(col.buffer, col.byteOffset, col.byteLength);
  const out = new Uint8Array(col.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < col.length; i++) {
    const x = col[i];
    if (x !== x) {
      view.setUint32(i * 8, 0, true);
      view.setUint32(i * 8 + 4, 0x7ff80000, true);
    } else {
      view.setFloat64(i * 8, x === 0 ? 0 : x, true);
    }
  }
  return out;
}

function header(frame: Frame): string {
  let h = frame.schema.name + ',ts';
  for (const c of frame.schema.columns) h += ',' + c.name;
  return h + '\n';
}

function combine(frame: Frame, digests: readonly Uint8Array[]): string {
  const top = createHash('sha256').update(header(frame), 'utf8');
  for (const d of digests) top.update(d);
  return 'sha256:' + top.digest('hex');
}

/** `sha256:<hex>` of the frame's canonical encoding (see the top of this file), on this thread. */
export function fingerprintFrame(frame: Frame): string {
  const digests: Uint8Array[] = [createHash('sha256').update(canonicalBytes(frame.ts)).digest()];
  for (const col of frame.values) digests.push(createHash('sha256').update(canonicalBytes(col)).digest());
  return combine(frame, digests);
}

/**
 * The same fingerprint, hashed in slices of `SLICE_ROWS` rows with an event-loop turn between
 * slices, so other requests keep being served while a large answer is fingerprinted.
 */
export async function fingerprintFrameAsync(frame: Frame): Promise<string> {
  if (frame.length <= SLICE_ROWS) return fingerprintFrame(frame);
  const digests: Uint8Array[] = [];
  for (const col of [frame.ts, ...frame.values]) {
    const hash: Hash = createHash('sha256');
    for (let from = 0; from < col.length; from += SLICE_ROWS) {
      if (from > 0) await nextTurn();
      hash.update(canonicalBytes(col.subarray(from, from + SLICE_ROWS)));
    }
    digests.push(hash.digest());
    await nextTurn();
  }
  return combine(frame, digests);
}
