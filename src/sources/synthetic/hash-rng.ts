/**
 * A counter-based random number generator: every draw is a pure hash of its coordinates
 * (seed, node, interval, bar index, stream), so any bar can be generated on demand without
 * walking from the epoch and without hidden state.
 *
 * Hot-path note: everything is 32-bit integer arithmetic (`Math.imul`, shifts) on numbers. A
 * splitmix64 in JS needs BigInt, which allocates on every operation; chained 32-bit avalanche
 * rounds (splitmix-style finalisers) keyed by a per-dataset key give the same "any coordinate,
 * independent draw" property without allocating. bench/sources/synthetic.bench.ts measures the
 * whole generator at ≈ 4–5 M bars/s (one year of 1m bars in ~0.1 s).
 */

const TWO_POW_32 = 4_294_967_296;
const INV_TWO_POW_32 = 1 / TWO_POW_32;
const TAU = 2 * Math.PI;

/** A full-avalanche 32-bit mixer (lowbias32 by C. Wellons). Returns an unsigned 32-bit integer. */
export function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over the UTF-16 code units of `text`, finished with `mix32`. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** Mixes a (possibly > 2^32 or negative) integer into a key: both 32-bit halves count. */
export function mixInteger(key: number, value: number): number {
  const hi = Math.floor(value / TWO_POW_32);
  const lo = value - hi * TWO_POW_32;
  return mix32(mix32(key ^ (lo >>> 0)) + Math.imul(hi | 0, 0x9e3779b9));
}

/** The hash of counter `n` (any safe integer) under `key` and `stream`: an unsigned 32-bit integer. */
export function hashAt(key: number, n: number, stream: number): number {
  return mix32(mixInteger(key, n) ^ Math.imul(stream + 1, 0x85ebca6b));
}

/** Uniform in (0, 1) from a 32-bit hash: never exactly 0 or 1, so `Math.log(u)` is finite. */
export function unit(h: number): number {
  return ((h >>> 0) + 0.5) * INV_TWO_POW_32;
}

/** A standard normal draw from two 32-bit hashes (Box–Muller, cosine branch). */
export function gaussian(h1: number, h2: number): number {
  return Math.sqrt(-2 * Math.log(unit(h1))) * Math.cos(TAU * unit(h2));
}
