// The door of operations: every operations asset generated from one source (`seamless ops render`):
// Grafana dashboards, Prometheus alert and recording rules with their promtool tests, runbook pages,
// and the per-policy SLA rules and runbooks (`seamless sla render-rules`). Only the CLI uses it.
export { renderOperationsFiles, DEFAULT_OPS_OPTIONS } from './render-files.js';
export { renderRules } from './sla-rules.js';
export { renderRunbook } from './sla-runbook.js';

export type { OpsRenderOptions } from './render-files.js';
