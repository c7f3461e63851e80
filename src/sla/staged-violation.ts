/**
 * A staged violation, for checking alert routing end to end: the same metric samples, log line
 * and `seamless.sla` span a real read over budget produces, for a node, phase and duration the
 * operator chooses.
 */
import { LOGGER_NAMES } from '../observability/index.js';
import type { Logger, Tracer } from '../observability/index.js';
import { budgetViolation } from './evaluate.js';
import type { Violation } from './evaluate.js';
import type { BudgetPhase, SlaPolicy } from './policy-schema.js';
import type { SlaMetrics } from './sla-metrics.js';

export interface StagedRead {
  readonly policy: SlaPolicy;
  readonly nodeId: string;
  readonly phase: BudgetPhase;
  readonly durationMs: number;
}

export interface StagedReadSinks {
  readonly metrics: SlaMetrics;
  /** Gets the `seamless.sla` line of a violation. */
  readonly logger?: Logger;
  /** Gets a `seamless.sla` span with `sla.*` attributes for a violation. */
  readonly tracer?: Tracer;
}

/**
 * Records one read whose `phase` took `durationMs`: observes the deadline histogram for the
 * phase (and for `total`, which lasted at least as long); when the duration is over the
 * policy's budget, counts the violation, logs it and records its span. Returns the violation,
 * or undefined when the read was within budget.
 */
export function recordStagedRead(read: StagedRead, sinks: StagedReadSinks): Violation | undefined {
  const { metrics, logger, tracer } = sinks;
  const { policy, nodeId, phase, durationMs } = read;
  const seconds = durationMs / 1000;
  metrics.deadline.observe({ node_id: nodeId, phase }, seconds);
  if (phase !== 'total') metrics.deadline.observe({ node_id: nodeId, phase: 'total' }, seconds);
  const budgetMs = policy.budgets[phase];
  if (budgetMs === undefined || durationMs <= budgetMs) return undefined;
  const violation = budgetViolation(policy, phase, durationMs, budgetMs);
  metrics.violations.inc({ node_id: nodeId, phase, policy: policy.name, mode: policy.mode });
  if (logger) logViolation(logger, nodeId, violation, true);
  if (tracer) {
    const span = tracer.startSpan('seamless.sla', {
      startTime: Date.now() - durationMs,
      attributes: {
        'sla.phase': phase, 'sla.budget_ms': budgetMs, 'sla.elapsed_ms': durationMs, 'sla.policy': policy.name,
        'sla.mode': policy.mode, 'sla.staged': true, 'seamless.node_id': nodeId,
      },
    });
    span.end();
  }
  return violation;
}

/**
 * The `seamless.sla` log line of a violation (`staged: true` tells it apart from real reads).
 * A logger that already carries a `name` (the `seamless.sla` child callers keep) is used as is:
 * pino appends a child's bindings, so naming it again would write a second `name` key.
 */
export function logViolation(logger: Logger, nodeId: string, v: Violation, staged: boolean): void {
  const named = 'name' in logger.bindings() ? logger : logger.child({ name: LOGGER_NAMES.sla });
  named.warn({
    policy: v.policy, nodeId, phase: v.phase, elapsedMs: v.elapsedMs, budgetMs: v.budgetMs,
    observed: v.observed, limit: v.limit, mode: v.mode, dryRun: v.dryRun, staged,
  }, `SLA violation: ${v.phase} of ${nodeId} over policy ${v.policy}`);
}
