// The internal door of operations, for tests only (ARCHITECTURE.md §2): the asset data and the
// renderers behind `index.ts`, so the unit and promtool tests check the pieces one by one. No
// folder of src/ imports it.
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
export {
  renderRules, budgetBucketSeconds, promString, GOOD_RATIO_RECORD, RECORD_WINDOWS, BURN_ALERTS, CHECK_ALERT, DRY_RUN_SEVERITY,
} from './sla-rules.js';
export { renderRunbook } from './sla-runbook.js';
export { slaAlertPages } from './sla-alert-pages.js';
export { renderSlaRuleTests, exampleNode } from './sla-rule-tests.js';
export { renderOperationsFiles, DEFAULT_OPS_OPTIONS, GENERATED_BY, SLA_RULES_FILE } from './render-files.js';

export type {
  DashboardSpec, GrafanaDashboard, GrafanaJson, PanelSpec, PanelKind, QuerySpec, RowSpec, VariableSpec, DatasourceKind, FieldLink, Threshold,
} from './grafana.js';
export type { AlertGroup, AlertSpec, AlertCase, AlertRunbook, SeriesSpec, Severity } from './alert-spec.js';
export type { RunbookPage, AlertIndexEntry } from './alert-runbook.js';
export type { RenderRulesFileOptions } from './render-rules.js';
export type { SlaObjective, RecordingRule, RuleGroup } from './recording-rules.js';
export type { RenderRulesOptions } from './sla-rules.js';
export type { OpsRenderOptions } from './render-files.js';
