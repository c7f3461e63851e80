/**
 * The span of one lease on a shard (`seamless.backfill.shard`), in the trace of the read that
 * created the job wanting the shard — whichever process's worker holds the lease: local lease
 * workers start it from the job record, remote `seamless worker`s from the `traceparent` the
 * coordinator hands out with the grant (POST /v1/shards/next).
 */
import type { Span, Tracing } from '../observability/index.js';
import type { ShardSpec } from './lease-store.js';
import type { JobTracker } from './job-tracker.js';

/** The trace a shard's work continues: the newest tracked job containing it that was traced. */
export interface ShardTrace {
  readonly jobId: string;
  readonly traceparent: string;
}

export function shardTrace(tracker: JobTracker, key: string): ShardTrace | undefined {
  const job = tracker.containing(key).reverse().find((j) => j.record.traceparent !== undefined);
  return job?.record.traceparent ? { jobId: job.record.id, traceparent: job.record.traceparent } : undefined;
}

export function startShardSpan(tracing: Tracing | undefined, shard: ShardSpec, token: number, worker: string, from: ShardTrace | undefined): Span | undefined {
  if (!tracing?.enabled || !from) return undefined;
  return tracing.tracer.startSpan('seamless.backfill.shard', {
    attributes: {
      'seamless.shard.key': shard.key, 'seamless.node_id': shard.nodeId, 'seamless.interval_ms': shard.intervalMs,
      'seamless.shard.start': shard.start, 'seamless.shard.end': shard.end, 'seamless.lease.token': token,
      'seamless.lease.worker': worker, 'seamless.backfill.job': from.jobId,
    },
  }, tracing.extract({ traceparent: from.traceparent }));
}
