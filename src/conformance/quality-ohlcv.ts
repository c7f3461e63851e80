/**
 * Quality flags of OHLCV bars, all in one pass over the five columns of the output frame:
 * `non_finite` (per column), `ohlc_inconsistent` (rows with a non-finite price are skipped),
 * `negative_volume` (finite values below zero), `price_jump` (close-to-close, rows with a non-finite or non-positive close
 * on either side skipped) and `stale_price` (bars in runs of at least `minRun` identical closes).
 * Counts are rows (bars); the first ts is the first offending bar's (the frame is sorted).
 */
import type { Findings } from './findings.js';

export interface OhlcvColumns {
  readonly ts: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

export interface OhlcvQualityOptions {
  readonly priceJumpMaxAbsLogReturn: number;
  readonly stalePriceMinRun: number;
  /** Per column (open, high, low, close, volume): whether its non-finite values are findings. */
  readonly checkFinite: readonly [boolean, boolean, boolean, boolean, boolean];
}

const NAMES = ['open', 'high', 'low', 'close', 'volume'] as const;

export function ohlcvQuality(cols: OhlcvColumns, opts: OhlcvQualityOptions, findings: Findings): void {
  const { ts, open, high, low, close, volume } = cols;
  const n = ts.length;
  const nonFinite = [0, 0, 0, 0, 0];
  const nonFiniteFirst = [Infinity, Infinity, Infinity, Infinity, Infinity];
  let ohlc = 0, ohlcFirst = Infinity;
  let negVol = 0, negVolFirst = Infinity;
  let jumps = 0, jumpFirst = Infinity;
  let stale = 0, staleFirst = Infinity;
  // |ln(c / p)| > b  ⇔  c > p·e^b or c < p·e^-b (for p > 0): two multiplications per bar
  // instead of a division and a Math.log.
  const up = Math.exp(opts.priceJumpMaxAbsLogReturn);
  const down = Math.exp(-opts.priceJumpMaxAbsLogReturn);
  const minRun = opts.stalePriceMinRun;
  let prev = Number.NaN;
  let run = 0;
  let runStart = 0;
  for (let i = 0; i < n; i++) {
    const o = open[i], h = high[i], l = low[i], c = close[i], v = volume[i];
    // x - x is 0 for finite x and NaN for NaN/±Infinity, and NaN propagates through the sum:
    // one comparison on the clean path instead of five Number.isFinite calls.
    if (o - o + (h - h) + (l - l) + (c - c) + (v - v) !== 0) {
      countNonFinite(o, 0, i);
      countNonFinite(h, 1, i);
      countNonFinite(l, 2, i);
      countNonFinite(c, 3, i);
      countNonFinite(v, 4, i);
    }
    if (o - o + (h - h) + (l - l) + (c - c) === 0) {
      const hiBody = o > c ? o : c;
      const loBody = o < c ? o : c;
      if (h < hiBody || l > loBody || l > h) if (ohlc++ === 0) ohlcFirst = ts[i];
    }
    if (v < 0 && v > -Infinity) if (negVol++ === 0) negVolFirst = ts[i];
    if (c > 0 && prev > 0 && c < Infinity && prev < Infinity && (c > prev * up || c < prev * down)) {
      if (jumps++ === 0) jumpFirst = ts[i];
    }
    if (c === prev && c < Infinity && c > -Infinity) run++;
    else {
      if (run >= minRun) {
        if (stale === 0) staleFirst = ts[runStart];
        stale += run;
      }
      run = 1;
      runStart = i;
    }
    prev = c;
  }
  if (run >= minRun && n > 0) {
    if (stale === 0) staleFirst = ts[runStart];
    stale += run;
  }
  for (let k = 0; k < 5; k++) {
    if (opts.checkFinite[k]) findings.add('non_finite', NAMES[k], nonFinite[k], nonFiniteFirst[k], 'NaN or infinite');
  }
  findings.add('ohlc_inconsistent', '*', ohlc, ohlcFirst, 'high below the body, low above it, or low above high');
  findings.add('negative_volume', 'volume', negVol, negVolFirst);
  findings.add('price_jump', 'close', jumps, jumpFirst, `|ln(close / previous close)| > ${opts.priceJumpMaxAbsLogReturn}`);
  findings.add('stale_price', 'close', stale, staleFirst, `runs of at least ${minRun} identical closes`);

  function countNonFinite(x: number, k: number, i: number): void {
    if (x - x !== 0 && nonFinite[k]++ === 0) nonFiniteFirst[k] = ts[i];
  }
}
