/**
 * What the pipeline checks: a batch of columns as they arrived, before any type is trusted.
 * A column read from storage is already a Float64Array; an upstream or imported payload may
 * carry strings (ISO timestamps, enums), integers, booleans, and nulls.
 */
import type { Frame } from '../core/index.js';

export type RawColumn =
  | { readonly kind: 'float64'; readonly values: Float64Array }
  /** Integers as doubles (exact to 2^53) or as BigInt64Array for 64-bit payloads. */
  | { readonly kind: 'int64'; readonly values: Float64Array | BigInt64Array }
  | { readonly kind: 'string'; readonly values: readonly (string | null)[] }
  | { readonly kind: 'bool'; readonly values: readonly (boolean | null)[] };

export interface RawBatch {
  readonly length: number;
  /** Columns by name, in arrival order. */
  readonly columns: ReadonlyMap<string, RawColumn>;
  /**
   * The frame these columns are views of, when the batch came from `frameToRawBatch`: lets the
   * pipeline hand that same frame back (no copy, no new object) when it changed nothing.
   */
  readonly frame?: Frame;
}

/** A frame as a raw batch: its Float64Array columns by name, no copy. */
export function frameToRawBatch(frame: Frame): RawBatch {
  const columns = new Map<string, RawColumn>();
  columns.set('ts', { kind: 'float64', values: frame.ts });
  frame.schema.columns.forEach((c, i) => columns.set(c.name, { kind: 'float64', values: frame.values[i] }));
  return { length: frame.length, columns, frame };
}
