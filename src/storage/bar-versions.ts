/**
 * Versioned bars: what every engine records and answers the same way. Each write and each purge
 * of a dataset is a version (id, time, source, fencing token, a content hash of the rows it
 * wrote, the range it touched, the coverage the dataset had after it). The current bar tables
 * hold the newest rows (each tagged with the version that wrote it); the rows a version replaced
 * or purged move to the table's history with the version that superseded them. A read as of T
 * is then: the newest version at or before T (its coverage is the coverage known at T), current
 * rows written by a version up to it, and history rows written up to it and superseded after it.
 */
import { createHash } from 'node:crypto';
import { InvalidRequestError } from '../core/index.js';
import type { Frame, TimeRange } from '../core/index.js';
import type { CoverageRange } from './bar-store.js';

/** What made a version: a bar write (backfill, live write-through, import) or a purge (repair). */
export type VersionKind = 'write' | 'purge';

/** Retention of superseded versions when the configuration says nothing: 30 days. */
export const DEFAULT_VERSION_RETENTION_MS = 30 * 24 * 3_600_000;

/** One version of a dataset (`BarStore.versions`). */
export interface BarVersion {
  readonly id: number;
  readonly nodeId: string;
  readonly intervalMs: number;
  /** When it committed (epoch ms, the store's clock). */
  readonly at: number;
  readonly kind: VersionKind;
  /** Who wrote it (`backfill`, `live`, `import`, the purging actor …); `unknown` when the caller did not say. */
  readonly source: string;
  readonly fenceKey: string | null;
  readonly fenceToken: number | null;
  /** `sha256:<hex>` of the rows written (ts and value columns, little-endian doubles); a purge hashes nothing. */
  readonly contentHash: string;
  /** The range it touched: the span of its claims (a write) or the purged range. */
  readonly start: number;
  readonly end: number;
  readonly rows: number;
}

/** A read as of a time: the rows known then and the versions that served them. */
export interface AsOfFrame {
  readonly frame: Frame;
  /** Ids of the versions whose rows (or coverage) served, ascending. Empty: nothing was known. */
  readonly versions: readonly number[];
  /** Commit time of the newest version at or before asOf (undefined: none). */
  readonly newestVersionAt: number | undefined;
}

/** The content hash of a frame's rows: ts then each value column, as stored (Float64, platform order). */
export function contentHash(frame: Frame): string {
  const h = createHash('sha256');
  const n = frame.length;
  h.update(new Uint8Array(frame.ts.buffer, frame.ts.byteOffset, n * 8));
  for (const v of frame.values) h.update(new Uint8Array(v.buffer, v.byteOffset, n * 8));
  return `sha256:${h.digest('hex')}`;
}

/** The coverage a version leaves, as stored in its row (JSON text). */
export function encodeVersionCoverage(entries: readonly CoverageRange[]): string {
  return JSON.stringify(entries.map((e) => (e.state === 'failed' ? [e.start, e.end, e.state, e.reason ?? '', e.attempts ?? 1] : [e.start, e.end, e.state])));
}

export function decodeVersionCoverage(text: string): CoverageRange[] {
  const parsed: unknown = JSON.parse(text);
  const out: CoverageRange[] = [];
  if (!Array.isArray(parsed)) return out;
  for (const item of parsed as unknown[][]) {
    const [start, end, state, reason, attempts] = item;
    if (state === 'failed') out.push({ start: Number(start), end: Number(end), state, reason: String(reason), attempts: Number(attempts) });
    else out.push({ start: Number(start), end: Number(end), state: state === 'known_empty' ? 'known_empty' : 'stored' });
  }
  return out;
}

/** Distinct values of a column of version ids, ascending (a copy is sorted; the frame is untouched). */
export function distinctVersions(ids: Float64Array, also: number | undefined): number[] {
  const sorted = Float64Array.from(ids).sort();
  const out: number[] = [];
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) out.push(sorted[i]);
  if (also !== undefined && !out.includes(also)) {
    out.push(also);
    out.sort((a, b) => a - b);
  }
  return out;
}

/**
 * A read as of a time older than the retention horizon: the versions superseded before it may
 * be pruned, so the answer could not be the one known then. 400 naming `asOf`.
 */
export class AsOfBeyondRetentionError extends InvalidRequestError {
  constructor(readonly asOf: number, readonly horizon: number) {
    super('asOf', `${new Date(asOf).toISOString()} is older than the version retention horizon ${new Date(horizon).toISOString()} (storage.versionRetentionMs): superseded versions before it are not kept`,
      { reason: 'as_of_beyond_retention', asOf, horizon });
    this.name = 'AsOfBeyondRetentionError';
  }
}

/**
 * Refuses an asOf older than `horizon` (the store's pruning horizon). Engines call it only when the
 * dataset has a version at or before asOf: before its first version nothing was known, and that
 * (empty) answer stays exact whatever was pruned.
 */
export function checkAsOfRetention(asOf: number, horizon: number | undefined): void {
  if (!Number.isFinite(asOf)) throw new InvalidRequestError('asOf', `must be a time, got ${String(asOf)}`);
  if (horizon !== undefined && asOf < horizon) throw new AsOfBeyondRetentionError(asOf, horizon);
}

/** The span of a write's claims (the range its version touched); an empty write spans nothing. */
export function versionSpan(claims: readonly TimeRange[]): TimeRange {
  if (claims.length === 0) return { start: 0, end: 0 };
  let start = claims[0].start;
  let end = claims[0].end;
  for (const c of claims) {
    if (c.start < start) start = c.start;
    if (c.end > end) end = c.end;
  }
  return { start, end };
}
