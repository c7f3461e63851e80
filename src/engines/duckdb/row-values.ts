/**
 * Reading values out of `getRowsJS()` rows. Numeric columns are cast to DOUBLE in the SELECT
 * (BIGINT would come back as a JS bigint), so every number here is a JS number already; JSON
 * columns come back as their text.
 */
import { InternalError } from '../../core/index.js';

type RowValue = unknown;

export function numberOf(v: RowValue): number {
  return Number(v);
}

export function optionalNumber(v: RowValue): number | undefined {
  return v === null || v === undefined ? undefined : Number(v);
}

export function textOf(v: RowValue): string {
  return String(v);
}

export function optionalText(v: RowValue): string | undefined {
  return v === null || v === undefined ? undefined : String(v);
}

/** A JSON array column written by storage itself; anything else means the file was tampered with. */
export function jsonArrayOf(v: RowValue, column: string): unknown[] {
  const parsed: unknown = JSON.parse(String(v));
  if (!Array.isArray(parsed)) throw new InternalError(`duckdb column ${column} does not hold a JSON array`);
  return parsed;
}

export function stringArrayOf(v: RowValue, column: string): string[] {
  const items = jsonArrayOf(v, column);
  const out: string[] = [];
  for (const item of items) out.push(String(item));
  return out;
}
