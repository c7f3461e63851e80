/**
 * Checks a write, a failure mark or a batch of ingest findings before any SQL runs, so a bad batch
 * writes nothing. Every refusal is an InvalidRequestError naming the offending field. Engine
 * independent: every engine calls these before it opens a transaction.
 */
import { InvalidRequestError, InvertedRangeError } from '../core/index.js';
import type { FrameSchema, IngestFinding, TimeRange } from '../core/index.js';
import type { CoverageClaim, DatasetKey, Fence, WriteBatch } from './bar-store.js';

const MAX_NODE_ID_LENGTH = 256;
/** Printable: no C0/C1 control characters. */
function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/** `field` names the object in the error (`dataset.nodeId`, `findings[3].nodeId`, …). */
export function validateDataset(dataset: DatasetKey, field = 'dataset'): void {
  const { nodeId, intervalMs } = dataset;
  if (typeof nodeId !== 'string' || nodeId.length < 1 || nodeId.length > MAX_NODE_ID_LENGTH || hasControlCharacter(nodeId)) {
    throw new InvalidRequestError(`${field}.nodeId`, `must be 1–${MAX_NODE_ID_LENGTH} printable characters`);
  }
  if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0) {
    throw new InvalidRequestError(`${field}.intervalMs`, `must be a positive integer of ms, got ${String(intervalMs)}`);
  }
}

export function validateRange(range: TimeRange, field = 'range'): void {
  if (!Number.isSafeInteger(range.start)) throw new InvalidRequestError(`${field}.start`, `must be an integer epoch ms, got ${String(range.start)}`);
  if (!Number.isSafeInteger(range.end)) throw new InvalidRequestError(`${field}.end`, `must be an integer epoch ms, got ${String(range.end)}`);
  if (range.end < range.start) throw new InvertedRangeError(range.start, range.end);
}

export function validateFence(fence: Fence, field = 'fence'): void {
  if (typeof fence.key !== 'string' || fence.key.length === 0) throw new InvalidRequestError(`${field}.key`, 'must be a non-empty string');
  if (!Number.isSafeInteger(fence.token) || fence.token < 0) throw new InvalidRequestError(`${field}.token`, `must be a non-negative integer, got ${String(fence.token)}`);
}

/**
 * Validates the batch and returns its claims sorted by start. `at` prefixes every field named
 * (`batches[3].` for the fourth batch of a BarStore.writeMany).
 */
export function validateWriteBatch(batch: WriteBatch, schema: FrameSchema, at = ''): CoverageClaim[] {
  validateDataset(batch.dataset, `${at}dataset`);
  if (batch.fence !== undefined) validateFence(batch.fence, `${at}fence`);
  const iv = batch.dataset.intervalMs;
  const { frame } = batch;
  if (frame.schema.name !== schema.name || frame.values.length !== schema.columns.length) {
    throw new InvalidRequestError(`${at}frame.schema`, `frame has schema "${frame.schema.name}", the write is for "${schema.name}"`);
  }
  const claims = validateClaims(batch.coverage, iv, at);
  const stored = claims.filter((c) => c.state === 'stored');
  const ts = frame.ts;
  let k = 0;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    if (!Number.isSafeInteger(t) || t % iv !== 0) throw new InvalidRequestError(`${at}frame.ts`, `row ${i}: ts ${t} is not on the ${iv} ms grid`);
    if (i > 0 && t <= ts[i - 1]) throw new InvalidRequestError(`${at}frame.ts`, `row ${i}: ts ${t} is not after the previous row (${ts[i - 1]}); rows must be ascending and unique`);
    // Rows ascend and stored claims are sorted, so one forward pointer finds each row's claim.
    while (k < stored.length && stored[k].end <= t) k++;
    if (k === stored.length || stored[k].start > t) throw new InvalidRequestError(`${at}frame.ts`, `row ${i}: ts ${t} lies outside every stored coverage claim`);
  }
  return claims;
}

function validateClaims(coverage: readonly CoverageClaim[], iv: number, at: string): CoverageClaim[] {
  for (let i = 0; i < coverage.length; i++) {
    const c = coverage[i];
    const field = `${at}coverage[${i}]`;
    if (c.state !== 'stored' && c.state !== 'known_empty') throw new InvalidRequestError(`${field}.state`, `must be "stored" or "known_empty", got ${String(c.state)}`);
    if (!Number.isSafeInteger(c.start) || c.start % iv !== 0) throw new InvalidRequestError(`${field}.start`, `${String(c.start)} is not on the ${iv} ms grid`);
    if (!Number.isSafeInteger(c.end) || c.end % iv !== 0) throw new InvalidRequestError(`${field}.end`, `${String(c.end)} is not on the ${iv} ms grid`);
    if (c.end <= c.start) throw new InvalidRequestError(`${field}.end`, `end (${c.end}) must be after start (${c.start})`);
  }
  const sorted = [...coverage].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].start < sorted[i - 1].end) {
      throw new InvalidRequestError(`${at}coverage`, `claims [${sorted[i - 1].start}, ${sorted[i - 1].end}) and [${sorted[i].start}, ${sorted[i].end}) overlap`);
    }
  }
  return sorted;
}

/** Every flag of IngestFinding: a flag added to the interface fails to compile until listed. */
const INGEST_FLAGS: Readonly<Record<IngestFinding['flag'], true>> = Object.freeze({
  duplicate_ts: true, misaligned_ts: true, invalid_timestamp: true, unsorted_ts: true, future_ts: true,
});

export function validateFinding(f: IngestFinding, i: number, at = ''): void {
  const field = `${at}findings[${i}]`;
  validateDataset({ nodeId: f.nodeId, intervalMs: f.intervalMs }, field);
  if (!Object.hasOwn(INGEST_FLAGS, f.flag)) throw new InvalidRequestError(`${field}.flag`, `unknown ingest flag ${JSON.stringify(f.flag)}`);
  if (!Number.isSafeInteger(f.ts)) throw new InvalidRequestError(`${field}.ts`, `must be an integer epoch ms, got ${String(f.ts)}`);
  if (!Number.isSafeInteger(f.count) || f.count < 0) throw new InvalidRequestError(`${field}.count`, `must be a non-negative integer, got ${String(f.count)}`);
  if (!Number.isSafeInteger(f.at)) throw new InvalidRequestError(`${field}.at`, `must be an integer epoch ms, got ${String(f.at)}`);
  if (typeof f.detail !== 'string') throw new InvalidRequestError(`${field}.detail`, 'must be a string');
}

/** Validates every finding of a batch (`findings[i].field` names the first bad one; `at` prefixes it). */
export function validateFindings(findings: readonly IngestFinding[], at = ''): void {
  for (let i = 0; i < findings.length; i++) validateFinding(findings[i], i, at);
}
