/**
 * What the storage suites share: seeded OHLCV bars on the minute grid, a frame as rows to compare,
 * and the error a promise rejects with (for `toMatchObject` on codes and fields).
 */
import { InvalidRequestError, OHLCV_SCHEMA, createFrame } from '../../src/core/index.js';
import type { Frame } from '../../src/core/index.js';

export const MIN = 60_000;

/** `rows` OHLCV bars from minute `firstBar`; every value tells its seed, bar and column. */
export function seededBars(firstBar: number, rows: number, seed: number): Frame {
  const ts = new Float64Array(rows);
  const values = OHLCV_SCHEMA.columns.map(() => new Float64Array(rows));
  for (let i = 0; i < rows; i++) {
    ts[i] = (firstBar + i) * MIN;
    for (let c = 0; c < values.length; c++) values[c][i] = seed * 1000 + firstBar + i + c / 10;
  }
  return createFrame(OHLCV_SCHEMA, ts, values);
}

/** The frame as [ts, ...values] rows. */
export function rowsOf(f: Frame): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < f.length; i++) out.push([f.ts[i], ...f.values.map((v) => v[i])]);
  return out;
}

/** The error `p` rejects with; a promise that resolves fails the test. */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new InvalidRequestError('test', 'expected the promise to reject');
}
