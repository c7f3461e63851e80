// The door of sla: policy files, which policy applies to a read, per-phase deadlines, read
// checks and decisions, SLA metrics and staged violations. The Prometheus rules and runbooks
// rendered from the policies live in operations/.
export {
  SlaPolicySchema, DEFAULT_ON_VIOLATION, DEFAULT_SLA_OBJECTIVE, MIN_SLA_OBJECTIVE, MAX_SLA_OBJECTIVE, MAX_BUDGET_MS, BUDGET_PHASES,
} from './policy-schema.js';
export { parseSlaPolicy, formatProblem } from './parse-policy.js';
export { loadSlaPolicies, checkSlaPolicies, DEFAULT_SLA_POLICY_DIR } from './load-policies.js';
export { asDryRun, createSlaPolicySet, comparePrecedence, policiesOverlap } from './policy-set.js';
export { compileGlob, globToPromRegex, globsOverlap } from './glob.js';
export { createPhaseClock } from './phase-clock.js';
export { evaluateRead, decide, slaError, budgetViolation } from './evaluate.js';
export { createSlaMetrics, SLA_METRIC_NAMES } from './sla-metrics.js';
export { recordStagedRead, logViolation } from './staged-violation.js';

export type { SlaPolicy, SlaPolicySpec, SlaMode, OnViolation, BudgetPhase, ReadPhase } from './policy-schema.js';
export type { SlaPolicyProblem, ParsedPolicy } from './parse-policy.js';
export type { SlaPolicyCheck } from './load-policies.js';
export type { SlaPolicySet, SlaResolution, SlaCandidate, SlaExplanation } from './policy-set.js';
export type { NodeGlob } from './glob.js';
export type { PhaseClock, PhaseHandle, PhaseResult, ClockResult } from './phase-clock.js';
export type { Violation, ViolationPhase, ReadObservation, SlaDecision } from './evaluate.js';
export type { SlaMetrics } from './sla-metrics.js';
export type { StagedRead, StagedReadSinks } from './staged-violation.js';
