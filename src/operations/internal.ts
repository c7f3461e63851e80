// The internal door of operations, for tests only (ARCHITECTURE.md §2): the asset data and the
// renderers behind `index.ts`, so the unit and promtool tests check the pieces one by one. No
// folder of src/ imports it.
export { ALERT_RULES_FILE, RECORDING_RULES_FILE, renderAlertRules, renderAlertTests, renderRecordingRules } from './render-rules.js';
export { DASHBOARDS, ALERT_GROUPS } from './catalog.js';
export { SLA_VIOLATION_LOG } from './dashboard-traces.js';
export { dashboardQueries, buildDashboard } from './grafana.js';
export { metricNamesOf, metricNamesOfVariable, missingSeries, sampledSeries } from './metric-names.js';
export { BURN_ALERTS, budgetBucketSeconds, GOOD_RATIO_RECORD, RECORD_WINDOWS } from './sla-rules.js';
export { SLA_GOOD_RATIO_RECORD, recordingRuleGroups } from './recording-rules.js';
export { expandTemplate } from './alert-spec.js';

export type { AlertGroup } from './alert-spec.js';
export type { GrafanaJson } from './grafana.js';
