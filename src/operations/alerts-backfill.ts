/**
 * Alerts of backfill coordination: stuck leases, stale claims, failed shards and an unavailable
 * coordinator backend (the lease store: embedded DuckDB or etcd; or a remote coordinator).
 */
import type { AlertGroup } from './alert-spec.js';

const INSTANCE = 'instance="gateway-0:8080",job="seamless-gateway"';
const INSTANCE_LABELS = { instance: 'gateway-0:8080', job: 'seamless-gateway' };
const BTC = 'node_id="ohlcv:binance:BTC/USDT",interval="1m"';
const BTC_LABELS = { node_id: 'ohlcv:binance:BTC/USDT', interval: '1m' };

export const BACKFILL_ALERTS: AlertGroup = {
  name: 'seamless-backfill',
  title: 'Backfill coordination',
  alerts: [
    {
      alert: 'SeamlessLeasesStuck',
      expr: 'max by (instance, job) (seamless_backfill_inflight) > 0\nunless on (instance, job)\nsum by (instance, job) (increase(seamless_backfill_shards_total[15m])) > 0',
      for: '10m',
      severity: 'page',
      summary: '{{ $labels.instance }} holds shard leases but no shard has ended for 25 minutes',
      description: 'Workers of {{ $labels.instance }} hold leases (seamless_backfill_inflight > 0) and none of its shards completed, failed or was retried in the last 15 minutes, for 10 minutes: fetches hang while their heartbeats keep the leases alive.',
      runbook: {
        meaning: 'A process holds shard leases and keeps them alive with heartbeats, but no shard it works on has ended (completed, known empty, retried or failed) for a long time. Shards are sized to finish in seconds to minutes, so its fetches are hanging: an upstream that never answers, a storage write that blocks, or a worker loop stuck on a lock.',
        impact: 'The shards it holds are not backfilled and no other worker may take them while the heartbeats go on. Reads of those ranges wait for their SLA backfill budget and then answer partially (or fail, under `onViolation: fail`).',
        checks: [
          'Which leases are held, by whom and since when: `seamless backfill` jobs are listed by `curl -s $GATEWAY/v1/backfills`; a shard\'s lease by `curl -s "$GATEWAY/v1/leases/inspect?key=KEY"` (holder, token, lease_until_ms).',
          'Is the upstream answering? `seamless health --url $GATEWAY` (the `upstream:NAME` checks) and the upstream latency:\n  ```promql\n  histogram_quantile(0.99, sum by (upstream, le) (rate(seamless_upstream_latency_seconds_bucket[5m])))\n  ```',
          'The `seamless.backfill` log lines of the instance: `shard fetch failed; retrying`, `heartbeat failed; will try again`, `lease lost; abandoning the fetch`.',
          'Storage: `curl -s $GATEWAY/healthz` (check `storage`).',
        ],
        fix: [
          'An upstream that hangs: lower `sources.<name>.timeoutMs` so fetches fail (and retry) instead of waiting; restart the instance to release its leases now.',
          'Restarting the process is always safe: its leases expire after `seamless.backfill.leaseMs`, the shards go back to pending and another worker completes them (fencing tokens refuse any late write of the old holder).',
          'If backfill must stop while the cause is found: `seamless.backfill.suspended: true` (reads answer from storage only).',
        ],
        escalation: 'The data-platform on-call (#seamless-oncall); the exchange or storage owner when the checks point there.',
      },
      bad: {
        name: 'one lease held for 40 minutes while no shard ends',
        evalAt: '30m',
        series: [
          { series: `seamless_backfill_inflight{${INSTANCE}}`, values: '1x40' },
          { series: `seamless_backfill_shards_total{${INSTANCE},${BTC},outcome="completed"}`, values: '12x40' },
        ],
        fires: [INSTANCE_LABELS],
      },
      healthy: {
        name: 'a lease always held while shards keep completing',
        evalAt: '30m',
        series: [
          { series: `seamless_backfill_inflight{${INSTANCE}}`, values: '1x40' },
          { series: `seamless_backfill_shards_total{${INSTANCE},${BTC},outcome="completed"}`, values: '0+2x40' },
        ],
        fires: [],
      },
    },
    {
      alert: 'SeamlessStaleClaims',
      expr: 'sum by (node_id, interval) (increase(seamless_backfill_stale_claims_total[30m])) > 3',
      for: '5m',
      severity: 'ticket',
      summary: 'Shard leases of {{ $labels.node_id }} {{ $labels.interval }} keep expiring without a heartbeat',
      description: 'More than 3 leases of {{ $labels.node_id }} {{ $labels.interval }} expired without a heartbeat in 30 minutes: workers die or stall while fetching, and their shards are re-queued.',
      runbook: {
        meaning: 'A stale claim is a lease that expired without a heartbeat; the sweeper (or the next claimant) puts its shard back to pending. One now and then is a worker that was killed. Several in half an hour for one dataset mean workers keep dying or stalling on its shards: out-of-memory kills on a huge shard, event-loop stalls longer than the lease, or a network split between workers and the lease store.',
        impact: 'Each stale claim wastes up to one lease TTL plus the fetch. Backfill of the dataset slows down, reads wait longer and burn their SLA backfill budget; a shard that kills every worker that takes it never completes.',
        checks: [
          'Stale claims by dataset:\n  ```promql\n  sum by (node_id, interval) (increase(seamless_backfill_stale_claims_total[1h]))\n  ```',
          'The `seamless.backfill` log lines `stale claim: lease expired, shard re-queued` name the shard and its previous holder; the events feed (`curl -sN $GATEWAY/v1/events`) shows `expired` and `requeued`.',
          'Restarts and memory of the workers (`seamless_process_process_start_time_seconds`, `seamless_process_process_resident_memory_bytes`) and event-loop stalls (`seamless_process_nodejs_eventloop_lag_p99_seconds`).',
          'Lease timing: `seamless.backfill.leaseMs` against `seamless.backfill.heartbeatMs`, and the lease duration p99 on the Backfill coordinator dashboard.',
        ],
        fix: [
          'Workers killed for memory: lower `seamless.backfill.barsPerShard` or give the workers more memory.',
          'Event-loop stalls or a slow lease store: raise `seamless.backfill.leaseMs` (keep `heartbeatMs` at most a third of it).',
          'A network split to etcd: see SeamlessCoordinatorUnavailable.',
        ],
        escalation: 'Ticket to the data-platform team (#seamless-oncall); page if reads start failing their SLA.',
      },
      bad: {
        name: 'a stale claim every minute',
        evalAt: '20m',
        series: [{ series: `seamless_backfill_stale_claims_total{${INSTANCE},${BTC}}`, values: '0+1x30' }],
        fires: [BTC_LABELS],
      },
      healthy: {
        name: 'one worker killed once',
        evalAt: '30m',
        series: [{ series: `seamless_backfill_stale_claims_total{${INSTANCE},${BTC}}`, values: '0x10 1x20' }],
        fires: [],
      },
    },
    {
      alert: 'SeamlessBackfillShardsFailed',
      expr: 'sum by (node_id, interval) (increase(seamless_backfill_shards_total{outcome="failed"}[15m])) > 0',
      severity: 'ticket',
      summary: 'Backfill shards of {{ $labels.node_id }} {{ $labels.interval }} failed after their retries',
      description: 'Shards of {{ $labels.node_id }} {{ $labels.interval }} failed for good in the last 15 minutes; their ranges are recorded failed in coverage and reads report them in failedRanges.',
      runbook: {
        meaning: 'A shard failed on its last attempt (`seamless.backfill.maxAttempts`, with backoff) or with an error that is not retryable (an unknown symbol, a refused request). Its range is recorded `failed` in coverage with the reason and attempt count.',
        impact: 'Reads of the range lack those bars: `partialOk` reads answer partially with `failedRanges`, others fail with `data_unavailable`. Nothing retries it until a read or a `seamless backfill` asks for the range again.',
        checks: [
          'The reason: `seamless coverage --node NODE --interval INTERVAL` (state failed, reason, attempts), or the failed job: `curl -s $GATEWAY/v1/backfills`.',
          'Upstream answers by outcome:\n  ```promql\n  sum by (upstream, outcome) (increase(seamless_upstream_requests_total[15m]))\n  ```',
          'The `seamless.backfill` log lines `backfill event` with `type: failed`, or the `failed` events with `final: true` in `curl -sN $GATEWAY/v1/events`.',
        ],
        fix: [
          'A transient upstream outage: once it answers, retry the range with `seamless backfill --node NODE --interval INTERVAL --start START --end END`.',
          'A refused symbol or dataset: fix the dataset\'s source configuration (`datasets[].source`, the exchange symbol), restart, and backfill again.',
          'Many retries before the failure: raise `seamless.backfill.maxAttempts` only if the upstream recovers within the backoff.',
        ],
        escalation: 'Ticket to the dataset owner; #seamless-oncall when every dataset of one upstream fails.',
      },
      bad: {
        name: 'a shard fails for good',
        evalAt: '10m',
        series: [
          { series: `seamless_backfill_shards_total{${INSTANCE},${BTC},outcome="failed"}`, values: '0x5 1x15' },
          { series: `seamless_backfill_shards_total{${INSTANCE},${BTC},outcome="completed"}`, values: '0+3x20' },
        ],
        fires: [BTC_LABELS],
      },
      healthy: {
        name: 'shards complete; an old failure stays flat',
        evalAt: '30m',
        series: [
          { series: `seamless_backfill_shards_total{${INSTANCE},${BTC},outcome="failed"}`, values: '2x40' },
          { series: `seamless_backfill_shards_total{${INSTANCE},${BTC},outcome="retried"}`, values: '0+1x40' },
          { series: `seamless_backfill_shards_total{${INSTANCE},${BTC},outcome="completed"}`, values: '0+3x40' },
        ],
        fires: [],
      },
    },
    {
      alert: 'SeamlessCoordinatorUnavailable',
      expr: 'seamless_coordinator_up == 0',
      for: '2m',
      severity: 'page',
      summary: '{{ $labels.instance }} cannot reach its backfill coordinator ({{ $labels.backend }})',
      description: 'The {{ $labels.backend }} backend of the backfill coordinator has not answered {{ $labels.instance }} for 2 minutes: no shard can be claimed, heartbeated or completed there.',
      runbook: {
        meaning: 'The process probes its coordinator backend continuously: the lease sweeper lists leases every quarter lease TTL (embedded DuckDB or etcd store), a remote worker long-polls its coordinator for work, and `/healthz` pings them. `seamless_coordinator_up{backend}` is 0 when the last probe failed. With `backend="etcd"` the etcd cluster has no quorum or is unreachable; with `backend="remote"` the coordinator process at `seamless.backfill.endpoint` does not answer.',
        impact: 'Backfill stops: jobs cannot be registered, shards cannot be claimed and leases cannot be renewed (held leases expire and their fetches are abandoned). Reads answer from storage only and downgrade or fail when bars are missing.',
        checks: [
          '`seamless health --url $GATEWAY` (or `curl -s $GATEWAY/healthz`): the `coordinator` check names the error; for etcd it reports the members answering and the leader.',
          'etcd itself: `etcdctl --endpoints $ETCD endpoint health` and `etcdctl --endpoints $ETCD endpoint status -w table` (leader, raft index, db size).',
          'A remote coordinator: `curl -s $COORDINATOR/healthz`; the workers log `cannot get work from the coordinator; retrying`.',
          'Which processes see it down:\n  ```promql\n  min by (instance, backend) (seamless_coordinator_up)\n  ```',
        ],
        fix: [
          'etcd without quorum: restart the failed members (or replace them) until a majority answers; the coordinators recover by themselves and re-queue expired leases.',
          'A remote coordinator down: restart it (`seamless coordinator serve`); unfinished shards are re-queued at its start.',
          'Embedded store errors (disk full, file locked): free the disk or stop the second process opening the data directory, then restart.',
        ],
        escalation: 'Page the data-platform on-call (PagerDuty: seamless-data-plane); the etcd owners for a cluster without quorum.',
      },
      bad: {
        name: 'the etcd lease store stops answering',
        evalAt: '15m',
        series: [{ series: `seamless_coordinator_up{${INSTANCE},backend="etcd"}`, values: '1x5 0x20' }],
        fires: [{ ...INSTANCE_LABELS, backend: 'etcd' }],
      },
      healthy: {
        name: 'one failed probe, then answers again',
        evalAt: '15m',
        series: [{ series: `seamless_coordinator_up{${INSTANCE},backend="etcd"}`, values: '1x5 0 1x14' }],
        fires: [],
      },
    },
  ],
};
