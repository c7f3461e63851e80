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
