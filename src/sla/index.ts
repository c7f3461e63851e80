// The door of sla: policy files, which policy applies to a read, per-phase deadlines, read
// checks and decisions, SLA metrics and staged violations. The Prometheus rules and runbooks
// rendered from the policies live in operations/.
export { BUDGET_PHASES } from './policy-schema.js';
export { formatProblem } from './parse-policy.js';
export { loadSlaPolicies, checkSlaPolicies, DEFAULT_SLA_POLICY_DIR } from './load-policies.js';
export { asDryRun, createSlaPolicySet, comparePrecedence, policiesOverlap } from './policy-set.js';
export { compileGlob, globToPromRegex } from './glob.js';
export { createPhaseClock } from './phase-clock.js';
export { evaluateRead, decide, slaError, budgetViolation } from './evaluate.js';
export { createSlaMetrics, SLA_METRIC_NAMES } from './sla-metrics.js';
export { recordStagedRead } from './staged-violation.js';

export type { SlaPolicy, BudgetPhase, ReadPhase } from './policy-schema.js';
export type { SlaPolicySet } from './policy-set.js';
export type { PhaseClock, PhaseHandle, ClockResult } from './phase-clock.js';
export type { Violation, ReadObservation, SlaDecision } from './evaluate.js';
