/**
 * The stored form of a known-empty decision's provenance (lease-store.ts KnownEmptyProvenance):
 * lease stores keep it as a JSON object (a DuckDB JSON column, a field of the etcd record) and
 * read it back through this one check, so a malformed value is caught at the store's edge and
 * never flows inward half-typed.
 */
import type { KnownEmptyProvenance } from './lease-store.js';

/** `value` checked field by field as a KnownEmptyProvenance; undefined when it is not one (the caller names where). */
export function parseKnownEmptyProvenance(value: unknown): KnownEmptyProvenance | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const o = value as Readonly<Record<string, unknown>>;
  const { source, worker, start, end, checkedAt, decidedAt } = o;
  if (typeof source !== 'string') return undefined;
  if (worker !== null && typeof worker !== 'string') return undefined;
  if (!isTime(start) || !isTime(end) || !isTime(checkedAt) || !isTime(decidedAt)) return undefined;
  return Object.freeze({ source, worker, start, end, checkedAt, decidedAt });
}

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}
