/**
 * Key layout and JSON codecs of the etcd lease store (see etcd-lease-store.ts for the layout).
 * Values read from etcd are an edge: they are checked field by field once here, and a malformed
 * value is an InternalError naming the key, never a half-typed object flowing inward.
 */
import { InternalError } from '../../core/index.js';
import type { ShardState } from '../../backfill/index.js';
import { parseKnownEmptyProvenance } from '../../backfill/index.js';
import type { JobRecord, KnownEmptyProvenance, ShardRecord } from '../../backfill/index.js';

const encoder = new TextEncoder();

/** Keys under one store prefix; built once per store. */
export interface EtcdKeys {
  readonly shardsPrefix: string;
  readonly jobsPrefix: string;
  readonly jobIndexPrefix: string;
  readonly leasesPrefix: string;
  /** `opaque/<key>`: one marker per opaque shard record, on the same etcd lease (counted, pruned). */
  readonly opaquePrefix: string;
  readonly pingKey: string;
  opaque(key: string): string;
  shard(key: string): string;
  lease(key: string): string;
  job(id: string): string;
  jobIndex(createdAt: number, id: string): string;
}

/** Zero-padded so that the lexical order of index keys is the numeric order of createdAt. */
const CREATED_AT_DIGITS = 16;

export function etcdKeys(prefix: string): EtcdKeys {
  const shardsPrefix = `${prefix}shards/`;
  const jobsPrefix = `${prefix}jobs/`;
  const jobIndexPrefix = `${prefix}jobs-by-time/`;
  const leasesPrefix = `${prefix}leases/`;
  const opaquePrefix = `${prefix}opaque/`;
  return Object.freeze({
    shardsPrefix, jobsPrefix, jobIndexPrefix, leasesPrefix, opaquePrefix, pingKey: `${prefix}ping`,
    opaque: (key: string) => opaquePrefix + encodeURIComponent(key),
    shard: (key: string) => shardsPrefix + encodeURIComponent(key),
    lease: (key: string) => leasesPrefix + encodeURIComponent(key),
    job: (id: string) => jobsPrefix + encodeURIComponent(id),
    jobIndex: (createdAt: number, id: string) => `${jobIndexPrefix}${String(Math.max(0, Math.trunc(createdAt))).padStart(CREATED_AT_DIGITS, '0')}-${encodeURIComponent(id)}`,
  });
}

/** The end of the etcd range holding every key that starts with `prefix` (the etcd prefix rule). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

const SHARD_STATES: ReadonlySet<string> = new Set<ShardState>(['pending', 'leased', 'completed', 'failed', 'known_empty']);

export function encodeShard(record: ShardRecord): Buffer {
  // Fixed field order: the value bytes double as an identity check after an ambiguous failure.
  return Buffer.from(encoder.encode(JSON.stringify({
    key: record.key, nodeId: record.nodeId, intervalMs: record.intervalMs, start: record.start, end: record.end,
    state: record.state, holder: record.holder, token: record.token, leaseUntil: record.leaseUntil,
    attempts: record.attempts, notBefore: record.notBefore, lastError: record.lastError,
    rowsWritten: record.rowsWritten, updatedAt: record.updatedAt, priority: record.priority, rank: record.rank,
    knownEmpty: record.knownEmpty,
  })));
}

function bad(where: string, field: string): InternalError {
  return new InternalError(`etcd value at ${where} is malformed: field ${field}`, { details: { key: where, field } });
}

function parseObject(value: Buffer, where: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (error) {
    throw new InternalError(`etcd value at ${where} is not JSON`, { cause: error, details: { key: where } });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad(where, '(root)');
  return parsed as Record<string, unknown>;
}

function num(o: Record<string, unknown>, field: string, where: string): number {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(where, field);
  return v;
}

function str(o: Record<string, unknown>, field: string, where: string): string {
  const v = o[field];
  if (typeof v !== 'string') throw bad(where, field);
  return v;
}

function numOrNull(o: Record<string, unknown>, field: string, where: string): number | null {
  return o[field] === null ? null : num(o, field, where);
}

function strOrNull(o: Record<string, unknown>, field: string, where: string): string | null {
  return o[field] === null ? null : str(o, field, where);
}

export function decodeShard(value: Buffer, where: string): ShardRecord {
  const o = parseObject(value, where);
  const state = str(o, 'state', where);
  if (!SHARD_STATES.has(state)) throw bad(where, 'state');
  // Records written before priorities existed are background shards of rank 0.
  const priority = o.priority === undefined ? 'background' : str(o, 'priority', where);
  if (priority !== 'read' && priority !== 'background') throw bad(where, 'priority');
  return {
    key: str(o, 'key', where), nodeId: str(o, 'nodeId', where), intervalMs: num(o, 'intervalMs', where),
    start: num(o, 'start', where), end: num(o, 'end', where), state: state as ShardState,
    holder: strOrNull(o, 'holder', where), token: num(o, 'token', where), leaseUntil: numOrNull(o, 'leaseUntil', where),
    attempts: num(o, 'attempts', where), notBefore: num(o, 'notBefore', where), lastError: strOrNull(o, 'lastError', where),
    rowsWritten: num(o, 'rowsWritten', where), updatedAt: num(o, 'updatedAt', where),
    priority, rank: o.rank === undefined ? 0 : num(o, 'rank', where), knownEmpty: knownEmptyOf(o, where),
  };
}

/** Records written before provenance was stored have no `knownEmpty`: null, like a shard with none. */
function knownEmptyOf(o: Record<string, unknown>, where: string): KnownEmptyProvenance | null {
  if (o.knownEmpty === undefined || o.knownEmpty === null) return null;
  const parsed = parseKnownEmptyProvenance(o.knownEmpty);
  if (parsed === undefined) throw bad(where, 'knownEmpty');
  return parsed;
}

export function encodeJob(job: JobRecord): Buffer {
  return Buffer.from(encoder.encode(JSON.stringify({
    id: job.id, nodeId: job.nodeId, intervalMs: job.intervalMs, shardKeys: job.shardKeys,
    requestedBy: job.requestedBy, createdAt: job.createdAt,
  })));
}

export function decodeJob(value: Buffer, where: string): JobRecord {
  const o = parseObject(value, where);
  const keys = o.shardKeys;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw bad(where, 'shardKeys');
  return {
    id: str(o, 'id', where), nodeId: str(o, 'nodeId', where), intervalMs: num(o, 'intervalMs', where),
    shardKeys: keys as string[], requestedBy: str(o, 'requestedBy', where), createdAt: num(o, 'createdAt', where),
  };
}

/** The lease key's value: who holds the shard, under which token, until when (for operators). */
export function encodeLeaseHolder(record: ShardRecord): Buffer {
  return Buffer.from(encoder.encode(JSON.stringify({ holder: record.holder, token: record.token, leaseUntil: record.leaseUntil })));
}
