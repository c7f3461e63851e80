/**
 * The "Backfill coordinator" dashboard: jobs and their completion ratio, shards by state and
 * outcome, lease health (leases held, lease duration, stale claims, the coordinator's backend
 * up or down), and the upstream exchanges (requests, rate limits, latency).
 */
import { buildDashboard } from './grafana.js';
import type { DashboardSpec, GrafanaDashboard } from './grafana.js';
import { NODE, perMinuteBy, quantileQueries, rateBy } from './promql.js';

const spec: DashboardSpec = {
  uid: 'seamless-backfill',
  title: 'Seamless backfill coordinator',
  description: 'Backfill jobs, shards, leases and upstream exchanges (docs/operations/dashboards.md).',
  tags: ['seamless', 'backfill'],
  variables: [
    { kind: 'datasource', source: 'prometheus', label: 'Prometheus' },
    { kind: 'label_values', name: 'node_id', label: 'Dataset', metric: 'seamless_backfill_shards_total', labelName: 'node_id' },
  ],
  rows: [
    {
      title: 'Jobs',
      panels: [
        {
          kind: 'stat', title: 'Jobs running', width: 6, thresholds: [{ color: 'green', value: null }],
          description: 'Backfill jobs the coordinators track that have shards left (seamless_backfill_jobs_running).',
          queries: [{ expr: `sum(seamless_backfill_jobs_running{${NODE}})`, legend: 'running' }],
        },
        {
          kind: 'timeseries', title: 'Jobs finished per minute by state', width: 8, stack: true,
          description: 'completed: every shard stored or known empty; failed: at least one shard failed after its retries.',
          queries: [{ expr: perMinuteBy('seamless_backfill_jobs_total', ['state'], NODE), legend: '{{state}}' }],
        },
        {
          kind: 'timeseries', title: 'Completion ratio of running jobs', width: 10, unit: 'percentunit', max: 1,
          description: 'backfill_completion_ratio per running job (the series ends with the job).',
          queries: [{ expr: `backfill_completion_ratio{${NODE}}`, legend: '{{node_id}} {{interval}} {{job}}' }],
        },
      ],
    },
    {
      title: 'Shards',
      panels: [
        {
          kind: 'timeseries', title: 'Shards by state', width: 8, stack: true,
          description: 'Shards of the lease store by state (pending, leased, completed, known_empty, failed), as the coordinators see them.',
          queries: [{ expr: `sum by (state) (max by (node_id, interval, state) (seamless_backfill_shards_in_state{${NODE}}))`, legend: '{{state}}' }],
        },
        {
          kind: 'timeseries', title: 'Shard outcomes per minute', width: 8, stack: true,
          description: 'completed, known_empty, retried (failed, will be retried) and failed (after the last attempt).',
          queries: [{ expr: perMinuteBy('seamless_backfill_shards_total', ['outcome'], NODE), legend: '{{outcome}}' }],
        },
        {
          kind: 'timeseries', title: 'Rows per second', width: 8,
          description: 'Rows received from upstreams and rows written to storage by backfill; shards joined by overlapping requests.',
          queries: [
            { expr: rateBy('seamless_backfill_upstream_rows_total', [], NODE), legend: 'from upstreams' },
            { expr: rateBy('seamless_backfill_rows_written_total', [], NODE), legend: 'written' },
            { expr: rateBy('seamless_backfill_shards_joined_total', [], NODE), legend: 'shards joined' },
          ],
        },
      ],
    },
    {
      title: 'Leases and the coordinator',
      panels: [
        {
          kind: 'stat', title: 'Coordinator backend', width: 6, thresholds: [{ color: 'red', value: null }, { color: 'green', value: 1 }],
          valueText: { 0: 'down', 1: 'up' },
          description: 'seamless_coordinator_up: the lease store (embedded or etcd) or the remote coordinator answered the last probe.',
          queries: [{ expr: 'min by (backend) (seamless_coordinator_up)', legend: '{{backend}}' }],
        },
        {
          kind: 'timeseries', title: 'Leases held', width: 6,
          description: 'Shard leases held by each process now (seamless_backfill_inflight).',
          queries: [{ expr: 'sum by (instance) (seamless_backfill_inflight)', legend: '{{instance}}' }],
        },
        {
          kind: 'timeseries', title: 'Lease duration p50 / p95 / p99', width: 6, unit: 's',
          description: 'How long leases were held from grant to end; a p99 near the lease TTL means slow shards or missed heartbeats.',
          queries: quantileQueries('seamless_backfill_lease_seconds', []),
        },
        {
          kind: 'timeseries', title: 'Stale claims per minute', width: 6,
          description: 'Leases that expired without a heartbeat (a worker died or stalled); their shards went back to pending.',
          queries: [{ expr: perMinuteBy('seamless_backfill_stale_claims_total', ['node_id', 'interval'], NODE), legend: '{{node_id}} {{interval}}' }],
        },
      ],
    },
    {
      title: 'Upstream exchanges',
      panels: [
        {
          kind: 'timeseries', title: 'Requests per second by outcome', width: 8, unit: 'reqps', stack: true,
          description: 'ok, or the failure reason (rate_limited, timeout, unavailable, network, bad_request, …).',
          queries: [{ expr: rateBy('seamless_upstream_requests_total', ['upstream', 'outcome']), legend: '{{upstream}} {{outcome}}' }],
        },
        {
          kind: 'timeseries', title: 'Rate-limit answers per minute', width: 8,
          description: '429 / RateLimitExceeded answers; each pauses the upstream budget for every worker.',
          queries: [{ expr: perMinuteBy('seamless_upstream_rate_limited_total', ['upstream']), legend: '{{upstream}}' }],
        },
        {
          kind: 'timeseries', title: 'Upstream latency p50 / p95 / p99', width: 8, unit: 's',
          description: 'Duration of upstream HTTP requests after the budget granted them.',
          queries: quantileQueries('seamless_upstream_latency_seconds', ['upstream']),
        },
      ],
    },
  ],
};

export function backfillDashboard(): GrafanaDashboard {
  return buildDashboard(spec);
}
