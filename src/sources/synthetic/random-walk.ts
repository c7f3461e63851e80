/**
 * The synthetic price walk, evaluable at any bar without walking from the epoch.
 *
 * Log price is a path `P(m)` over bar boundaries `m` (bar `n` opens at `P(n)` and closes at
 * `P(n+1)`, so a bar's open is exactly the previous bar's close). Every `BLOCK` bars there is an
 * anchor `A(b) = P(b·BLOCK)`: log(basePrice) plus multi-scale value noise (lattice Gaussians at
 * spacings 1, 2, 4 … 2^(LEVELS-1) blocks, linearly interpolated), each lattice value a hash of
 * its coordinates. Between two anchors the path is a Brownian bridge built from hashed
 * per-bar increments, so a bar depends only on (key, interval, its block) — fetching [a, c)
 * gives exactly the bars of [a, b) + [b, c), bit for bit.
 *
 * The long scales are capped (`MAX_LEVEL_AMPLITUDE`), so the walk wanders around basePrice
 * (within roughly e^±1) instead of drifting without bound over decades; prices are exp(log
 * price) and therefore always positive.
 */
import { gaussian, hashAt, unit } from './hash-rng.js';

/** Bars per Brownian-bridge block. */
export const BLOCK = 64;
const LEVELS = 16;
const MAX_LEVEL_AMPLITUDE = 0.08;
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** Per-bar draw streams (see hashAt). Anchor lattices use LATTICE_STREAM + 2·level (+1). */
const STREAM_STEP_A = 0;
const STREAM_STEP_B = 1;
const STREAM_RANGE = 2;
const STREAM_VOLUME = 3;
const LATTICE_STREAM = 16;
/** Approximate normal from four bytes (Irwin–Hall): mean 510, sd √(4·(256²−1)/12) ≈ 147.8. */
const BYTE_SUM_MEAN = 510;
const BYTE_SUM_SD = 147.8;

/** The OHLCV columns a walk writes into, all of one length. */
export interface WalkColumns {
  readonly ts: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

export interface RandomWalk {
  /** Writes bars n0 ≤ n < n1 (bar n opens at n·interval) into `out` from row `at`. */
  fill(n0: number, n1: number, out: WalkColumns, at: number): void;
}

export interface RandomWalkParams {
  /** Dataset key: a hash of (seed, nodeId, interval). */
  readonly key: number;
  readonly intervalMs: number;
  readonly basePrice: number;
  /** Standard deviation of the one-day log return. */
  readonly dailyVolatility: number;
}

class RandomWalkImpl implements RandomWalk {
  readonly #key: number;
  readonly #intervalMs: number;
  readonly #sigma: number;
  readonly #logBase: number;
  readonly #amplitude: Float64Array;
  readonly #wiggle: number;
  readonly #volumeScale: number;
  // Scratch for one block's path (BLOCK + 1 boundaries), reused across blocks and calls.
  readonly #path = new Float64Array(BLOCK + 1);
  readonly #price = new Float64Array(BLOCK + 1);

  constructor(p: RandomWalkParams) {
    this.#key = p.key;
    this.#intervalMs = p.intervalMs;
    this.#sigma = p.dailyVolatility * Math.sqrt(p.intervalMs / DAY_MS);
    this.#logBase = Math.log(p.basePrice);
    this.#amplitude = new Float64Array(LEVELS);
    for (let l = 0; l < LEVELS; l++) {
      this.#amplitude[l] = Math.min(0.5 * this.#sigma * Math.sqrt(BLOCK * 2 ** l), MAX_LEVEL_AMPLITUDE);
    }
    this.#wiggle = 1.5 * this.#sigma;
    // About one million units of quote currency traded per minute.
    this.#volumeScale = (1e6 / p.basePrice) * (p.intervalMs / MINUTE_MS);
  }

  /** Log-price anchor at the start of block b. */
  #anchor(b: number): number {
    let a = this.#logBase;
    const key = this.#key;
    for (let l = 0; l < LEVELS; l++) {
      const spacing = 2 ** l;
      const c = Math.floor(b / spacing);
      const f = (b - c * spacing) / spacing;
      const s = LATTICE_STREAM + 2 * l;
      const g0 = gaussian(hashAt(key, c, s), hashAt(key, c, s + 1));
      const g1 = f === 0 ? 0 : gaussian(hashAt(key, c + 1, s), hashAt(key, c + 1, s + 1));
      a += this.#amplitude[l] * (g0 + (g1 - g0) * f);
    }
    return a;
  }

  /** Computes prices at the BLOCK + 1 boundaries of block b into #price. */
  #block(b: number, a0: number, a1: number): void {
    const path = this.#path;
    const key = this.#key;
    const sigma = this.#sigma;
    const first = b * BLOCK;
    path[0] = 0;
    for (let j = 0; j < BLOCK; j++) {
      path[j + 1] = path[j] + sigma * gaussian(hashAt(key, first + j, STREAM_STEP_A), hashAt(key, first + j, STREAM_STEP_B));
    }
    // Brownian bridge: pin the end of the cumulative walk to the next anchor.
    const drift = (a1 - a0 - path[BLOCK]) / BLOCK;
    const price = this.#price;
    for (let j = 0; j < BLOCK; j++) price[j] = Math.exp(a0 + path[j] + drift * j);
    // Set exactly, so the last close of this block equals the first open of the next bit for bit.
    price[BLOCK] = Math.exp(a1);
  }

  fill(n0: number, n1: number, out: WalkColumns, at: number): void {
    if (n1 <= n0) return;
    const { ts, open, high, low, close, volume } = out;
    const key = this.#key;
    const interval = this.#intervalMs;
    const wiggle = this.#wiggle;
    const volumeScale = this.#volumeScale;
    const price = this.#price;
    let b = Math.floor(n0 / BLOCK);
    let a0 = this.#anchor(b);
    let row = at;
    let n = n0;
    while (n < n1) {
      const a1 = this.#anchor(b + 1);
      this.#block(b, a0, a1);
      const blockEnd = Math.min((b + 1) * BLOCK, n1);
      for (let i = n - b * BLOCK; n < blockEnd; n++, i++, row++) {
        const o = price[i];
        const c = price[i + 1];
        const h = hashAt(key, n, STREAM_RANGE);
        // Two 16-bit halves of one hash give the upper and lower wicks (squared: mostly small).
        const up = (h & 0xffff) / 65_536;
        const down = (h >>> 16) / 65_536;
        ts[row] = n * interval;
        open[row] = o;
        close[row] = c;
        high[row] = (o > c ? o : c) * (1 + wiggle * up * up);
        low[row] = (o < c ? o : c) / (1 + wiggle * down * down);
        const v = hashAt(key, n, STREAM_VOLUME);
        const z = ((v & 0xff) + ((v >>> 8) & 0xff) + ((v >>> 16) & 0xff) + (v >>> 24) - BYTE_SUM_MEAN) / BYTE_SUM_SD;
        const move = o > c ? o / c - 1 : c / o - 1;
        volume[row] = volumeScale * Math.exp(0.5 * z) * (1 + 20 * move) * (0.5 + unit(h ^ v));
      }
      b++;
      a0 = a1;
    }
  }
}

export function createRandomWalk(params: RandomWalkParams): RandomWalk {
  return new RandomWalkImpl(params);
}
