/**
 * etcd leases for the `leases/<key>` keys, shared in one-second buckets.
 *
 * A lease key must disappear about `leaseMs` after its holder's last claim or heartbeat. Granting
 * one etcd lease per claim would add a LeaseGrant RPC (a Raft write of its own) to every claim and
 * heartbeat, a third more Raft writes on the claim path. Instead claims and heartbeats made within
 * BUCKET_WINDOW_MS of a grant with the same TTL reuse it: the lease is granted with
 * TTL = max(1, ceil(leaseMs / 1000)) + BUCKET_WINDOW_MS / 1000 seconds, so a key attached to it
 * at any moment of its window expires no earlier than `leaseMs` after the attach and at most about
 * two seconds later (etcd counts TTLs in whole seconds anyway). No keep-alive stream is needed:
 * every heartbeat re-attaches the key to the current bucket.
 *
 * The grant time is read before the call (etcd's clock starts later), so reuse stays on the safe
 * side. A bucket whose lease etcd no longer knows (expired after a pause) is dropped by `forget`.
 */
import type { Etcd3 } from 'etcd3';
import type { Clock } from '../../core/index.js';
import { translateEtcdError } from './etcd-errors.js';

/** How long a granted lease serves new attaches. */
export const BUCKET_WINDOW_MS = 1_000;

export interface LeaseBuckets {
  /** An etcd lease id that expires between `leaseMs` and about `leaseMs` + 2 s from now. */
  leaseFor(leaseMs: number, deadline: number): Promise<string>;
  /** Drops a bucket whose lease etcd reported as gone. */
  forget(leaseId: string): void;
}

interface Bucket {
  readonly grantedAt: number;
  readonly id: Promise<string>;
  settledId: string | undefined;
}

export function ttlSecondsFor(leaseMs: number): number {
  return Math.max(1, Math.ceil(leaseMs / 1000)) + BUCKET_WINDOW_MS / 1000;
}

export function createLeaseBuckets(client: Etcd3, clock: Clock): LeaseBuckets {
  // ttl seconds -> current bucket; a handful of entries (one per distinct lease length in use).
  const buckets = new Map<number, Bucket>();

  const grant = (ttlS: number, deadline: number): Bucket => {
    const bucket: Bucket = {
      grantedAt: clock.now(),
      id: client.leaseClient.leaseGrant({ TTL: ttlS }, { deadline }).then(
        (res) => {
          bucket.settledId = res.ID;
          return res.ID;
        },
        (error: unknown) => {
          if (buckets.get(ttlS) === bucket) buckets.delete(ttlS);
          throw translateEtcdError(error, 'lease grant');
        },
      ),
      settledId: undefined,
    };
    buckets.set(ttlS, bucket);
    return bucket;
  };

  return {
    leaseFor(leaseMs, deadline) {
      const ttlS = ttlSecondsFor(leaseMs);
      const current = buckets.get(ttlS);
      const bucket = current !== undefined && clock.now() - current.grantedAt <= BUCKET_WINDOW_MS ? current : grant(ttlS, deadline);
      return bucket.id;
    },
    forget(leaseId) {
      for (const [ttlS, bucket] of buckets) if (bucket.settledId === leaseId) buckets.delete(ttlS);
    },
  };
}
