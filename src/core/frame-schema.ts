/**
 * Schemas of frames: which value columns a frame carries besides `ts`. Every value column is a
 * Float64Array (prices, sizes, volumes); a missing value is NaN.
 */

export interface ColumnSpec {
  readonly name: string;
  readonly type: 'float64';
  readonly nullable: boolean;
}

export interface FrameSchema {
  /** Stable schema kind name: `ohlcv`, `tick`, `quote`. */
  readonly name: string;
  /** Value columns in order; `ts` (epoch ms, Float64Array) is implicit and always first. */
  readonly columns: readonly ColumnSpec[];
}

function float64(name: string): ColumnSpec {
  return Object.freeze({ name, type: 'float64', nullable: false });
}

function schema(name: string, columns: readonly string[]): FrameSchema {
  return Object.freeze({ name, columns: Object.freeze(columns.map(float64)) });
}

export const OHLCV_SCHEMA: FrameSchema = schema('ohlcv', ['open', 'high', 'low', 'close', 'volume']);
export const TICK_SCHEMA: FrameSchema = schema('tick', ['price', 'size']);
export const QUOTE_SCHEMA: FrameSchema = schema('quote', ['bid', 'ask', 'bid_size', 'ask_size']);

export const FRAME_SCHEMAS: Readonly<Record<string, FrameSchema>> = Object.freeze({
  ohlcv: OHLCV_SCHEMA,
  tick: TICK_SCHEMA,
  quote: QUOTE_SCHEMA,
});

export type FrameSchemaName = 'ohlcv' | 'tick' | 'quote';

/** Returns the schema of that name, or undefined. */
export function frameSchemaByName(name: string): FrameSchema | undefined {
  return Object.hasOwn(FRAME_SCHEMAS, name) ? FRAME_SCHEMAS[name] : undefined;
}

/** Column names including `ts`, in wire order. */
export function columnNames(schema: FrameSchema): string[] {
  const names = ['ts'];
  for (const c of schema.columns) names.push(c.name);
  return names;
}
