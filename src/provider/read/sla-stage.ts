/**
 * Step 8 of the read path: the SLA policy of the dataset. Budgets are deadlines — the phase
 * signals handed to storage reads and backfill waits fire when a budget runs out (enforced
 * policies), so the read stops waiting instead of finding out afterwards. At the end the read's
 * freshness, coverage and synchronous gap are checked too (cache hits included), and the policy
 * decides: serve (dry-run or nothing violated), fail (`sla_exceeded`, 504), or downgrade to
 * `partial` or `hold` (not to be traded on). Dry-run policies measure and report everything —
 * metrics, logs, span attributes, `slaViolation` with `dryRun: true` — but never change a response.
 *
 * Every read under a policy, served or failed, leaves the same telemetry: one
 * `seamless_sla_deadline_seconds` sample per phase it ran (a phase entered twice — storage's
 * coverage lookup and its reads — is one sample of their sum) and one `total` sample; each
 * violation counted and logged under `seamless.sla`; and a `seamless.sla` span with `sla.phase`,
 * `sla.elapsed_ms` and `sla.budget_ms` when traced — for a read an enforced `fail` ends early
 * (`failFast`) too, recorded on the read's trace since no step span is open for it.
 */
import { SeamlessSLAExceeded, alignDown, barCount, formatInterval } from '../../core/index.js';
import type { Clock } from '../../core/index.js';
import type { JobStatus } from '../../backfill/index.js';
import type { Logger, SeamlessMetrics, Span, SpanAttributes } from '../../observability/index.js';
import { BUDGET_PHASES, budgetViolation, createPhaseClock, decide, evaluateRead, slaError } from '../../sla/index.js';
import type { BudgetPhase, ClockResult, PhaseClock, PhaseHandle, ReadObservation, ReadPhase, SlaDecision, SlaPolicy, SlaPolicySet, Violation } from '../../sla/index.js';
import type { ReadTrace } from './read-trace.js';
import type { ReadStep } from './read-context.js';
import { createRecoveryWatcher } from '../recovery-watch.js';
import type { RecoveryWatcher } from '../recovery-watch.js';

export interface SlaVerdict {
  readonly policy: string;
  readonly mode: SlaPolicy['mode'];
  readonly dryRun: boolean;
  readonly decision: SlaDecision;
  readonly violations: readonly Violation[];
}

export interface SlaRead {
  readonly policy: SlaPolicy;
  /** A phase with its deadline signal (fires only under enforced budgets, or when the client leaves). */
  phase(name: ReadPhase): PhaseHandle;
  /** Closes the clock, checks the read, records metrics and logs; throws `sla_exceeded` on an enforced `fail`. */
  finish(read: ReadObservation, span: Span | undefined): SlaVerdict;
  /**
   * A deadline fired: under an enforced `fail` policy the read ends now (throws the deadline's
   * SeamlessSLAExceeded, after recording it as `finish` does, `seamless.sla` span included),
   * instead of finishing the reads first.
   */
  failFast(reason: unknown): void;
  /**
   * The read was answered without part of its range while backfill job `jobId` runs on: the
   * policy's `recovery.maxBackfillMs` bounds how long that job may take (see recovery-watch.ts).
   */
  watchRecovery(jobId: string, wait: (signal: AbortSignal) => Promise<JobStatus>): void;
  /** Clears every timer (a read that failed for another reason). */
  dispose(): void;
}

export interface SlaStage {
  /**
   * The policy clock of a read, or undefined when no policy applies. `trace` (the read's) gets the
   * `seamless.sla` span of a read that fails early, and its trace id goes on the violation log
   * lines, so a logs table can link each violation to its trace.
   */
  start(nodeId: string, intervalMs: number, signal: AbortSignal | undefined, trace?: ReadTrace): SlaRead | undefined;
  /** Background recovery watchers (their count, and a promise that they settled: for tests). */
  readonly recovery: Pick<RecoveryWatcher, 'active' | 'idle'>;
  /** Stops the recovery watchers. */
  close(): void;
}

function isBudgetPhase(phase: string): phase is BudgetPhase {
  return (BUDGET_PHASES as readonly string[]).includes(phase);
}

export function createSlaStage(policies: SlaPolicySet, deps: { clock: Clock; metrics: SeamlessMetrics; logger: Logger }): SlaStage {
  const { metrics, logger } = deps;
  const recovery = createRecoveryWatcher(deps);
  return {
    recovery,
    close: () => recovery.close(),
    start(nodeId, intervalMs, signal, trace) {
      const match = policies.resolve(nodeId, intervalMs);
      if (!match) return undefined;
      const policy = match.policy;
      const clock: PhaseClock = createPhaseClock(policy, () => deps.clock.now(), signal);
      const phases: PhaseHandle[] = [];
      const traceId = trace?.traceId;
      const traced = traceId !== undefined ? { traceId } : {};
      let recorded = false;

      /** Ends the clock and observes each phase that ran once (the sum of its entries), then the total. */
      const measure = (): ClockResult => {
        const sums = new Map<BudgetPhase, number>();
        for (const p of phases) {
          const r = p.end();
          sums.set(r.phase, (sums.get(r.phase) ?? 0) + r.elapsedMs);
        }
        const timing = clock.end();
        for (const [phase, ms] of sums) metrics.slaDeadline.observe({ node_id: nodeId, phase }, ms / 1000);
        metrics.slaDeadline.observe({ node_id: nodeId, phase: 'total' }, timing.elapsedMs / 1000);
        return timing;
      };

      /** Counts and logs each violation; the attributes of the `seamless.sla` span (the first violation's). */
      const report = (violations: readonly Violation[], decision: SlaDecision): SpanAttributes | undefined => {
        recorded = true;
        for (const v of violations) {
          metrics.slaViolations.inc({ node_id: nodeId, phase: v.phase, policy: policy.name, mode: policy.mode });
          logger.warn({
            policy: policy.name, mode: policy.mode, nodeId, interval: formatInterval(intervalMs), phase: v.phase,
            elapsedMs: v.elapsedMs, budgetMs: v.budgetMs, observed: v.observed, limit: v.limit, dryRun: v.dryRun, decision, ...traced,
          }, 'SLA violation');
        }
        if (violations.length === 0) return undefined;
        const first = violations[0];
        return {
          'sla.policy': policy.name, 'sla.mode': policy.mode, 'sla.phase': first.phase, 'sla.decision': decision,
          ...(first.budgetMs !== undefined ? { 'sla.budget_ms': first.budgetMs } : {}),
          ...(first.elapsedMs !== undefined ? { 'sla.elapsed_ms': first.elapsedMs } : {}),
        };
      };

      return {
        policy,
        phase(name) {
          const handle = clock.phase(name);
          phases.push(handle);
          return handle;
        },
        finish(read, span) {
          const timing = measure();
          const violations = [...timing.violations, ...evaluateRead(policy, read)];
          const decision = decide(policy, violations);
          const attributes = report(violations, decision);
          if (span && attributes) span.setAttributes(attributes);
          if (decision === 'fail') throw slaError(policy, violations.find((v) => !v.dryRun) ?? violations[0], timing.elapsedMs);
          if (decision === 'partial' || decision === 'hold') {
            metrics.slaDowngrades.inc({ node_id: nodeId, mode: decision, reason: `sla_${violations[0].phase}` });
          }
          return { policy: policy.name, mode: policy.mode, dryRun: policy.mode === 'dry-run', decision, violations };
        },
        failFast(reason) {
          if (policy.mode !== 'enforced' || policy.onViolation !== 'fail' || !(reason instanceof SeamlessSLAExceeded)) return;
          if (recorded) throw reason;
          // The deadline that ended the read first, then whatever else ran over (the total, say).
          const violations: Violation[] = isBudgetPhase(reason.phase) ? [budgetViolation(policy, reason.phase, reason.elapsedMs, reason.budgetMs)] : [];
          for (const v of measure().violations) if (v.phase !== reason.phase) violations.push(v);
          const attributes = report(violations, 'fail');
          if (attributes) trace?.record('seamless.sla', attributes, reason);
          throw reason;
        },
        watchRecovery(jobId, wait) {
          recovery.watch({ policy, nodeId, intervalMs, jobId, wait });
        },
        dispose: () => clock.dispose(),
      };
    },
  };
}

interface DatasetGauges {
  readonly coverageRatio: ReturnType<SeamlessMetrics['readCoverageRatio']['labels']>;
  readonly staleness: ReturnType<SeamlessMetrics['readStaleness']['labels']>;
}

/**
 * The per-dataset gauges of a metrics registry, resolved once per dataset (prom-client hashes a
 * label object on every set: a microsecond of every cache hit). As many entries as datasets read,
 * which is the gauges' own cardinality.
 */
const GAUGES = new WeakMap<SeamlessMetrics, Map<string, DatasetGauges>>();

function datasetGauges(metrics: SeamlessMetrics, nodeId: string, intervalMs: number): DatasetGauges {
  let byDataset = GAUGES.get(metrics);
  if (byDataset === undefined) {
    byDataset = new Map();
    GAUGES.set(metrics, byDataset);
  }
  const key = `${intervalMs}|${nodeId}`;
  let gauges = byDataset.get(key);
  if (gauges === undefined) {
    const labels = { node_id: nodeId, interval: formatInterval(intervalMs) };
    gauges = { coverageRatio: metrics.readCoverageRatio.labels(labels), staleness: metrics.readStaleness.labels(labels) };
    byDataset.set(key, gauges);
  }
  return gauges;
}

/**
 * Step 8 as a step of the read pipeline, on every read (cache hits included): the answer's
 * coverage ratio and staleness (gauges per dataset), the policy's verdict (an enforced `fail`
 * throws here), the downgrade it decides — or the domain gate's hold — and the recovery watch of
 * a partial answer whose backfill runs on.
 */
export const slaStep: ReadStep = async (ctx, deps) => {
  const { req, closed, missing, now, sla, job } = ctx;
  const answer = ctx.answer;
  const closedBars = barCount(closed, req.intervalMs);
  let missingBars = 0;
  for (const r of missing) missingBars += barCount(r, req.intervalMs);
  ctx.coverageRatio = closedBars === 0 ? 1 : (closedBars - missingBars) / closedBars;
  const lastTs = ctx.engineBuckets ? ctx.engineBuckets.lastTs : answer.length > 0 ? answer.ts[answer.length - 1] : undefined;
  ctx.stalenessMs = lastTs === undefined ? null : now - (lastTs + req.intervalMs);
  const gauges = datasetGauges(deps.metrics, req.nodeId, req.intervalMs);
  gauges.coverageRatio.set(ctx.coverageRatio);
  if (ctx.stalenessMs !== null) gauges.staleness.set(ctx.stalenessMs / 1000);
  const stalenessMs = ctx.stalenessMs;
  const verdict = sla
    ? await ctx.trace.step('seamless.sla', (span) => sla.finish({
      stalenessMs: stalenessMs ?? Infinity,
      rangeReachesPresent: req.aligned.end >= alignDown(now, req.intervalMs),
      coverageRatio: ctx.coverageRatio,
      syncGapBars: ctx.syncGapBars,
    }, span))
    : undefined;
  ctx.verdict = verdict;
  const partial = missing.length > 0;
  let downgrade: { mode: 'partial' | 'hold'; reason: string } | null = partial && ctx.downgradeReason !== null ? { mode: 'partial', reason: ctx.downgradeReason } : null;
  if (verdict && (verdict.decision === 'partial' || verdict.decision === 'hold')) {
    downgrade = { mode: verdict.decision, reason: `sla_${verdict.violations[0].phase}` };
  }
  // The domain gate holds the answer (a live/shadow asOf that went back): hold outranks partial.
  if (ctx.domainHold !== null && downgrade?.mode !== 'hold') downgrade = { mode: 'hold', reason: ctx.domainHold };
  ctx.downgrade = downgrade;
  // The answer lacks part of its range while a backfill runs on: the policy bounds its recovery.
  if (sla && job && partial && job.state === 'running') {
    const jobId = job.jobId;
    sla.watchRecovery(jobId, (signal) => deps.coordinator.wait(jobId, signal));
  }
};
