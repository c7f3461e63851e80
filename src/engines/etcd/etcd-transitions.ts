/**
 * The shared shard state machine (../shard-transitions.ts) as decisions for the etcd
 * read-modify-write loop: either a record to write under the compare on the shard key's
 * mod_revision, with what to do to the `leases/<key>` key, or a final answer that writes nothing.
 * A final answer (refusal, stale token, no-op) is only trusted on a fresh read: the loop re-reads
 * when it decided from its cache.
 */
import type { ClaimResult, ShardRecord, ShardResult, ShardSpec } from '../../backfill/index.js';
import { claimShard, completeShard, failShard, heartbeatShard, purgedShard, requeueExpiredShard } from '../../backfill/index.js';

export type LeaseKeyOp = 'attach' | 'delete';

export type Decision<R> =
  | { readonly kind: 'write'; readonly next: ShardRecord; readonly leaseKey: LeaseKeyOp; readonly result: R }
  | { readonly kind: 'final'; readonly settle: () => R };

/** Runs a transition that throws StaleLeaseError on a stale token; the throw becomes the final answer. */
function guarded(transition: () => ShardRecord, leaseKey: LeaseKeyOp): Decision<ShardRecord> {
  let next: ShardRecord;
  try {
    next = transition();
  } catch (error) {
    return { kind: 'final', settle: () => { throw error; } };
  }
  return { kind: 'write', next, leaseKey, result: next };
}

export function decideClaim(record: ShardRecord | undefined, holder: string, leaseMs: number, now: number): Decision<ClaimResult> {
  const result = claimShard(record, holder, leaseMs, now);
  if (!result.granted) return { kind: 'final', settle: () => result };
  return { kind: 'write', next: result.shard, leaseKey: 'attach', result };
}

export function decideHeartbeat(record: ShardRecord | undefined, key: string, token: number, leaseMs: number, now: number): Decision<ShardRecord> {
  return guarded(() => heartbeatShard(key, record, token, leaseMs, now), 'attach');
}

export function decideComplete(
  record: ShardRecord | undefined, key: string, token: number,
  result: ShardResult, now: number,
): Decision<ShardRecord> {
  return guarded(() => completeShard(key, record, token, result, now), 'delete');
}

export function decideFail(
  record: ShardRecord | undefined, key: string, token: number,
  failure: { readonly reason: string; readonly final: boolean; readonly notBefore: number }, now: number,
): Decision<ShardRecord> {
  return guarded(() => failShard(key, record, token, failure, now), 'delete');
}

/** leased and expired → pending (a stale claim); anything else is a no-op answering undefined. */
export function decideRequeue(record: ShardRecord | undefined, now: number): Decision<ShardRecord | undefined> {
  const next = requeueExpiredShard(record, now);
  if (next === undefined) return { kind: 'final', settle: () => undefined };
  return { kind: 'write', next, leaseKey: 'delete', result: next };
}

/** A purge of the shard's range (purgedShard): always written; its lease, if any, ends. */
export function decideReset(record: ShardRecord | undefined, spec: ShardSpec, reason: string, now: number): Decision<ShardRecord> {
  const next = purgedShard(record, spec, reason, now);
  return { kind: 'write', next, leaseKey: 'delete', result: next };
}
