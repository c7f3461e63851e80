// Builders shared by the conformance tests: clean OHLCV/tick/quote frames and raw batches.
import { createFrame, OHLCV_SCHEMA, QUOTE_SCHEMA, TICK_SCHEMA } from '../../../src/core/index.js';
import type { Frame, FrameSchema, TimeRange } from '../../../src/core/index.js';
import { createConformancePipeline } from '../../../src/conformance/index.js';
import type { CheckInput, CheckResult, ConformanceOptions, RawBatch, RawColumn } from '../../../src/conformance/internal.js';

export const MIN = 60_000;
export const T0 = 1_704_067_200_000; // 2024-01-01T00:00:00Z

/**
 * A clean OHLCV frame: n bars from `start` every `interval`, closes on a gentle random walk (each
 * step at most ±0.1%, never zero, so no stale runs and no jumps even across removed bars).
 */
export function cleanOhlcv(n: number, start = T0, interval = MIN, seed = 1): Frame {
  let s = seed >>> 0 || 1;
  const rand = (): number => {
    s = (s * 1_103_515_245 + 12_345) >>> 0;
    return s / 2 ** 32;
  };
  const ts = new Float64Array(n);
  const cols = [0, 1, 2, 3, 4].map(() => new Float64Array(n));
  const [open, high, low, close, volume] = cols;
  let price = 100;
  for (let i = 0; i < n; i++) {
    ts[i] = start + i * interval;
    const o = price;
    price = price * (1 + (rand() < 0.5 ? -1 : 1) * (0.0001 + rand() * 0.0009));
    open[i] = o;
    close[i] = price;
    high[i] = Math.max(o, price) + rand();
    low[i] = Math.min(o, price) - rand();
    volume[i] = rand() * 10;
  }
  return createFrame(OHLCV_SCHEMA, ts, cols);
}

export function batchOf(columns: Record<string, RawColumn>, length?: number): RawBatch {
  const map = new Map<string, RawColumn>(Object.entries(columns));
  const first = Object.values(columns)[0];
  return { length: length ?? (first ? first.values.length : 0), columns: map };
}

export const f64 = (values: readonly number[]): RawColumn => ({ kind: 'float64', values: Float64Array.from(values) });
export const i64 = (values: readonly number[]): RawColumn => ({ kind: 'int64', values: Float64Array.from(values) });
export const big = (values: readonly bigint[]): RawColumn => ({ kind: 'int64', values: BigInt64Array.from(values) });
export const str = (values: readonly (string | null)[]): RawColumn => ({ kind: 'string', values });
export const bool = (values: readonly (boolean | null)[]): RawColumn => ({ kind: 'bool', values });

/** A raw batch of the named float64 columns (ts plus values), row by row. */
export function rowsBatch(schema: FrameSchema, rows: readonly (readonly number[])[]): RawBatch {
  const names = ['ts', ...schema.columns.map((c) => c.name)];
  const cols: Record<string, RawColumn> = {};
  names.forEach((name, c) => (cols[name] = f64(rows.map((r) => r[c]))));
  return batchOf(cols, rows.length);
}

export interface CheckArgs extends Partial<Omit<CheckInput, 'batch'>> {
  readonly batch: RawBatch;
  readonly options?: Partial<ConformanceOptions>;
}

/** Runs the pipeline with read defaults: OHLCV, 1m, expected = one bar per batch row from T0, now far ahead. */
export function check(args: CheckArgs): CheckResult {
  const { options, ...rest } = args;
  const expected: TimeRange = rest.expected ?? { start: T0, end: T0 + rest.batch.length * MIN };
  return createConformancePipeline(options).check({
    nodeId: 'ohlcv:test:BTC/USDT',
    intervalMs: MIN,
    frameSchema: OHLCV_SCHEMA,
    knownEmpty: [],
    now: expected.end + 1_000 * MIN,
    origin: 'read',
    mode: 'blocking',
    ...rest,
    expected,
  });
}

export { OHLCV_SCHEMA, QUOTE_SCHEMA, TICK_SCHEMA };
