/**
 * Recording rules the dashboards and alerts read (operations/prometheus/seamless-recording.yml):
 * - `seamless:interval_seconds{interval}`: each bar interval's length, so a rule can compare a
 *   lag with the interval of its dataset (the `interval` label is a name such as "1m");
 * - per SLA policy `seamless_sla:objective{policy}`, its objective;
 * - `seamless_sla:good_ratio:rate30d{policy,phase}`: the 5-minute good ratios of
 *   `seamless sla render-rules` averaged over 30 days (each 5 minutes weighs the same, busy or
 *   quiet), and `seamless_sla:error_budget_remaining{policy,phase}`: the share of the 30-day
 *   error budget left (1 untouched, 0 spent, below 0 overspent).
 */
import { INTERVAL_NAMES } from '../core/index.js';

/** The good-ratio records of `seamless sla render-rules` (sla-rules.ts GOOD_RATIO_RECORD; a test checks they agree). */
export const SLA_GOOD_RATIO_RECORD = 'seamless_sla:good_ratio';
export const SLA_OBJECTIVE_RECORD = 'seamless_sla:objective';
export const SLA_GOOD_RATIO_30D_RECORD = `${SLA_GOOD_RATIO_RECORD}:rate30d`;
export const SLA_BUDGET_REMAINING_RECORD = 'seamless_sla:error_budget_remaining';
export const INTERVAL_SECONDS_RECORD = 'seamless:interval_seconds';
/** Evaluation interval of the recording groups. */
export const RECORDING_INTERVAL = '1m';

export interface SlaObjective {
  readonly policy: string;
  /** Share of reads within budget, e.g. 0.99. */
  readonly objective: number;
}

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface RuleGroup<R> {
  readonly name: string;
  readonly interval?: string;
  readonly rules: readonly R[];
}

export function recordingRuleGroups(objectives: readonly SlaObjective[]): RuleGroup<RecordingRule>[] {
  const intervals = Object.entries(INTERVAL_NAMES).map(([name, ms]) => ({
    record: INTERVAL_SECONDS_RECORD, expr: `vector(${ms / 1000})`, labels: { interval: name },
  }));
  const policies = objectives.map((o) => ({ record: SLA_OBJECTIVE_RECORD, expr: `vector(${o.objective})`, labels: { policy: o.policy } }));
  return [
    { name: 'seamless-intervals', interval: RECORDING_INTERVAL, rules: intervals },
    {
      name: 'seamless-sla-error-budget',
      interval: RECORDING_INTERVAL,
      rules: [
        ...policies,
        { record: SLA_GOOD_RATIO_30D_RECORD, expr: `avg_over_time(${SLA_GOOD_RATIO_RECORD}:rate5m[30d])` },
        {
          record: SLA_BUDGET_REMAINING_RECORD,
          expr: `1 - (1 - ${SLA_GOOD_RATIO_30D_RECORD}) / on (policy) group_left () (1 - ${SLA_OBJECTIVE_RECORD})`,
        },
      ],
    },
  ];
}
