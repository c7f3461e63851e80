/**
 * The SLA metrics (ARCHITECTURE.md §6), registered in a registry the caller owns (never
 * prom-client's global one). Names and labels are what the rendered alert rules query; they are
 * meant to move into observability's `createMetrics` and keep exactly these names.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS_S } from '../observability/index.js';

export const SLA_METRIC_NAMES = {
  deadline: 'seamless_sla_deadline_seconds',
  violations: 'seamless_sla_violations_total',
  downgrades: 'seamless_sla_downgrades_total',
} as const;

export interface SlaMetrics {
  readonly registry: Registry;
  /** How long each phase of a read took (`phase` = storage, backfill, live, total). */
  readonly deadline: Histogram<'node_id' | 'phase'>;
  readonly violations: Counter<'node_id' | 'phase' | 'policy' | 'mode'>;
  readonly downgrades: Counter<'node_id' | 'mode' | 'reason'>;
}

export function createSlaMetrics(registry: Registry = new Registry()): SlaMetrics {
  const registers = [registry];
  return {
    registry,
    deadline: new Histogram({
      name: SLA_METRIC_NAMES.deadline, help: 'Duration of each SLA phase of a read (storage, backfill, live, total)',
      labelNames: ['node_id', 'phase'], buckets: LATENCY_BUCKETS_S, registers,
    }),
    violations: new Counter({
      name: SLA_METRIC_NAMES.violations, help: 'SLA violations by node, phase, policy and mode (dry-run or enforced)',
      labelNames: ['node_id', 'phase', 'policy', 'mode'], registers,
    }),
    downgrades: new Counter({
      name: SLA_METRIC_NAMES.downgrades, help: 'Reads downgraded by an enforced SLA policy (partial or hold)',
      labelNames: ['node_id', 'mode', 'reason'], registers,
    }),
  };
}
