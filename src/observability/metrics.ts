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
  // Cache coherence across processes on shared storage (app/cache-coherence.ts).
  readonly cacheInvalidationsReceived: Counter<'kind'>;
  readonly cacheInvalidationLag: Histogram;
  readonly rowsServed: Counter<'source'>;
  readonly backfillShardsFetched: Counter<'node_id' | 'interval'>;
  readonly backfillShardsJoined: Counter<'node_id' | 'interval'>;
  readonly backfillShardsFailed: Counter<'node_id' | 'interval'>;
  readonly backfillRowsWritten: Counter<'node_id' | 'interval'>;
  readonly backfillCompletionRatio: Gauge<'node_id' | 'interval' | 'job'>;
  readonly backfillShardsTotal: Counter<'node_id' | 'interval' | 'outcome'>;
  readonly backfillStaleClaims: Counter<'node_id' | 'interval'>;
  readonly backfillLeaseSeconds: Histogram;
  readonly backfillInflight: Gauge;
  readonly backfillUpstreamRows: Counter<'node_id' | 'interval'>;
  readonly backfillJobsRunning: Gauge<'node_id' | 'interval'>;
  readonly backfillJobsTotal: Counter<'node_id' | 'interval' | 'state'>;
  readonly backfillShardsInState: Gauge<'node_id' | 'interval' | 'state'>;
  readonly coordinatorUp: Gauge<'backend'>;
  readonly conformanceFlags: Counter<'node_id' | 'interval' | 'flag_type'>;
  readonly conformanceWarnings: Counter<'node_id' | 'interval'>;
  readonly conformanceBlocked: Counter<'node_id' | 'interval'>;
  readonly conformanceReportsArchived: Counter<'node_id' | 'interval'>;
  readonly conformanceRegressions: Counter<'node_id' | 'interval'>;
  readonly schemaValidationFailures: Counter<'subject' | 'mode'>;
  readonly schemaDrift: Counter<'subject'>;
  readonly slaDeadline: Histogram<'node_id' | 'phase'>;
  readonly slaViolations: Counter<'node_id' | 'phase' | 'policy' | 'mode'>;
  readonly slaDowngrades: Counter<'node_id' | 'mode' | 'reason'>;
  readonly readCoverageRatio: Gauge<'node_id' | 'interval'>;
  readonly readStaleness: Gauge<'node_id' | 'interval'>;
  readonly upstreamRequests: Counter<'upstream' | 'outcome'>;
  readonly upstreamRateLimited: Counter<'upstream'>;
  readonly upstreamLatency: Histogram<'upstream'>;
  readonly liveMessages: Counter<'feed' | 'outcome'>;
  readonly liveReconnects: Counter<'feed'>;
  readonly liveConnected: Gauge<'feed'>;
  readonly liveLag: Gauge<'node_id' | 'interval'>;
  readonly liveRowsWritten: Counter<'node_id' | 'interval'>;
  readonly liveWriteFailures: Counter<'node_id' | 'interval'>;
  readonly liveGapRecoveries: Counter<'node_id' | 'interval' | 'outcome'>;
  // Admission control of the read path (provider/read/read-admission.ts).
  readonly readRejected: Counter<'reason'>;
  readonly readInflightBars: Gauge;
  // Repair (provider/repair.ts): purges and forced backfills, and what they removed.
  readonly repairPurges: Counter<'node_id' | 'interval' | 'action'>;
  readonly repairRowsRemoved: Counter<'node_id' | 'interval' | 'action'>;
  // Universe reads (provider/universe/): one answer for many datasets.
  readonly universeReads: Counter<'outcome'>;
  readonly universeDatasets: Counter<'outcome' | 'code'>;
  // The domain gate (provider/read/domain-gate.ts): live/shadow reads whose asOf went back.
  readonly domainAsOfRegressions: Counter<'world' | 'domain' | 'action'>;
  // Read replicas (engines/postgres/postgres-read-routing.ts): where reads went and how far the standby lags.
  readonly storageReplicaReads: Counter<'target' | 'reason'>;
  readonly storageReplicaLag: Gauge;
  // Subscriptions (GET /v1/stream, provider/stream/).
  readonly streamSubscribers: Gauge<'transport'>;
  readonly streamBarsDelivered: Counter<'phase'>;
  readonly streamDrops: Counter<'reason'>;
  readonly streamDeliveryLag: Histogram;
}

/** Prefix of prom-client's default process and Node.js metrics. */
const DEFAULT_METRICS_PREFIX = 'seamless_process_';
/** prom-client default metrics that are gauges named like counters: not exposed. */
const NON_COUNTER_TOTALS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const;

/** Seconds buckets from 0.5 ms to 10 s: a commit seen by another process's listener. */
export const INVALIDATION_LAG_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Seconds buckets from 1 ms to 10 minutes. */
export const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export function createMetrics(options: { defaultMetrics?: boolean } = {}): SeamlessMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry, prefix: DEFAULT_METRICS_PREFIX });
    // prom-client exposes these counts as gauges named `*_total`, which the exposition format
    // reserves for counters (`promtool check metrics` complains). The same counts stay exposed by
    // type (`seamless_process_nodejs_active_handles{type}`, …): `sum()` of those gives them.
    for (const name of NON_COUNTER_TOTALS) registry.removeSingleMetric(`${DEFAULT_METRICS_PREFIX}${name}`);
  }
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
    cacheInvalidationsReceived: new Counter({ name: 'seamless_cache_invalidations_received_total', help: 'Changes other processes committed to shared storage that this process applied to its caches, by kind (write, purge; resync: the listener reconnected or read an unknown payload, every cache cleared)', labelNames: ['kind'], registers }),
    cacheInvalidationLag: new Histogram({ name: 'seamless_cache_invalidation_lag_seconds', help: 'From another process\'s commit (its clock) to the caches here dropping the changed range', buckets: INVALIDATION_LAG_BUCKETS_S, registers }),
    rowsServed: new Counter({ name: 'seamless_rows_served_total', help: 'Rows returned by reads, by where they came from', labelNames: ['source'], registers }),
    backfillShardsFetched: new Counter({ name: 'seamless_backfill_shards_fetched_total', help: 'Shards fetched from an upstream source', labelNames: ['node_id', 'interval'], registers }),
    backfillShardsJoined: new Counter({ name: 'seamless_backfill_shards_joined_total', help: 'Shard requests that joined an in-flight fetch instead of fetching again', labelNames: ['node_id', 'interval'], registers }),
    backfillShardsFailed: new Counter({ name: 'seamless_backfill_shards_failed_total', help: 'Shards that failed after their retries', labelNames: ['node_id', 'interval'], registers }),
    backfillRowsWritten: new Counter({ name: 'seamless_backfill_rows_written_total', help: 'Rows written to storage by backfill', labelNames: ['node_id', 'interval'], registers }),
    backfillCompletionRatio: new Gauge({ name: 'backfill_completion_ratio', help: 'Completion ratio of each running backfill job (removed when the job ends)', labelNames: ['node_id', 'interval', 'job'], registers }),
    backfillShardsTotal: new Counter({ name: 'seamless_backfill_shards_total', help: 'Shards ended, by outcome (completed, known_empty, failed, retried)', labelNames: ['node_id', 'interval', 'outcome'], registers }),
    backfillStaleClaims: new Counter({ name: 'seamless_backfill_stale_claims_total', help: 'Leases that expired without a heartbeat; their shards went back to pending', labelNames: ['node_id', 'interval'], registers }),
    backfillLeaseSeconds: new Histogram({ name: 'seamless_backfill_lease_seconds', help: 'How long shard leases were held, from grant to end', buckets: LATENCY_BUCKETS_S, registers }),
    backfillInflight: new Gauge({ name: 'seamless_backfill_inflight', help: 'Shards this process is fetching now, each under a lease (local and remote workers)', registers }),
    backfillUpstreamRows: new Counter({ name: 'seamless_backfill_upstream_rows_total', help: 'Rows received from upstream sources by backfill', labelNames: ['node_id', 'interval'], registers }),
    backfillJobsRunning: new Gauge({ name: 'seamless_backfill_jobs_running', help: 'Backfill jobs this process tracks that are still running', labelNames: ['node_id', 'interval'], registers }),
    backfillJobsTotal: new Counter({ name: 'seamless_backfill_jobs_total', help: 'Backfill jobs this process saw finish, by state (completed, failed)', labelNames: ['node_id', 'interval', 'state'], registers }),
    backfillShardsInState: new Gauge({ name: 'seamless_backfill_shards_in_state', help: 'Shards of the lease store this process has seen, by state (pending, leased, completed, known_empty, failed)', labelNames: ['node_id', 'interval', 'state'], registers }),
    coordinatorUp: new Gauge({ name: 'seamless_coordinator_up', help: 'Whether the backfill coordinator\'s backend (the embedded or etcd lease store, or a remote coordinator) answered its last probe (1) or not (0)', labelNames: ['backend'], registers }),
    conformanceFlags: new Counter({ name: 'seamless_conformance_flag_total', help: 'Conformance findings (rows or bars affected) by flag type', labelNames: ['node_id', 'interval', 'flag_type'], registers }),
    conformanceWarnings: new Counter({ name: 'seamless_conformance_warning_total', help: 'Conformance warnings (one per flag and column per report)', labelNames: ['node_id', 'interval'], registers }),
    conformanceBlocked: new Counter({ name: 'seamless_conformance_blocked_total', help: 'Reads refused by the conformance pipeline in blocking mode', labelNames: ['node_id', 'interval'], registers }),
    conformanceReportsArchived: new Counter({ name: 'seamless_conformance_reports_archived_total', help: 'Conformance reports with findings archived', labelNames: ['node_id', 'interval'], registers }),
    conformanceRegressions: new Counter({ name: 'seamless_conformance_regressions_total', help: 'Reports whose regression digest shows new flags or increased rates', labelNames: ['node_id', 'interval'], registers }),
    schemaValidationFailures: new Counter({ name: 'seamless_schema_validation_failures_total', help: 'Payloads that did not conform to their registry schema', labelNames: ['subject', 'mode'], registers }),
    schemaDrift: new Counter({ name: 'seamless_schema_drift_total', help: 'Payloads whose observed schema drifted from the approved one', labelNames: ['subject'], registers }),
    // Names and labels shared with sla/sla-metrics.ts (staged violations) and the rendered alert rules.
    slaDeadline: new Histogram({ name: 'seamless_sla_deadline_seconds', help: 'Duration of each SLA phase of a read (storage, backfill, live, total)', labelNames: ['node_id', 'phase'], buckets: LATENCY_BUCKETS_S, registers }),
    slaViolations: new Counter({ name: 'seamless_sla_violations_total', help: 'SLA violations by node, phase, policy and mode (dry-run or enforced)', labelNames: ['node_id', 'phase', 'policy', 'mode'], registers }),
    slaDowngrades: new Counter({ name: 'seamless_sla_downgrades_total', help: 'Reads downgraded by an enforced SLA policy (partial or hold)', labelNames: ['node_id', 'mode', 'reason'], registers }),
    readCoverageRatio: new Gauge({ name: 'seamless_read_coverage_ratio', help: 'Coverage ratio of the newest read per dataset', labelNames: ['node_id', 'interval'], registers }),
    readStaleness: new Gauge({ name: 'seamless_read_staleness_seconds', help: 'Staleness of the newest bar of the newest read per dataset', labelNames: ['node_id', 'interval'], registers }),
    upstreamRequests: new Counter({ name: 'seamless_upstream_requests_total', help: 'HTTP requests to upstream exchanges by outcome (ok, or the failure reason: rate_limited, timeout, unavailable, network, bad_request, …)', labelNames: ['upstream', 'outcome'], registers }),
    upstreamRateLimited: new Counter({ name: 'seamless_upstream_rate_limited_total', help: 'Rate-limit answers (429 / RateLimitExceeded) from upstream exchanges; each pauses the upstream budget', labelNames: ['upstream'], registers }),
    upstreamLatency: new Histogram({ name: 'seamless_upstream_latency_seconds', help: 'Duration of HTTP requests to upstream exchanges (after the budget granted them)', labelNames: ['upstream'], buckets: LATENCY_BUCKETS_S, registers }),
    liveMessages: new Counter({ name: 'seamless_live_messages_total', help: 'Live feed messages by outcome (bar, ignored, malformed)', labelNames: ['feed', 'outcome'], registers }),
    liveReconnects: new Counter({ name: 'seamless_live_reconnects_total', help: 'Live feed reconnect attempts', labelNames: ['feed'], registers }),
    liveConnected: new Gauge({ name: 'seamless_live_connected', help: 'Whether every subscription of a live feed is connected (1) or not (0)', labelNames: ['feed'], registers }),
    liveLag: new Gauge({ name: 'seamless_live_lag_seconds', help: 'Seconds since the close time of the newest closed live bar received', labelNames: ['node_id', 'interval'], registers }),
    liveRowsWritten: new Counter({ name: 'seamless_live_rows_written_total', help: 'Closed live bars written through to storage', labelNames: ['node_id', 'interval'], registers }),
    liveWriteFailures: new Counter({ name: 'seamless_live_write_failures_total', help: 'Live write-through batches that failed (retried, or dropped when storage refused them)', labelNames: ['node_id', 'interval'], registers }),
    liveGapRecoveries: new Counter({ name: 'seamless_live_gap_recoveries_total', help: 'Live gaps after a reconnect or start, by outcome after backfill and coverage verification (recovered, missing, not_backfilled, failed)', labelNames: ['node_id', 'interval', 'outcome'], registers }),
    // Admission control of the read path (provider/read/read-admission.ts).
    readRejected: new Counter({ name: 'seamless_read_rejected_total', help: 'Reads refused before any work by admission control (503 overloaded with Retry-After), by reason (inflight_bars)', labelNames: ['reason'], registers }),
    readInflightBars: new Gauge({ name: 'seamless_read_inflight_bars', help: 'Bars requested by the admitted reads in flight now (bounded by limits.maxInflightReadBars)', registers }),
    repairPurges: new Counter({ name: 'seamless_repair_purges_total', help: 'Purges committed (DELETE /v1/bars, seamless purge) and forced backfills (their purge), by action (purge, force_backfill)', labelNames: ['node_id', 'interval', 'action'], registers }),
    repairRowsRemoved: new Counter({ name: 'seamless_repair_rows_removed_total', help: 'Rows removed from storage by purges and forced backfills, by action', labelNames: ['node_id', 'interval', 'action'], registers }),
    domainAsOfRegressions: new Counter({ name: 'seamless_domain_as_of_regressions_total', help: 'live/shadow reads whose asOf is older than one already served for the (world, node), by action (hold: answered, downgraded; refuse: 422)', labelNames: ['world', 'domain', 'action'], registers }),
    universeReads: new Counter({ name: 'seamless_universe_reads_total', help: 'Universe reads (many datasets in one answer) by outcome (ok, partial: some datasets failed, failed)', labelNames: ['outcome'], registers }),
    storageReplicaReads: new Counter({ name: 'seamless_storage_replica_reads_total', help: 'Reads of bars, coverage and the catalog with a standby (storage.readUrl), by target (standby, primary) and reason (current, read_your_writes, lag, down, error)', labelNames: ['target', 'reason'], registers }),
    storageReplicaLag: new Gauge({ name: 'seamless_storage_replica_lag_seconds', help: 'How far the standby (storage.readUrl) was behind the primary at its last probe (NaN while it is down)', registers }),
    universeDatasets: new Counter({ name: 'seamless_universe_datasets_total', help: 'Datasets answered by universe reads, by outcome (ok, failed) and error code (none when ok)', labelNames: ['outcome', 'code'], registers }),
    streamSubscribers: new Gauge({ name: 'seamless_stream_subscribers', help: 'Open subscriptions (GET /v1/stream) by transport (websocket, sse)', labelNames: ['transport'], registers }),
    streamBarsDelivered: new Counter({ name: 'seamless_stream_bars_delivered_total', help: 'Closed bars sent to subscribers, by phase (replay, live)', labelNames: ['phase'], registers }),
    streamDrops: new Counter({ name: 'seamless_stream_drops_total', help: 'Subscriptions the server ended, by reason (slow_consumer, live_backlog, replay_failed, shutdown)', labelNames: ['reason'], registers }),
    streamDeliveryLag: new Histogram({ name: 'seamless_stream_delivery_lag_seconds', help: 'From a live bar\'s close time (ts + interval) to its send to a subscriber; one observation per live message (a batch: its oldest bar)', buckets: LATENCY_BUCKETS_S, registers }),
  };
}
