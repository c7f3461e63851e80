/**
 * Makes an upstream batch storable: rows sorted by ts, one row per ts (last one wins), only
 * rows on the interval grid and inside the fetched range. What it had to fix is counted so the
 * event stream (and the conformance reports of a later stage) can say so. The common case — a
 * sorted, unique, aligned batch — is one pass and no copy.
 */
import { allocateFrame } from '../core/index.js';
import type { Frame, TimeRange } from '../core/index.js';

export interface IngestFindings {
  readonly unsorted: boolean;
  readonly duplicates: number;
  readonly misaligned: number;
  readonly outOfRange: number;
  /** ts of each dropped duplicate (the kept row has the same ts), in ts order. */
  readonly duplicateTs: readonly number[];
  /** Raw ts of each dropped off-grid row, in ts order. */
  readonly misalignedTs: readonly number[];
}

const CLEAN: IngestFindings = Object.freeze({ unsorted: false, duplicates: 0, misaligned: 0, outOfRange: 0, duplicateTs: [], misalignedTs: [] });

export interface NormalisedBatch {
  readonly frame: Frame;
  readonly findings: IngestFindings;
}

export function normaliseIngest(frame: Frame, range: TimeRange, intervalMs: number): NormalisedBatch {
  const ts = frame.ts;
  const n = frame.length;
  let clean = true;
  for (let i = 0; i < n; i++) {
    const t = ts[i];
    if (t < range.start || t >= range.end || t % intervalMs !== 0 || (i > 0 && t <= ts[i - 1])) {
      clean = false;
      break;
    }
  }
  if (clean) return { frame, findings: CLEAN };

  // Slow path: stable sort of row indices by ts (stable keeps "last written wins" meaningful).
  let unsorted = false;
  for (let i = 1; i < n; i++) if (ts[i] < ts[i - 1]) { unsorted = true; break; }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (unsorted) {
    const idx = Array.from(order);
    idx.sort((a, b) => ts[a] - ts[b] || a - b);
    order.set(idx);
  }
  let outOfRange = 0;
  const duplicateTs: number[] = [];
  const misalignedTs: number[] = [];
  const keep = new Uint32Array(n);
  let k = 0;
  for (let j = 0; j < n; j++) {
    const i = order[j];
    const t = ts[i];
    if (t < range.start || t >= range.end) { outOfRange++; continue; }
    if (t % intervalMs !== 0) { misalignedTs.push(t); continue; }
    if (k > 0 && ts[keep[k - 1]] === t) {
      duplicateTs.push(t);
      keep[k - 1] = i; // last one wins
      continue;
    }
    keep[k++] = i;
  }
  const out = allocateFrame(frame.schema, k);
  const outTs = out.ts;
  for (let r = 0; r < k; r++) outTs[r] = ts[keep[r]];
  for (let c = 0; c < frame.values.length; c++) {
    const src = frame.values[c];
    const dst = out.values[c];
    for (let r = 0; r < k; r++) dst[r] = src[keep[r]];
  }
  return {
    frame: out,
    findings: { unsorted, duplicates: duplicateTs.length, misaligned: misalignedTs.length, outOfRange, duplicateTs, misalignedTs },
  };
}
