/**
 * The "Seamless SLA" dashboard: compliance and error budget per policy (from the recording
 * rules of `seamless sla render-rules` and seamless-recording.yml), p50/p95/p99 of every read
 * phase, violations, downgrades, the freshness and coverage of the newest reads, and the live
 * feeds that serve the newest part of reads.
 */
import { buildDashboard } from './grafana.js';
import type { DashboardSpec, GrafanaDashboard, VariableSpec } from './grafana.js';
import { NODE, increaseBy, perMinuteBy, quantileQueries, rateBy } from './promql.js';
import { SLA_BUDGET_REMAINING_RECORD, SLA_GOOD_RATIO_RECORD, SLA_OBJECTIVE_RECORD } from './recording-rules.js';

const POLICY = 'policy=~"$policy"';
const COMPLIANCE_THRESHOLDS = [{ color: 'red', value: null }, { color: 'orange', value: 0.95 }, { color: 'green', value: 0.99 }];

export const SLA_VARIABLES: readonly VariableSpec[] = [
  { kind: 'datasource', source: 'prometheus', label: 'Prometheus' },
  { kind: 'label_values', name: 'node_id', label: 'Dataset', metric: 'seamless_sla_deadline_seconds_count', labelName: 'node_id' },
  { kind: 'label_values', name: 'policy', label: 'SLA policy', metric: `${SLA_GOOD_RATIO_RECORD}:rate5m`, labelName: 'policy' },
];

const spec: DashboardSpec = {
  uid: 'seamless-sla',
  title: 'Seamless SLA',
  description: 'SLA policies: compliance, error budget, latency per read phase, violations and downgrades (docs/operations/dashboards.md).',
  tags: ['seamless', 'sla'],
  variables: SLA_VARIABLES,
  rows: [
    {
      title: 'Compliance and error budget (policy variable)',
      panels: [
        {
          kind: 'stat', title: 'Reads within budget, last hour', width: 8, unit: 'percentunit', decimals: 2, thresholds: COMPLIANCE_THRESHOLDS,
          description: 'Worst phase of each policy: the share of reads whose phase took no longer than its budget over the last hour.',
          queries: [{ expr: `min by (policy) (${SLA_GOOD_RATIO_RECORD}:rate1h{${POLICY}})`, legend: '{{policy}}' }],
        },
        {
          kind: 'bargauge', title: 'Error budget remaining (30 days)', width: 8, unit: 'percentunit', min: 0, max: 1,
          thresholds: [{ color: 'red', value: null }, { color: 'orange', value: 0.25 }, { color: 'green', value: 0.5 }],
          description: '1 − (1 − good ratio over 30 days) ÷ (1 − objective), per policy and phase; below 0 the budget is overspent.',
          queries: [{ expr: `${SLA_BUDGET_REMAINING_RECORD}{${POLICY}}`, legend: '{{policy}} {{phase}}' }],
        },
        {
          kind: 'timeseries', title: 'Burn rate (1 h window)', width: 8, unit: 'short',
          thresholds: [{ color: 'green', value: null }, { color: 'orange', value: 6 }, { color: 'red', value: 14.4 }],
          description: 'How fast each policy spends its error budget: 1 spends it exactly in 30 days; 6 and 14.4 are the slow and fast burn alert thresholds.',
          queries: [{
            expr: `(1 - ${SLA_GOOD_RATIO_RECORD}:rate1h{${POLICY}}) / on (policy) group_left () (1 - ${SLA_OBJECTIVE_RECORD})`,
            legend: '{{policy}} {{phase}}',
          }],
        },
        {
          kind: 'timeseries', title: 'Reads within budget (5 m) per policy and phase', width: 24, unit: 'percentunit', max: 1,
          description: 'The good ratio the burn-rate alerts are computed from.',
          queries: [{ expr: `${SLA_GOOD_RATIO_RECORD}:rate5m{${POLICY}}`, legend: '{{policy}} {{phase}}' }],
        },
      ],
    },
    {
      title: 'Latency per read phase (dataset variable)',
      panels: [
        {
          kind: 'timeseries', title: 'Phase duration p50 / p95 / p99', width: 16, unit: 's',
          description: 'seamless_sla_deadline_seconds: storage, backfill, live and total phase of every read under a policy, and recovery of watched backfill jobs.',
          queries: quantileQueries('seamless_sla_deadline_seconds', ['phase'], NODE),
        },
        {
          kind: 'timeseries', title: 'Read duration p95 by strategy', width: 8, unit: 's',
          description: 'The whole read path (seamless_fetch_duration_seconds), policy or not.',
          queries: [{
            expr: 'histogram_quantile(0.95, sum by (strategy, le) (rate(seamless_fetch_duration_seconds_bucket[$__rate_interval])))',
            legend: '{{strategy}}',
          }],
        },
      ],
    },
    {
      title: 'Violations and downgrades',
      panels: [
        {
          kind: 'timeseries', title: 'Violations per minute by policy and phase', stack: true,
          description: 'seamless_sla_violations_total; mode dry-run violations are measured only, enforced ones changed the answer.',
          queries: [{ expr: perMinuteBy('seamless_sla_violations_total', ['policy', 'phase', 'mode'], `${NODE},${POLICY}`), legend: '{{policy}} {{phase}} ({{mode}})' }],
        },
        {
          kind: 'timeseries', title: 'Downgraded reads per minute', stack: true,
          description: 'Reads an enforced policy answered partially (partial) or marked not to be traded on (hold), by reason.',
          queries: [{ expr: perMinuteBy('seamless_sla_downgrades_total', ['node_id', 'mode', 'reason'], NODE), legend: '{{node_id}} {{mode}} {{reason}}' }],
        },
        {
          kind: 'table', title: 'Violations in the time range by dataset', width: 24, height: 7,
          description: 'Which datasets break which policy phase most.',
          queries: [{ expr: `sort_desc(${increaseBy('seamless_sla_violations_total', ['node_id', 'policy', 'phase', 'mode'], `${NODE},${POLICY}`, '$__range')})`, instant: true }],
          transformations: [{ id: 'organize', options: { excludeByName: { Time: true }, renameByName: { Value: 'violations' } } }],
        },
      ],
    },
    {
      title: 'Freshness and coverage of the newest read per dataset',
      panels: [
        {
          kind: 'timeseries', title: 'Coverage ratio', unit: 'percentunit', max: 1,
          description: 'Share of the requested bars the newest read of each dataset had.',
          queries: [{ expr: `min by (node_id, interval) (seamless_read_coverage_ratio{${NODE}})`, legend: '{{node_id}} {{interval}}' }],
        },
        {
          kind: 'timeseries', title: 'Staleness of the newest bar', unit: 's',
          description: 'Age of the newest bar of the newest read of each dataset (compare with the policy freshness bound).',
          queries: [{ expr: `max by (node_id, interval) (seamless_read_staleness_seconds{${NODE}})`, legend: '{{node_id}} {{interval}}' }],
        },
      ],
    },
    {
      title: 'Live feeds (the newest part of reads)',
      panels: [
        {
          kind: 'timeseries', title: 'Live lag', width: 6, unit: 's',
          description: 'Seconds since the close of the newest closed live bar per dataset; healthy stays under one interval.',
          queries: [{ expr: `max by (node_id, interval) (seamless_live_lag_seconds{${NODE}})`, legend: '{{node_id}} {{interval}}' }],
        },
        {
          kind: 'timeseries', title: 'Live messages per second by outcome', width: 6, stack: true,
          description: 'bar, ignored (not for a subscribed dataset) or malformed (the mapping does not match).',
          queries: [{ expr: rateBy('seamless_live_messages_total', ['feed', 'outcome']), legend: '{{feed}} {{outcome}}' }],
        },
        {
          kind: 'timeseries', title: 'Connected feeds, reconnects and gap recoveries', width: 6,
          description: 'seamless_live_connected per feed; reconnect attempts and gaps backfilled after reconnects per minute.',
          queries: [
            { expr: 'min by (feed) (seamless_live_connected)', legend: '{{feed}} connected' },
            { expr: perMinuteBy('seamless_live_reconnects_total', ['feed']), legend: '{{feed}} reconnects/min' },
            { expr: perMinuteBy('seamless_live_gap_recoveries_total', ['outcome'], NODE), legend: 'gaps {{outcome}}/min' },
          ],
        },
        {
          kind: 'timeseries', title: 'Live bars written through per second', width: 6,
          description: 'Closed live bars written to storage (with their coverage).',
          queries: [{ expr: rateBy('seamless_live_rows_written_total', ['node_id', 'interval'], NODE), legend: '{{node_id}} {{interval}}' }],
        },
      ],
    },
  ],
};

export function slaDashboard(): GrafanaDashboard {
  return buildDashboard(spec);
}
