/**
 * The wire format of a remote worker's shard upload (`POST /v1/shards/rows?key=&token=`): one
 * Arrow IPC stream (`application/vnd.apache.arrow.stream`) holding the rows as `encodeArrowIpc`
 * writes them (ts as Timestamp(ms, UTC), Float64 value columns, `seamless.schema` = the frame
 * schema name), whose schema metadata `seamless.upload` carries JSON
 * `{"coverage": CoverageClaim[], "findings": IngestFinding[]}`: the ranges the rows vouch for and
 * what normalising dropped. Rows and coverage travel in one body so they are written together.
 */
import { z } from 'zod';
import { InvalidRequestError, decodeArrowIpc, encodeArrowIpc } from '../../core/index.js';
import type { ShardUpload } from '../lease-authority.js';

export const SHARD_UPLOAD_CONTENT_TYPE = 'application/vnd.apache.arrow.stream';
/** Arrow schema metadata key holding the upload's coverage and findings as JSON. */
export const SHARD_UPLOAD_METADATA_KEY = 'seamless.upload';

const epochMs = z.number().int();
const UploadMetadata = z.object({
  coverage: z.array(z.object({ start: epochMs, end: epochMs, state: z.enum(['stored', 'known_empty']) }).strict()),
  findings: z.array(z.object({
    nodeId: z.string().min(1),
    intervalMs: z.number().int().positive(),
    flag: z.enum(['duplicate_ts', 'misaligned_ts', 'invalid_timestamp', 'unsorted_ts', 'future_ts']),
    ts: z.number(),
    count: z.number().int().positive(),
    at: epochMs,
    detail: z.string(),
  }).strict()),
}).strict();

export function encodeShardUpload(upload: ShardUpload): Uint8Array {
  return encodeArrowIpc(upload.frame, { [SHARD_UPLOAD_METADATA_KEY]: JSON.stringify({ coverage: upload.coverage, findings: upload.findings }) });
}

/** Decodes and checks an upload body; InvalidRequestError naming the bad part otherwise. */
export function decodeShardUpload(bytes: Uint8Array): ShardUpload {
  const { frame, metadata } = decodeArrowIpc(bytes);
  const raw = metadata[SHARD_UPLOAD_METADATA_KEY];
  if (raw === undefined) throw new InvalidRequestError(SHARD_UPLOAD_METADATA_KEY, 'the Arrow schema metadata must carry the upload\'s coverage and findings');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (cause) {
    throw new InvalidRequestError(SHARD_UPLOAD_METADATA_KEY, 'is not JSON', {}, { cause });
  }
  const parsed = UploadMetadata.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = [SHARD_UPLOAD_METADATA_KEY, ...issue.path.map(String)].join('.');
    throw new InvalidRequestError(field, issue.message);
  }
  return { frame, coverage: parsed.data.coverage, findings: parsed.data.findings };
}
