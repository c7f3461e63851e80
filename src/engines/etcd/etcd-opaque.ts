/**
 * Opaque lease records in etcd (wire-protocol keys no job created, see isOpaqueShard): creation
 * under a bound, and deletion once expired.
 *
 * Every write of an opaque `shards/<key>` also writes `opaque/<key>` in the same transaction, and
 * both ride one etcd lease of (expiry − change time) = leaseMs + grace while leased, grace once
 * released (etcd-lease-store.ts #mutate): etcd deletes them by itself when nobody touches them. The
 * marker's value is the record's expiry base (`leaseUntil` while leased, else `updatedAt`), so
 * `pruneOpaque(now, graceMs)` decides from one range read of `opaque/` and deletes each expired
 * pair under a compare on the marker's mod_revision (a change since the read keeps the record).
 * The bound counts `opaque/` (count_only) before creating: no lock, so concurrent creators may pass
 * it by at most their number.
 */
import type { Etcd3, IResponseHeader } from 'etcd3';
import { OpaqueLeaseLimitError, newOpaqueRecord, opaqueExpiresAt } from '../../backfill/index.js';
import type { OpaqueLeasePolicy, ShardRecord } from '../../backfill/index.js';
import type { LeaseBuckets } from './etcd-lease-buckets.js';
import { encodeShard, prefixEnd } from './etcd-records.js';
import type { EtcdKeys } from './etcd-records.js';

export interface OpaqueAccess {
  readonly client: Etcd3;
  readonly keys: EtcdKeys;
  readonly buckets: LeaseBuckets;
  note(header: IResponseHeader): void;
  /** Drops a deleted key from the store's (record, mod_revision) cache. */
  forget(key: string): void;
}

/** The marker's value: what the record's expiry counts from (opaqueExpiresAt with no grace). */
export function opaqueMarkerValue(record: ShardRecord): Buffer {
  return Buffer.from(String(opaqueExpiresAt(record, 0)));
}

/** How long etcd must keep an opaque record written now: until its expiry. */
export function opaqueTtlMs(record: ShardRecord, graceMs: number): number {
  return Math.max(1, opaqueExpiresAt(record, graceMs) - record.updatedAt);
}

export async function pruneOpaqueRecords(a: OpaqueAccess, now: number, graceMs: number, deadline: number): Promise<number> {
  const from = Buffer.from(a.keys.opaquePrefix);
  const res = await a.client.kv.range({ key: from, range_end: prefixEnd(from) }, { deadline });
  a.note(res.header);
  let deleted = 0;
  for (const kv of res.kvs) {
    const base = Number(kv.value.toString('utf8'));
    if (!Number.isFinite(base) || base + graceMs > now) continue;
    const key = decodeURIComponent(kv.key.toString('utf8').slice(a.keys.opaquePrefix.length));
    const del = await a.client.kv.txn({
      compare: [{ key: kv.key, target: 'Mod', result: 'Equal', mod_revision: kv.mod_revision }],
      success: [
        { request_delete_range: { key: Buffer.from(a.keys.shard(key)) } },
        { request_delete_range: { key: kv.key } },
        { request_delete_range: { key: Buffer.from(a.keys.lease(key)) } },
      ],
    }, { deadline });
    a.note(del.header);
    if (!del.succeeded) continue;
    a.forget(key);
    deleted++;
  }
  return deleted;
}

/**
 * Creates the pending opaque record of `key` when no record exists; undefined when one appeared
 * first (the caller reads it). Refuses past `policy.maxKeys` live opaque records.
 */
export async function createOpaqueRecord(
  a: OpaqueAccess, key: string, now: number, policy: OpaqueLeasePolicy, deadline: number,
): Promise<{ readonly record: ShardRecord; readonly value: Buffer; readonly modRevision: string } | undefined> {
  const from = Buffer.from(a.keys.opaquePrefix);
  const count = await a.client.kv.range({ key: from, range_end: prefixEnd(from), count_only: true }, { deadline });
  a.note(count.header);
  if (Number(count.count) >= policy.maxKeys) throw new OpaqueLeaseLimitError(key, policy.maxKeys, Math.max(1, Math.ceil(policy.graceMs / 1000)));
  const record = newOpaqueRecord(key, now);
  const value = encodeShard(record);
  const shardKey = Buffer.from(a.keys.shard(key));
  const lease = await a.buckets.leaseFor(opaqueTtlMs(record, policy.graceMs), deadline);
  const res = await a.client.kv.txn({
    compare: [{ key: shardKey, target: 'Mod', result: 'Equal', mod_revision: 0 }],
    success: [
      { request_put: { key: shardKey, value, lease } },
      { request_put: { key: Buffer.from(a.keys.opaque(key)), value: opaqueMarkerValue(record), lease } },
    ],
  }, { deadline });
  a.note(res.header);
  return res.succeeded ? { record, value, modRevision: res.header.revision } : undefined;
}
