/**
 * The "Traces" dashboard: slow and violating reads, and a link from each violating read to its
 * trace. Seamless's metrics carry no trace ids (see docs/operations/dashboards.md for why no
 * exemplars): a traced read's `seamless.sla` "SLA violation" log line carries `traceId`, so the
 * table of the newest violations is a Loki query over those lines, and each trace id links to
 * the trace backend (`trace_url` variable: Jaeger, Tempo, Zipkin…). Prometheus panels show how
 * many reads are slow or violate, and which datasets.
 */
import { LOGGER_NAMES } from '../observability/index.js';
import { buildDashboard } from './grafana.js';
import type { DashboardSpec, GrafanaDashboard } from './grafana.js';
import { NODE, perMinuteBy, rateBy } from './promql.js';

/** The message and fields of the log line the violations table reads (provider/read/sla-stage.ts). */
export const SLA_VIOLATION_LOG = {
  logger: LOGGER_NAMES.sla,
  msg: 'SLA violation',
  fields: ['nodeId', 'interval', 'policy', 'mode', 'phase', 'elapsedMs', 'budgetMs', 'decision', 'traceId'],
} as const;

/** Histogram bucket bounds offered as the "slow read" threshold (seconds, as Prometheus 2 labels them). */
export const SLOW_READ_BUCKETS = ['0.5', '1', '2.5', '5', '10', '30'] as const;

const VIOLATIONS_LOGQL = `$log_stream | json | name="${SLA_VIOLATION_LOG.logger}" | msg="${SLA_VIOLATION_LOG.msg}" | traceId!="" | nodeId=~"$node_id"`;

const spec: DashboardSpec = {
  uid: 'seamless-traces',
  title: 'Seamless traces',
  description: 'Slow and violating reads, linked by trace id to the trace backend (docs/operations/dashboards.md).',
  tags: ['seamless', 'traces'],
  time: 'now-1h',
  variables: [
    { kind: 'datasource', source: 'prometheus', label: 'Prometheus' },
    { kind: 'datasource', source: 'loki', label: 'Loki' },
    { kind: 'label_values', name: 'node_id', label: 'Dataset', metric: 'seamless_sla_deadline_seconds_count', labelName: 'node_id' },
    {
      kind: 'custom', name: 'slow_le', label: 'Slow read above (s)', values: SLOW_READ_BUCKETS, value: '2.5',
      description: 'A bucket bound of seamless_fetch_duration_seconds: reads longer than this count as slow.',
    },
    {
      kind: 'textbox', name: 'log_stream', label: 'Loki stream', value: '{job="seamless"}',
      description: 'The LogQL stream selector of the Seamless processes\' stderr, as your log shipper labels it.',
    },
    {
      kind: 'textbox', name: 'trace_url', label: 'Trace URL prefix', value: 'http://localhost:16686/trace/',
      description: 'Prefix of a trace page; the trace id is appended (Jaeger: …/trace/, Zipkin: …/zipkin/traces/).',
    },
  ],
  rows: [
    {
      title: 'Slow and violating reads',
      panels: [
        {
          kind: 'timeseries', title: 'Reads slower than $slow_le s per minute', width: 8, stack: true,
          description: 'Reads of the read path (seamless_fetch_duration_seconds) that took longer than the threshold, by strategy.',
          queries: [{
            expr: `60 * (${rateBy('seamless_fetch_duration_seconds_count', ['strategy'])} - ${rateBy('seamless_fetch_duration_seconds_bucket', ['strategy'], 'le="$slow_le"')})`,
            legend: '{{strategy}}',
          }],
        },
        {
          kind: 'timeseries', title: 'SLA violations per minute by phase', width: 8, stack: true,
          description: 'Every violation logs a seamless.sla line; traced reads put their trace id on it (table below).',
          queries: [{ expr: perMinuteBy('seamless_sla_violations_total', ['phase', 'mode'], NODE), legend: '{{phase}} ({{mode}})' }],
        },
        {
          kind: 'table', title: 'Slowest datasets (p99 of the total phase)', width: 8,
          description: 'Datasets whose reads take longest over the time range.',
          queries: [{
            expr: `topk(10, histogram_quantile(0.99, ${rateBy('seamless_sla_deadline_seconds_bucket', ['node_id', 'le'], `phase="total",${NODE}`, '$__range')}))`,
            instant: true,
          }],
          unit: 's',
          transformations: [{ id: 'organize', options: { excludeByName: { Time: true }, renameByName: { Value: 'p99' } } }],
        },
      ],
    },
    {
      title: 'Traces of violating reads',
      panels: [
        {
          kind: 'table', title: 'Newest SLA violations of traced reads', datasource: 'loki', width: 24, height: 12,
          description: 'The seamless.sla "SLA violation" log lines that carry a traceId (reads traced with tracing.endpoint set). Click a trace id to open the trace.',
          queries: [{ expr: VIOLATIONS_LOGQL }],
          fieldLinks: [{ field: 'traceId', title: 'Open trace ${__value.raw}', url: '${trace_url}${__value.raw}' }],
          transformations: [
            { id: 'extractFields', options: { source: 'labels', format: 'auto', replace: false, keepTime: true } },
            {
              id: 'organize',
              options: {
                excludeByName: { labels: true, Line: true, tsNs: true, id: true, detected_level: true },
                indexByName: Object.fromEntries(['Time', ...SLA_VIOLATION_LOG.fields].map((f, i) => [f, i])),
              },
            },
            { id: 'filterFieldsByName', options: { include: { names: ['Time', ...SLA_VIOLATION_LOG.fields] } } },
          ],
        },
        {
          kind: 'text', title: 'How reads get trace ids', width: 24, height: 5,
          description: 'Where the trace ids come from.',
          content: [
            'Reads are traced when `tracing.endpoint` (OTLP/HTTP) is set: each read is a `seamless.pipeline` trace with a child span per step.',
            'A traced read that violates its SLA policy logs `traceId` on its `seamless.sla` "SLA violation" line; ship stderr to Loki and set',
            '`log_stream` to its stream selector and `trace_url` to your trace backend. Slow reads are the violations of phase `total`:',
            'the catch-all dry-run policy measures every read. See docs/operations/dashboards.md.',
          ].join('\n'),
        },
      ],
    },
  ],
};

export function tracesDashboard(): GrafanaDashboard {
  return buildDashboard(spec);
}
