/**
 * The alert of an enforced SLA budget running out: a read ended by `SeamlessSLAExceeded`
 * (ARCHITECTURE.md §6) — failed with `sla_exceeded`, or downgraded to `partial` / `hold`. It sits
 * beside the per-policy burn-rate alerts of sla-rules.yml (`seamless sla render-rules`), which
 * watch the trend against each policy's objective; this one says that reads are being cut now.
 */
import type { AlertGroup } from './alert-spec.js';

const INSTANCE = 'instance="gateway-0:8080",job="seamless-gateway"';
/** The budget phases (the read checks — freshness, coverage, sync gap, recovery — have SeamlessSLACheckViolations). */
const ENFORCED_BUDGETS = 'seamless_sla_violations_total{mode="enforced",phase=~"storage|backfill|live|total"}';
/** The window an exceeded budget keeps the alert firing. */
export const SLA_EXCEEDED_WINDOW = '5m';
const SERIES = `${INSTANCE},node_id="ohlcv:demo:BTC-USD",phase="backfill",policy="demo-1m",mode="enforced"`;
const FIRES = { node_id: 'ohlcv:demo:BTC-USD', phase: 'backfill', policy: 'demo-1m' };

export const SLA_ALERTS: AlertGroup = {
  name: 'seamless-sla',
  title: 'SLA budgets',
  alerts: [
    {
      alert: 'SeamlessSLAExceeded',
      // A counter series appears at its first violation with value 1, which increase() cannot see:
      // a series younger than the window counts too (its value, at least 1, is its violations).
      expr: `sum by (node_id, policy, phase) (\n  (${ENFORCED_BUDGETS} unless ${ENFORCED_BUDGETS} offset ${SLA_EXCEEDED_WINDOW})\n  or\n  increase(${ENFORCED_BUDGETS}[${SLA_EXCEEDED_WINDOW}])\n) > 0`,
      severity: 'ticket',
      summary: 'Reads of {{ $labels.node_id }} exceed the {{ $labels.phase }} budget of SLA policy {{ $labels.policy }}',
      description: `Reads of {{ $labels.node_id }} ran out of the enforced {{ $labels.phase }} budget of SLA policy {{ $labels.policy }} in the last ${SLA_EXCEEDED_WINDOW} (SeamlessSLAExceeded): they were failed with sla_exceeded (HTTP 504) or downgraded to partial or hold, as the policy's onViolation says.`,
      runbook: {
        meaning: 'An enforced SLA policy bounds each phase of a read (`storage`, `backfill`, `live`) and the whole read (`total`) with a budget in ms; the budget is a deadline, and when it runs out the read stops waiting and raises `SeamlessSLAExceeded` (phase, elapsedMs, budgetMs). The policy\'s `onViolation` then fails the read (`sla_exceeded`, HTTP 504, with phase, elapsed and budget in the error\'s details) or serves it downgraded (`partial` with the backfill job id, or `hold`). This alert fires while such violations happen; the burn-rate alerts (SeamlessSLAFastBurn, SeamlessSLASlowBurn) say whether they eat the policy\'s error budget.',
        impact: 'Callers of the dataset get 504 `sla_exceeded` (onViolation `fail`) or answers marked downgraded that strategies must not trade on (`partial`, `hold`). Backfill shards cut off by a budget keep running in the background, so later reads may be in budget again.',
        checks: [
          'Which budget, how far over: the `seamless.sla` warn lines `SLA violation` (policy, phase, elapsedMs, budgetMs, decision, traceId), or the Traces dashboard; a traced read has a `seamless.sla` span with `sla.phase`, `sla.elapsed_ms` and `sla.budget_ms`.',
          'How long the phase takes against its budget:\n  ```promql\n  histogram_quantile(0.99, sum by (le, phase) (rate(seamless_sla_deadline_seconds_bucket{node_id="NODE"}[5m])))\n  ```',
          'Violations by phase and policy:\n  ```promql\n  sum by (policy, phase) (increase(seamless_sla_violations_total{mode="enforced"}[15m]))\n  ```',
          'The policy that applies and its budgets: `seamless sla lint --node NODE --interval INTERVAL`.',
          '`backfill` over budget: a slow upstream or a busy coordinator (`seamless_backfill_inflight`, `seamless_upstream_requests_total{outcome}`, SeamlessUpstreamRateLimited); `storage`: the database (PostgreSQL or DuckDB) is slow or locked; `live`: the live feed lags (SeamlessLiveFeedLag).',
        ],
        fix: [
          'Fix the slow phase: the upstream or coordinator for `backfill` (more workers, `seamless.backfill.concurrency`), the database for `storage`, the feed for `live`.',
          'Ranges read often but never stored: backfill them ahead (`seamless backfill --node NODE --interval INTERVAL --start START --end END`), so reads find them in storage.',
          'A budget too tight for what the dataset needs: change the policy file (`budgets`), roll it out with `seamless sla render-rules`, and restart the gateways; `mode: dry-run` measures without cutting reads while you tune.',
        ],
        escalation: 'Ticket to the policy\'s owner (the `owner` and `escalation` of the policy file); page #seamless-oncall when production strategies get 504s.',
      },
      bad: {
        name: 'the first violation of a node appears (the counter starts at 1), then another every minute',
        evalAt: '12m',
        series: [{ series: `seamless_sla_violations_total{${SERIES}}`, values: '_x10 1+1x10' }],
        fires: [FIRES],
      },
      healthy: {
        name: 'violations long ago, none in the last 5 minutes',
        evalAt: '30m',
        series: [{ series: `seamless_sla_violations_total{${SERIES}}`, values: '2x40' }],
        fires: [],
      },
    },
  ],
};
