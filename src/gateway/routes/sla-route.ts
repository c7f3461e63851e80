/**
 * GET /v1/sla (scope `read`): the SLA status per policy, from what src/sla already knows: each
 * policy of `seamless.sla.dir` (its match, mode, budgets, checks, objective, owner and runbook),
 * the configured datasets and intervals it governs (the policy `resolve` picks for each, as a
 * read would), and the violations this process counted since it started
 * (`seamless_sla_violations_total`, by phase and mode). `status` is `violated` when it counted
 * any, else `ok`. Without policies: `{dir: null, policies: []}`. The dashboard's SLA panel reads it.
 */
import type { FastifyInstance } from 'fastify';
import { formatInterval } from '../../core/index.js';
import type { SlaPolicy } from '../../sla/index.js';
import type { SeamlessApi as Seamless } from '../seamless-api.js';

interface PolicyStatus {
  readonly name: string;
  readonly source: string;
  readonly match: { readonly node: string; readonly interval: string | null };
  readonly mode: SlaPolicy['mode'];
  readonly onViolation: SlaPolicy['onViolation'];
  readonly budgets: SlaPolicy['budgets'];
  readonly freshness: SlaPolicy['freshness'] | null;
  readonly coverage: SlaPolicy['coverage'] | null;
  readonly objective: number;
  readonly owner: string;
  readonly runbook: string;
  datasets: { node: string; interval: string }[];
  violations: { total: number; byPhase: Record<string, number>; byMode: Record<string, number> };
  status: 'ok' | 'violated';
}

function statusOf(policy: SlaPolicy): PolicyStatus {
  return {
    name: policy.name, source: policy.source, match: { node: policy.match.node, interval: policy.match.interval ?? null },
    mode: policy.mode, onViolation: policy.onViolation, budgets: policy.budgets, freshness: policy.freshness ?? null,
    coverage: policy.coverage ?? null, objective: policy.objective, owner: policy.owner, runbook: policy.runbook,
    datasets: [], violations: { total: 0, byPhase: {}, byMode: {} }, status: 'ok',
  };
}

export function slaRoute(app: FastifyInstance, seamless: Pick<Seamless, 'slaPolicies' | 'datasets' | 'metrics' | 'config'>): void {
  app.get('/v1/sla', { config: { scope: 'read' } }, async () => {
    const set = seamless.slaPolicies;
    if (set === undefined) return { dir: null, policies: [] };
    const byName = new Map<string, PolicyStatus>(set.policies.map((p) => [p.name, statusOf(p)]));
    for (const dataset of await seamless.datasets()) {
      for (const intervalMs of dataset.intervalsMs) {
        const winner = set.resolve(dataset.nodeId, intervalMs);
        if (winner !== undefined) byName.get(winner.policy.name)?.datasets.push({ node: dataset.nodeId, interval: formatInterval(intervalMs) });
      }
    }
    for (const sample of (await seamless.metrics.slaViolations.get()).values) {
      const status = byName.get(String(sample.labels.policy));
      if (status === undefined || sample.value === 0) continue;
      const phase = String(sample.labels.phase);
      const mode = String(sample.labels.mode);
      status.violations.total += sample.value;
      status.violations.byPhase[phase] = (status.violations.byPhase[phase] ?? 0) + sample.value;
      status.violations.byMode[mode] = (status.violations.byMode[mode] ?? 0) + sample.value;
      status.status = 'violated';
    }
    return { dir: seamless.config.seamless.sla.dir ?? null, policies: [...byName.values()] };
  });
}
