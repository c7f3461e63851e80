/**
 * promtool unit tests of the per-policy SLA rules (operations/prometheus/tests/sla-rules.test.yml),
 * generated from the policy files: the first enforced policy with a `total` budget is read on an
 * example node of its glob, every read one histogram bucket over its budget (the burn-rate
 * alerts fire, with exactly the labels and annotations of the rendered rules) or far within it
 * (quiet); and check violations counted for it fire SeamlessSLACheckViolations.
 */
import { Document, parse } from 'yaml';
import { LATENCY_BUCKETS_S } from '../observability/index.js';
import { compileGlob } from '../sla/index.js';
import type { SlaPolicy, SlaPolicySet } from '../sla/index.js';
import { BURN_ALERTS, CHECK_ALERT, budgetBucketSeconds } from './sla-rules.js';

const READS_PER_MIN = 60;
const MINUTES = 40;
const HEALTHY_READ_S = 0.1;

interface Rule { alert?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
interface Expected { exp_labels: Record<string, string>; exp_annotations: Record<string, string> }

/** A node id the glob matches (wildcards filled with "X"), as the policy runbooks' examples. */
export function exampleNode(glob: string): string {
  return glob.replace(/[*?]/g, 'X');
}

function histogramSeries(node: string, readS: number): { series: string; values: string }[] {
  const labels = `node_id="${node}",phase="total"`;
  const perMin = (n: number): string => `0+${n}x${MINUTES}`;
  return [
    ...LATENCY_BUCKETS_S.map((b) => ({ series: `seamless_sla_deadline_seconds_bucket{${labels},le="${b}"}`, values: perMin(readS <= b ? READS_PER_MIN : 0) })),
    { series: `seamless_sla_deadline_seconds_bucket{${labels},le="+Inf"}`, values: perMin(READS_PER_MIN) },
    { series: `seamless_sla_deadline_seconds_count{${labels}}`, values: perMin(READS_PER_MIN) },
    { series: `seamless_sla_deadline_seconds_sum{${labels}}`, values: perMin(READS_PER_MIN * readS) },
  ];
}

function alertsOf(rules: readonly Rule[], alert: string, match: (r: Rule) => boolean, extra: Record<string, string> = {}): Expected[] {
  return rules.filter((r) => r.alert === alert && match(r)).map((r) => ({
    exp_labels: { ...extra, ...(r.labels ?? {}) }, exp_annotations: r.annotations ?? {},
  }));
}

export interface SlaRuleTestsOptions {
  /** The rendered sla-rules.yml (renderRules of the same set). */
  readonly rulesText: string;
  /** Relative to the test file. */
  readonly ruleFile: string;
  readonly generatedBy: string;
}

/** The test file text, or undefined when no enforced policy has a total budget. */
export function renderSlaRuleTests(set: SlaPolicySet, o: SlaRuleTestsOptions): string | undefined {
  const policy = set.policies.find((p) => p.mode === 'enforced' && p.budgets.total !== undefined);
  if (!policy) return undefined;
  const node = exampleNode(policy.match.node);
  const bucket = budgetBucketSeconds(policy.budgets.total ?? 0);
  const slowRead = LATENCY_BUCKETS_S.find((b) => b > bucket) ?? bucket * 2;
  const rules = (parse(o.rulesText) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
  const byName = new Map<string, SlaPolicy>(set.policies.map((p) => [p.name, p]));
  // Total-phase burn alerts of every policy whose glob matches the node and whose budget the slow read exceeds.
  const burning = (r: Rule): boolean => {
    const p = byName.get(r.labels?.policy ?? '');
    return r.labels?.phase === 'total' && p !== undefined && compileGlob(p.match.node).matches(node) && budgetBucketSeconds(p.budgets.total ?? Infinity) < slowRead;
  };
  const checks = ['freshness', 'coverage', 'sync_gap', 'recovery'];
  const checkPhase = policy.freshness ? 'freshness' : policy.coverage ? 'coverage' : undefined;
  const violations = (values: string): { series: string; values: string }[] => (checkPhase
    ? [{ series: `seamless_sla_violations_total{node_id="${node}",phase="${checkPhase}",policy="${policy.name}",mode="${policy.mode}"}`, values }]
    : []);
  const tests = [
    {
      name: `every read of ${node} takes ${slowRead} s against the ${policy.budgets.total} ms total budget of ${policy.name}`,
      interval: '1m',
      input_series: [...histogramSeries(node, slowRead), ...violations('0+1x20')],
      alert_rule_test: [
        { eval_time: '10m', alertname: BURN_ALERTS.fast.alert, exp_alerts: alertsOf(rules, BURN_ALERTS.fast.alert, burning) },
        { eval_time: '10m', alertname: BURN_ALERTS.slow.alert, exp_alerts: [] },
        { eval_time: '30m', alertname: BURN_ALERTS.slow.alert, exp_alerts: alertsOf(rules, BURN_ALERTS.slow.alert, burning) },
        ...(checkPhase
          ? [{
            eval_time: '10m', alertname: CHECK_ALERT.alert,
            exp_alerts: alertsOf(rules, CHECK_ALERT.alert, (r) => r.labels?.policy === policy.name, { phase: checkPhase }),
          }]
          : []),
      ],
    },
    {
      name: `every read of ${node} takes ${HEALTHY_READ_S * 1000} ms; old check violations only`,
      interval: '1m',
      input_series: [...histogramSeries(node, HEALTHY_READ_S), ...violations('3x40')],
      alert_rule_test: [
        { eval_time: '10m', alertname: BURN_ALERTS.fast.alert, exp_alerts: [] },
        { eval_time: '30m', alertname: BURN_ALERTS.fast.alert, exp_alerts: [] },
        { eval_time: '30m', alertname: BURN_ALERTS.slow.alert, exp_alerts: [] },
        { eval_time: '30m', alertname: CHECK_ALERT.alert, exp_alerts: [] },
      ],
    },
  ];
  const doc = new Document({ rule_files: [o.ruleFile], evaluation_interval: '1m', tests });
  doc.commentBefore = ` Generated by \`${o.generatedBy}\` from the SLA policy files; do not edit. promtool test rules:\n` +
    ` the burn-rate and check alerts of ${policy.name} (${checks.join(', ')} checks) fire on staged bad reads, not on healthy ones.`;
  return doc.toString({ lineWidth: 0 });
}
