/**
 * Runbook pages of the per-policy SLA alerts (docs/operations/alerts/SeamlessSLA*.md). Their
 * rules are rendered per policy by `seamless sla render-rules`, and each rule's runbook_url
 * points at its policy's page (docs/operations/sla/<policy>.md); these pages say what the alert
 * means for any policy and link the policy pages.
 */
import type { SlaPolicySet } from '../sla/index.js';
import type { RunbookPage } from './alert-runbook.js';
import { BURN_ALERTS, CHECK_ALERT, DRY_RUN_SEVERITY } from './sla-rules.js';

const CHECKS = [
  'Which policy, phase and mode: the alert\'s `policy`, `phase` and `mode` labels; open the policy page from its `runbook_url`.',
  'Which datasets are slow, and since when:\n  ```promql\n  topk(10, sum by (node_id, phase) (rate(seamless_sla_deadline_seconds_sum[5m])) / sum by (node_id, phase) (rate(seamless_sla_deadline_seconds_count[5m])))\n  ```',
  'Individual reads: the `seamless.sla` log lines `SLA violation` (policy, phase, elapsedMs, budgetMs, and `traceId` of traced reads) and their traces on the Seamless traces dashboard.',
  'By phase: `storage` → `seamless health --url $GATEWAY` (storage) and scan sizes; `backfill` → the Backfill coordinator dashboard (upstreams, leases, `curl -s $GATEWAY/v1/backfills`); `live` → the live feed (SeamlessLiveFeedLag).',
];

const FIX = [
  'Fix the phase that burns (the checks above); an upstream outage ends by itself, and reads meanwhile downgrade as the policy says (`onViolation`).',
  'A budget that no longer fits the workload: change the policy file, then `seamless sla lint`, `seamless ops render` (or `seamless sla render-rules`) and reload Prometheus.',
  'Check the alert route after a change: `seamless sla inject-violation --node NODE --interval INTERVAL --phase total --duration MS --serve 9464`.',
];

function policyLinks(set: SlaPolicySet): string {
  return set.policies.map((p) => `[${p.name}](../sla/${p.name}.md) (${p.mode})`).join(', ');
}

export function slaAlertPages(set: SlaPolicySet, generatedBy: string): RunbookPage[] {
  const facts = (severity: string, fires: string): [string, string][] => [
    ['Severity', `${severity} for enforced policies, \`${DRY_RUN_SEVERITY}\` for dry-run ones`],
    ['Rules', 'per policy, in `operations/prometheus/sla-rules.yml` (`seamless sla render-rules`)'],
    ['Fires', fires],
    ['Policies', policyLinks(set)],
  ];
  const escalation = 'As the alert\'s `escalation` label says (the policy\'s `escalation` key); the policy\'s `owner` owns the budget.';
  const tests = '`operations/prometheus/tests/sla-rules.test.yml` stages reads over and within the budget of an enforced policy.';
  return [
    {
      alert: BURN_ALERTS.fast.alert,
      facts: facts(`\`${BURN_ALERTS.fast.severity}\``, `the share of reads over a phase budget is above ${BURN_ALERTS.fast.factor} × (1 − objective) over ${BURN_ALERTS.fast.long} and ${BURN_ALERTS.fast.short}, for ${BURN_ALERTS.fast.for}`),
      runbook: {
        meaning: `Reads of the policy's datasets take longer than a phase budget so often that the 30-day error budget would be gone in about two days (${BURN_ALERTS.fast.factor}× the sustainable rate), measured over a long and a short window so it fires fast and stops fast.`,
        impact: 'Under an enforced policy reads stop waiting at the budget and are downgraded (`partial`, `hold`) or fail (`sla_exceeded`); under dry-run nothing changes for callers.',
        checks: CHECKS, fix: FIX, escalation,
      },
      tests, generatedBy,
    },
    {
      alert: BURN_ALERTS.slow.alert,
      facts: facts(`\`${BURN_ALERTS.slow.severity}\``, `above ${BURN_ALERTS.slow.factor} × (1 − objective) over ${BURN_ALERTS.slow.long} and ${BURN_ALERTS.slow.short}, for ${BURN_ALERTS.slow.for}`),
      runbook: {
        meaning: `Reads burn the error budget steadily: at ${BURN_ALERTS.slow.factor}× the sustainable rate the 30-day budget lasts about five days. A slow degradation rather than an outage.`,
        impact: 'As for the fast burn, on fewer reads; left alone the policy misses its objective this month.',
        checks: CHECKS, fix: FIX, escalation,
      },
      tests, generatedBy,
    },
    {
      alert: CHECK_ALERT.alert,
      facts: facts(`\`${CHECK_ALERT.severity}\``, `freshness, coverage, synchronous-gap or recovery violations in the last ${CHECK_ALERT.window}`),
      runbook: {
        meaning: 'Reads under the policy broke a check other than a phase budget: the newest bar older than `freshness.maxLagMs`, less coverage than `coverage.minRatio`, more bars fetched synchronously than `maxSyncGapBars`, or a background backfill slower than `recovery.maxBackfillMs`.',
        impact: 'Enforced policies downgrade or fail those reads; stale or incomplete answers reach strategies marked as such.',
        checks: [
          'Which check: the alert\'s `phase` label (`freshness`, `coverage`, `sync_gap`, `recovery`).',
          'freshness → the live feed and the newest stored bar (`seamless coverage --node NODE --interval INTERVAL`); coverage and recovery → failed or slow backfill (SeamlessBackfillShardsFailed, the Backfill coordinator dashboard).',
          ...CHECKS.slice(2, 3),
        ],
        fix: FIX, escalation,
      },
      tests, generatedBy,
    },
  ];
}
