// The door of observability/operations: Grafana dashboards, Prometheus alert and recording rules,
// their promtool tests and runbooks, generated from one source (`seamless ops render`).
export { buildDashboard, dashboardQueries, DATASOURCE_VARIABLE, GRAFANA_SCHEMA_VERSION } from './grafana.js';
export { DASHBOARDS, ALERT_GROUPS } from './catalog.js';
export { SLA_VIOLATION_LOG, SLOW_READ_BUCKETS } from './dashboard-traces.js';
export { expandTemplate, runbookFile } from './alert-spec.js';
export { alertPage, renderRunbookPage, renderAlertIndex, indexEntries } from './alert-runbook.js';
export {
  renderAlertRules, renderRecordingRules, renderAlertTests, ALERT_RULES_FILE, RECORDING_RULES_FILE, ALERT_EVALUATION_INTERVAL,
} from './render-rules.js';
export {
  recordingRuleGroups, SLA_GOOD_RATIO_RECORD, SLA_OBJECTIVE_RECORD, SLA_GOOD_RATIO_30D_RECORD, SLA_BUDGET_REMAINING_RECORD,
  INTERVAL_SECONDS_RECORD,
} from './recording-rules.js';
export { metricNamesOf, metricNamesOfVariable, sampledSeries, missingSeries } from './metric-names.js';

export type {
  DashboardSpec, GrafanaDashboard, GrafanaJson, PanelSpec, PanelKind, QuerySpec, RowSpec, VariableSpec, DatasourceKind, FieldLink, Threshold,
} from './grafana.js';
export type { AlertGroup, AlertSpec, AlertCase, AlertRunbook, SeriesSpec, Severity } from './alert-spec.js';
export type { RunbookPage, AlertIndexEntry } from './alert-runbook.js';
export type { RenderRulesFileOptions } from './render-rules.js';
export type { SlaObjective, RecordingRule, RuleGroup } from './recording-rules.js';
