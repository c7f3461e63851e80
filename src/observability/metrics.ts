/**
 * Prometheus metrics of one Seamless instance, in its own prom-client Registry (never the
 * global one, so two instances in one process — tests, benches — do not collide). Children with
 * fixed labels are resolved once by their users and kept.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface SeamlessMetrics {
  readonly registry: Registry;
  readonly requestsTotal: Counter<'route' | 'status'>;
  readonly requestDuration: Histogram<'route'>;
  readonly fetchDuration: Histogram<'strategy' | 'outcome'>;
  readonly cacheHits: Counter;
  readonly cacheMisses: Counter;
  readonly cacheEvictions: Counter<'reason'>;
  readonly cacheBytes: Gauge;
  readonly cacheEntries: Gauge;
  readonly rowsServed: Counter<'source'>;
  readonly backfillShardsFetched: Counter<'node_id' | 'interval'>;
  readonly backfillShardsJoined: Counter<'node_id' | 'interval'>;
  readonly backfillShardsFailed: Counter<'node_id' | 'interval'>;
  readonly backfillRowsWritten: Counter<'node_id' | 'interval'>;
  readonly backfillCompletionRatio: Gauge<'node_id' | 'interval'>;
  readonly backfillShardsInFlight: Gauge;
}

/** Seconds buckets from 1 ms to 10 minutes. */
export const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export function createMetrics(options: { defaultMetrics?: boolean } = {}): SeamlessMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'seamless_process_' });
  const registers = [registry];
  return {
    registry,
    requestsTotal: new Counter({ name: 'seamless_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers }),
    requestDuration: new Histogram({ name: 'seamless_request_duration_seconds', help: 'HTTP request duration', labelNames: ['route'], buckets: LATENCY_BUCKETS_S, registers }),
    fetchDuration: new Histogram({ name: 'seamless_fetch_duration_seconds', help: 'Read path (fetch) duration by strategy and outcome', labelNames: ['strategy', 'outcome'], buckets: LATENCY_BUCKETS_S, registers }),
    cacheHits: new Counter({ name: 'seamless_cache_hits_total', help: 'Reads answered wholly from the response cache', registers }),
    cacheMisses: new Counter({ name: 'seamless_cache_misses_total', help: 'Reads not answered wholly from the response cache', registers }),
    cacheEvictions: new Counter({ name: 'seamless_cache_evictions_total', help: 'Response cache evictions by reason', labelNames: ['reason'], registers }),
    cacheBytes: new Gauge({ name: 'seamless_cache_bytes', help: 'Bytes held by the response cache', registers }),
    cacheEntries: new Gauge({ name: 'seamless_cache_entries', help: 'Entries held by the response cache', registers }),
    rowsServed: new Counter({ name: 'seamless_rows_served_total', help: 'Rows returned by reads, by where they came from', labelNames: ['source'], registers }),
    backfillShardsFetched: new Counter({ name: 'seamless_backfill_shards_fetched_total', help: 'Shards fetched from an upstream source', labelNames: ['node_id', 'interval'], registers }),
    backfillShardsJoined: new Counter({ name: 'seamless_backfill_shards_joined_total', help: 'Shard requests that joined an in-flight fetch instead of fetching again', labelNames: ['node_id', 'interval'], registers }),
    backfillShardsFailed: new Counter({ name: 'seamless_backfill_shards_failed_total', help: 'Shards that failed after their retries', labelNames: ['node_id', 'interval'], registers }),
    backfillRowsWritten: new Counter({ name: 'seamless_backfill_rows_written_total', help: 'Rows written to storage by backfill', labelNames: ['node_id', 'interval'], registers }),
    backfillCompletionRatio: new Gauge({ name: 'backfill_completion_ratio', help: 'Completion ratio of the newest backfill job per dataset', labelNames: ['node_id', 'interval'], registers }),
    backfillShardsInFlight: new Gauge({ name: 'seamless_backfill_shards_in_flight', help: 'Shards being fetched now', registers }),
  };
}
