/**
 * What the coordinator checks before it takes a remote worker's word (lease-authority-impl.ts).
 * A worker's key may lease shards, not write anywhere: an upload must stay inside the leased
 * shard (coverage and rows in its range, rows on its grid), carry the dataset's schema as the
 * coordinator configures it, and findings only of that dataset. A known-empty completion must
 * carry the upstream's evidence, for a range of the shard that the worker's upload recorded as
 * known empty. Every refusal is an InvalidRequestError naming the field; nothing is written.
 */
import { InvalidRequestError } from '../core/index.js';
import type { FrameSchema } from '../core/index.js';
import type { BarStore } from '../storage/index.js';
import type { KnownEmptyEvidence, ShardCompletion, ShardUpload } from './lease-authority.js';
import type { ShardRecord } from './lease-store.js';

const UPLOAD = 'seamless.upload';

/** Throws unless `upload` is a write of `shard`'s dataset inside its range, in `schema`. */
export function checkShardUpload(shard: ShardRecord, upload: ShardUpload, schema: FrameSchema): void {
  const { start, end, intervalMs } = shard;
  const inside = `shard ${shard.key} [${start}, ${end})`;
  upload.coverage.forEach((c, i) => {
    if (c.end <= c.start || c.start < start || c.end > end) {
      throw new InvalidRequestError(`${UPLOAD}.coverage[${i}]`, `range [${c.start}, ${c.end}) is not inside ${inside}`);
    }
  });
  checkSchema(upload.frame.schema, schema, shard);
  const ts = upload.frame.ts;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    if (!(t >= start && t < end)) throw new InvalidRequestError('frame.ts', `row ${i}: ts ${t} is outside ${inside}`);
    if ((t - start) % intervalMs !== 0) throw new InvalidRequestError('frame.ts', `row ${i}: ts ${t} is not on the ${intervalMs} ms grid of ${inside}`);
  }
  upload.findings.forEach((f, i) => {
    if (f.nodeId !== shard.nodeId) throw new InvalidRequestError(`${UPLOAD}.findings[${i}].nodeId`, `is ${JSON.stringify(f.nodeId)}; an upload for ${inside} may only report findings of ${shard.nodeId}`);
    if (f.intervalMs !== intervalMs) throw new InvalidRequestError(`${UPLOAD}.findings[${i}].intervalMs`, `is ${f.intervalMs}; an upload for ${inside} may only report findings at ${intervalMs} ms`);
  });
}

function checkSchema(sent: FrameSchema, want: FrameSchema, shard: ShardRecord): void {
  const what = `the dataset ${shard.nodeId} at ${shard.intervalMs} ms has schema "${want.name}" (${['ts', ...want.columns.map((c) => c.name)].join(', ')})`;
  if (sent.name !== want.name) throw new InvalidRequestError('frame.schema', `the upload has schema "${sent.name}"; ${what}`);
  if (sent.columns.length !== want.columns.length) {
    throw new InvalidRequestError('frame.schema', `the upload has ${sent.columns.length} value columns; ${what}`);
  }
  sent.columns.forEach((c, i) => {
    const w = want.columns[i];
    if (c.name !== w.name || c.type !== w.type) {
      throw new InvalidRequestError(`frame.columns[${i}]`, `is ${c.name} (${c.type}); ${what}: column ${i + 1} is ${w.name} (${w.type})`);
    }
  });
}

/**
 * The evidence of a known-empty completion of `shard` (the current lease), checked: required,
 * inside the shard and on its grid, checked after the range ended, and recorded as known empty
 * in storage by the worker's upload. Opaque wire-protocol keys (no dataset) are checked for
 * presence and shape only.
 */
export async function checkKnownEmptyCompletion(shard: ShardRecord, result: ShardCompletion, store: BarStore): Promise<KnownEmptyEvidence> {
  const e = result.evidence;
  if (e === undefined) {
    throw new InvalidRequestError('evidence', 'is required for a known_empty completion: {source, start, end, checked_at_ms}, what the upstream answered empty and when');
  }
  if (result.rowsWritten !== 0) throw new InvalidRequestError('rows_written', `must be 0 for a known_empty completion, got ${result.rowsWritten}`);
  if (typeof e.source !== 'string' || e.source.length === 0) throw new InvalidRequestError('evidence.source', 'must name the source that answered');
  if (!Number.isSafeInteger(e.start)) throw new InvalidRequestError('evidence.start', 'must be an integer epoch ms');
  if (!Number.isSafeInteger(e.end) || e.end <= e.start) throw new InvalidRequestError('evidence.end', `must be an integer epoch ms after start (${e.start})`);
  if (!Number.isSafeInteger(e.checkedAt) || e.checkedAt < e.end) {
    throw new InvalidRequestError('evidence.checked_at_ms', `must be an integer epoch ms at or after end (${e.end}): only a range that has ended can be known empty`);
  }
  if (shard.nodeId === '') return e;
  const inside = `shard ${shard.key} [${shard.start}, ${shard.end})`;
  if (e.start < shard.start || e.start > shard.end || (e.start - shard.start) % shard.intervalMs !== 0) {
    throw new InvalidRequestError('evidence.start', `${e.start} is not a bar boundary of ${inside}`);
  }
  if (e.end > shard.end || (e.end - shard.start) % shard.intervalMs !== 0) {
    throw new InvalidRequestError('evidence.end', `${e.end} is not a bar boundary of ${inside}`);
  }
  const coverage = await store.coverage({ nodeId: shard.nodeId, intervalMs: shard.intervalMs }, { start: e.start, end: e.end });
  let reached = e.start;
  for (const c of coverage) {
    if (c.start > reached || c.state !== 'known_empty') break;
    reached = Math.max(reached, c.end);
  }
  if (reached < e.end) {
    throw new InvalidRequestError('evidence', `[${e.start}, ${e.end}) of ${inside} is not recorded as known empty (from ${reached}): upload the upstream's answer (POST /v1/shards/rows with known_empty coverage) before completing as known_empty`);
  }
  return e;
}
