/**
 * The "Conformance quality" dashboard: conformance flags by type and dataset over time, reads
 * blocked by the pipeline, regression digests and archived reports, and the schema registry's
 * validation failures and drift.
 */
import { buildDashboard } from './grafana.js';
import type { DashboardSpec, GrafanaDashboard } from './grafana.js';
import { NODE, increaseBy, perMinuteBy } from './promql.js';

const FLAGS = `${NODE},flag_type=~"$flag_type"`;

const spec: DashboardSpec = {
  uid: 'seamless-conformance',
  title: 'Seamless conformance quality',
  description: 'Conformance flags, blocked reads, regressions, schema validation failures and drift (docs/operations/dashboards.md).',
  tags: ['seamless', 'conformance'],
  variables: [
    { kind: 'datasource', source: 'prometheus', label: 'Prometheus' },
    { kind: 'label_values', name: 'node_id', label: 'Dataset', metric: 'seamless_conformance_flag_total', labelName: 'node_id' },
    { kind: 'label_values', name: 'flag_type', label: 'Flag', metric: 'seamless_conformance_flag_total', labelName: 'flag_type' },
  ],
  rows: [
    {
      title: 'Flags',
      panels: [
        {
          kind: 'timeseries', title: 'Findings per minute by flag type', stack: true,
          description: 'Rows or bars affected, per flag (gap, duplicate_ts, non_finite, ohlc_inconsistent, dtype_mismatch, …), counted on every read.',
          queries: [{ expr: perMinuteBy('seamless_conformance_flag_total', ['flag_type'], FLAGS), legend: '{{flag_type}}' }],
        },
        {
          kind: 'timeseries', title: 'Findings per minute by dataset', stack: true,
          description: 'The same findings by dataset (node and interval).',
          queries: [{ expr: perMinuteBy('seamless_conformance_flag_total', ['node_id', 'interval'], FLAGS), legend: '{{node_id}} {{interval}}' }],
        },
        {
          kind: 'table', title: 'Findings in the time range by dataset and flag', width: 16,
          description: 'Open the newest report of a dataset with `seamless report list --node NODE`.',
          queries: [{ expr: `sort_desc(${increaseBy('seamless_conformance_flag_total', ['node_id', 'interval', 'flag_type'], FLAGS, '$__range')})`, instant: true }],
          transformations: [{ id: 'organize', options: { excludeByName: { Time: true }, renameByName: { Value: 'findings' } } }],
        },
        {
          kind: 'timeseries', title: 'Warnings per minute', width: 8,
          description: 'One warning per flag and column per report.',
          queries: [{ expr: perMinuteBy('seamless_conformance_warning_total', ['node_id', 'interval'], NODE), legend: '{{node_id}} {{interval}}' }],
        },
      ],
    },
    {
      title: 'Blocked reads and regressions',
      panels: [
        {
          kind: 'timeseries', title: 'Blocked reads per minute', width: 8, stack: true,
          description: 'Reads refused with conformance_blocked (blocking mode, or a strict schema).',
          queries: [{ expr: perMinuteBy('seamless_conformance_blocked_total', ['node_id', 'interval'], NODE), legend: '{{node_id}} {{interval}}' }],
        },
        {
          kind: 'timeseries', title: 'Regression digests per hour', width: 8,
          description: 'Archived reports whose regression digest shows new flag kinds or increased rates against the previous report.',
          queries: [{ expr: `sum by (node_id, interval) (increase(seamless_conformance_regressions_total{${NODE}}[1h]))`, legend: '{{node_id}} {{interval}}' }],
        },
        {
          kind: 'timeseries', title: 'Reports archived per hour', width: 8,
          description: 'Reports with findings appended to the archive (a repeated read with the same findings archives nothing).',
          queries: [{ expr: `sum by (node_id, interval) (increase(seamless_conformance_reports_archived_total{${NODE}}[1h]))`, legend: '{{node_id}} {{interval}}' }],
        },
      ],
    },
    {
      title: 'Schema registry',
      panels: [
        {
          kind: 'timeseries', title: 'Schema validation failures per minute', width: 8, stack: true,
          description: 'Payloads that did not conform to their subject schema: canary (recorded, served) or strict (refused).',
          queries: [{ expr: perMinuteBy('seamless_schema_validation_failures_total', ['subject', 'mode']), legend: '{{subject}} ({{mode}})' }],
        },
        {
          kind: 'timeseries', title: 'Schema drift per minute', width: 8, stack: true,
          description: 'Payloads whose observed columns drifted from the approved schema (unexpected, missing or retyped columns).',
          queries: [{ expr: perMinuteBy('seamless_schema_drift_total', ['subject']), legend: '{{subject}}' }],
        },
        {
          kind: 'table', title: 'Drift and failures in the time range by subject', width: 8,
          description: 'Check a subject with `seamless schema show SUBJECT`.',
          queries: [
            { expr: 'sum by (subject) (increase(seamless_schema_drift_total[$__range]))', instant: true },
            { expr: 'sum by (subject) (increase(seamless_schema_validation_failures_total[$__range]))', instant: true },
          ],
          transformations: [
            { id: 'merge', options: {} },
            { id: 'organize', options: { excludeByName: { Time: true }, renameByName: { 'Value #A': 'drifted', 'Value #B': 'validation failures' } } },
          ],
        },
      ],
    },
  ],
};

export function conformanceDashboard(): GrafanaDashboard {
  return buildDashboard(spec);
}
