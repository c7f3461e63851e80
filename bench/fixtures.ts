/** Frames for benchmarks: a random walk on the 1m grid (prices with 2 decimals, volumes with 3). */
import { OHLCV_SCHEMA, createFrame } from '../src/core/index.js';
import type { Frame } from '../src/core/index.js';

export function randomWalkFrame(n: number, t0 = 1_700_000_000_000, intervalMs = 60_000): Frame {
  const ts = new Float64Array(n);
  const cols = [0, 1, 2, 3, 4].map(() => new Float64Array(n));
  const [open, high, low, close, volume] = cols;
  let price = 30_000;
  for (let i = 0; i < n; i++) {
    ts[i] = t0 + i * intervalMs;
    const o = price;
    price = Math.round((price + (Math.random() - 0.5) * 50) * 100) / 100;
    open[i] = o;
    close[i] = price;
    high[i] = Math.max(o, price) + Math.round(Math.random() * 1000) / 100;
    low[i] = Math.min(o, price) - Math.round(Math.random() * 1000) / 100;
    volume[i] = Math.round(Math.random() * 1e6) / 1e3;
  }
  return createFrame(OHLCV_SCHEMA, ts, cols);
}

/** A deterministic wave of 1m OHLCV bars from ts 0 (storage benches: the same rows on every engine). */
export function waveBarsFrame(rows: number, intervalMs = 60_000): Frame {
  const ts = new Float64Array(rows);
  const values = OHLCV_SCHEMA.columns.map(() => new Float64Array(rows));
  for (let i = 0; i < rows; i++) {
    ts[i] = i * intervalMs;
    const p = 100 + Math.sin(i / 500) * 10;
    values[0][i] = p;
    values[1][i] = p + 1;
    values[2][i] = p - 1;
    values[3][i] = p + 0.5;
    values[4][i] = 10 + (i % 7);
  }
  return createFrame(OHLCV_SCHEMA, ts, values);
}
