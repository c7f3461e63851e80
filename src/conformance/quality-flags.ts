/**
 * Stage 3, quality flags over the output frame (sorted, unique, float64): the frame's kind is
 * recognised by its column names — OHLCV (`quality-ohlcv.ts`), tick (`price`, `size`), quote
 * (`bid`, `ask`, `bid_size`, `ask_size`) — and each kind's checks run in one pass. Any other
 * column gets a `non_finite` pass. Columns that are nullable or were missing (already reported
 * by the schema rollup) are not reported as `non_finite`. A non-finite value is only ever a
 * `non_finite` finding: the other checks judge finite values.
 */
import type { Frame } from '../core/index.js';
import type { Findings } from './findings.js';
import { ohlcvQuality } from './quality-ohlcv.js';

export interface QualityOptions {
  readonly priceJumpMaxAbsLogReturn: number;
  readonly stalePriceMinRun: number;
  readonly wideSpreadMaxRelative: number;
}

export function qualityFlags(frame: Frame, checkFinite: readonly boolean[], opts: QualityOptions, findings: Findings): void {
  const names = frame.schema.columns.map((c) => c.name);
  const at = (name: string): number => names.indexOf(name);
  const handled = new Set<number>();
  const o = at('open'), h = at('high'), l = at('low'), c = at('close'), v = at('volume');
  if (o >= 0 && h >= 0 && l >= 0 && c >= 0 && v >= 0) {
    const V = frame.values;
    ohlcvQuality(
      { ts: frame.ts, open: V[o], high: V[h], low: V[l], close: V[c], volume: V[v] },
      { ...opts, checkFinite: [checkFinite[o], checkFinite[h], checkFinite[l], checkFinite[c], checkFinite[v]] },
      findings,
    );
    for (const k of [o, h, l, c, v]) handled.add(k);
  }
  const p = at('price'), s = at('size');
  if (p >= 0 && s >= 0) {
    tickQuality(frame, p, s, findings);
  }
  const bid = at('bid'), ask = at('ask'), bs = at('bid_size'), as = at('ask_size');
  if (bid >= 0 && ask >= 0 && bs >= 0 && as >= 0) {
    quoteQuality(frame, [bid, ask, bs, as], opts.wideSpreadMaxRelative, findings);
  }
  for (let k = 0; k < names.length; k++) {
    if (!handled.has(k) && checkFinite[k]) nonFinite(frame.ts, frame.values[k], names[k], findings);
  }
}

/** Ticks: `invalid_price` (price <= 0), `invalid_size` (size <= 0); NaN is left to `non_finite`. */
function tickQuality(frame: Frame, p: number, s: number, findings: Findings): void {
  const ts = frame.ts, price = frame.values[p], size = frame.values[s];
  let badPrice = 0, priceFirst = Infinity, badSize = 0, sizeFirst = Infinity;
  for (let i = 0; i < ts.length; i++) {
    if (price[i] <= 0 && price[i] > -Infinity) if (badPrice++ === 0) priceFirst = ts[i];
    if (size[i] <= 0 && size[i] > -Infinity) if (badSize++ === 0) sizeFirst = ts[i];
  }
  findings.add('invalid_price', 'price', badPrice, priceFirst, 'price <= 0');
  findings.add('invalid_size', 'size', badSize, sizeFirst, 'size <= 0');
}

/**
 * Quotes: `crossed_quotes` (bid > ask), `wide_spread` ((ask - bid) / mid beyond the bound, for
 * positive uncrossed quotes), `invalid_bid` (bid <= 0 or bid_size < 0), `invalid_ask` likewise.
 */
function quoteQuality(frame: Frame, idx: readonly [number, number, number, number], maxSpread: number, findings: Findings): void {
  const ts = frame.ts;
  const bid = frame.values[idx[0]], ask = frame.values[idx[1]], bidSize = frame.values[idx[2]], askSize = frame.values[idx[3]];
  let crossed = 0, crossedFirst = Infinity, wide = 0, wideFirst = Infinity;
  let badBid = 0, bidFirst = Infinity, badAsk = 0, askFirst = Infinity;
  for (let i = 0; i < ts.length; i++) {
    const b = bid[i], a = ask[i], bs = bidSize[i], as = askSize[i];
    if (b > a && b < Infinity && a > -Infinity) {
      if (crossed++ === 0) crossedFirst = ts[i];
    } else if (b > 0 && a < Infinity && (a - b) * 2 > maxSpread * (a + b)) {
      // (a - b) / ((a + b) / 2) > bound, multiplied out: no division per quote.
      if (wide++ === 0) wideFirst = ts[i];
    }
    if ((b <= 0 && b > -Infinity) || (bs < 0 && bs > -Infinity)) if (badBid++ === 0) bidFirst = ts[i];
    if ((a <= 0 && a > -Infinity) || (as < 0 && as > -Infinity)) if (badAsk++ === 0) askFirst = ts[i];
  }
  findings.add('crossed_quotes', '*', crossed, crossedFirst, 'bid above ask');
  findings.add('wide_spread', '*', wide, wideFirst, `(ask - bid) / mid > ${maxSpread}`);
  findings.add('invalid_bid', 'bid', badBid, bidFirst, 'bid <= 0 or bid_size < 0');
  findings.add('invalid_ask', 'ask', badAsk, askFirst, 'ask <= 0 or ask_size < 0');
}

function nonFinite(ts: Float64Array, values: Float64Array, name: string, findings: Findings): void {
  let count = 0, first = Infinity;
  // x - x is NaN exactly for NaN and ±Infinity: one subtraction instead of a Number.isFinite call.
  for (let i = 0; i < values.length; i++) if (values[i] - values[i] !== 0) if (count++ === 0) first = ts[i];
  findings.add('non_finite', name, count, first, 'NaN or infinite');
}
