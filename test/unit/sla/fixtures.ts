import { parseSlaPolicy } from '../../../src/sla/internal.js';
import type { SlaPolicy } from '../../../src/sla/index.js';

/** A valid policy file's text; `extra` lines are appended (later keys are not allowed to repeat). */
export const VALID = `name: demo-1m
match:
  node: "ohlcv:demo:*"
  interval: 1m
mode: enforced
budgets:
  storage: 500
  backfill: 2000
  total: 2500
owner: data-platform
runbook: docs/operations/sla/demo-1m.md
escalation: "#seamless-oncall"
`;

export interface PolicyFields {
  name: string;
  node: string;
  interval?: string;
  mode?: 'dry-run' | 'enforced';
  budgets?: Partial<Record<'storage' | 'backfill' | 'live' | 'total', number>>;
  onViolation?: 'fail' | 'partial' | 'hold';
  freshness?: number;
  coverage?: number;
  maxSyncGapBars?: number;
  recoveryMs?: number;
  source?: string;
}

/** A policy built through the real parser (so tests never construct unvalidated policies). */
export function policy(f: PolicyFields): SlaPolicy {
  const lines = [
    `name: ${f.name}`,
    'match:',
    `  node: ${JSON.stringify(f.node)}`,
    ...(f.interval ? [`  interval: ${f.interval}`] : []),
    `mode: ${f.mode ?? 'enforced'}`,
    'budgets:',
    ...Object.entries(f.budgets ?? {}).map(([k, v]) => `  ${k}: ${v}`),
    ...(Object.keys(f.budgets ?? {}).length === 0 ? ['  {}'] : []),
    ...(f.freshness !== undefined ? ['freshness:', `  maxLagMs: ${f.freshness}`] : []),
    ...(f.coverage !== undefined ? ['coverage:', `  minRatio: ${f.coverage}`] : []),
    ...(f.maxSyncGapBars !== undefined ? [`maxSyncGapBars: ${f.maxSyncGapBars}`] : []),
    ...(f.recoveryMs !== undefined ? ['recovery:', `  maxBackfillMs: ${f.recoveryMs}`] : []),
    ...(f.onViolation ? [`onViolation: ${f.onViolation}`] : []),
    'owner: team',
    'runbook: https://runbooks.example/sla',
    'escalation: "#oncall"',
  ];
  const text = lines.join('\n').replace('budgets:\n  {}', 'budgets: {}');
  const parsed = parseSlaPolicy(text, f.source ?? `${f.name}.yml`);
  if (!parsed.policy) throw new TypeError(parsed.problems.map((p) => `${p.key}: ${p.message}`).join('; '));
  return parsed.policy;
}
