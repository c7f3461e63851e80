/**
 * `recovery.maxBackfillMs` of SLA policies: after a read was answered without part of its
 * range (downgraded, or `partial_fill`) while a backfill job runs on, the job must complete
 * within the policy's recovery bound. One watcher per job waits for it with that deadline; a job
 * that is still running when the bound runs out — or that ends failed — is a `recovery`
 * violation: counted, logged under `seamless.sla`, observed on the deadline histogram. The read
 * was already answered, so nothing else changes (dry-run and enforced alike report).
 */
import { formatInterval } from '../core/index.js';
import type { Clock } from '../core/index.js';
import type { JobStatus } from '../backfill/index.js';
import type { Logger, SeamlessMetrics } from '../observability/index.js';
import type { SlaPolicy } from '../sla/index.js';

export interface RecoveryWatch {
  readonly policy: SlaPolicy;
  readonly nodeId: string;
  readonly intervalMs: number;
  readonly jobId: string;
  /** Waits for the job to end; rejects when `signal` fires first. */
  readonly wait: (signal: AbortSignal) => Promise<JobStatus>;
}

export interface RecoveryWatcher {
  /** Starts watching the job (once per job id; a policy without `recovery` is ignored). */
  watch(w: RecoveryWatch): void;
  /** Jobs being watched now. */
  readonly active: number;
  /** Resolves when every watcher has settled (tests and shutdown). */
  idle(): Promise<void>;
  /** Stops every watcher without reporting. */
  close(): void;
}

export function createRecoveryWatcher(deps: { clock: Clock; metrics: SeamlessMetrics; logger: Logger }): RecoveryWatcher {
  const { clock, metrics, logger } = deps;
  const watching = new Map<string, { controller: AbortController; done: Promise<void> }>();
  const closing = new AbortController();

  function report(w: RecoveryWatch, elapsedMs: number, budgetMs: number, jobState: string): void {
    metrics.slaViolations.inc({ node_id: w.nodeId, phase: 'recovery', policy: w.policy.name, mode: w.policy.mode });
    logger.warn({
      policy: w.policy.name, mode: w.policy.mode, nodeId: w.nodeId, interval: formatInterval(w.intervalMs), phase: 'recovery',
      elapsedMs, budgetMs, jobId: w.jobId, jobState, dryRun: w.policy.mode === 'dry-run',
    }, 'SLA violation');
  }

  async function run(w: RecoveryWatch, budgetMs: number, controller: AbortController): Promise<void> {
    const t0 = clock.now();
    const deadline = AbortSignal.any([controller.signal, AbortSignal.timeout(budgetMs)]);
    try {
      const status = await w.wait(deadline);
      const elapsedMs = clock.now() - t0;
      metrics.slaDeadline.observe({ node_id: w.nodeId, phase: 'recovery' }, elapsedMs / 1000);
      if (status.state === 'failed') report(w, elapsedMs, budgetMs, status.state);
    } catch {
      if (controller.signal.aborted) return; // closed: not a verdict on the job
      const elapsedMs = clock.now() - t0;
      metrics.slaDeadline.observe({ node_id: w.nodeId, phase: 'recovery' }, elapsedMs / 1000);
      report(w, elapsedMs, budgetMs, 'running');
    }
  }

  return {
    watch(w) {
      const budgetMs = w.policy.recovery?.maxBackfillMs;
      if (budgetMs === undefined || watching.has(w.jobId) || closing.signal.aborted) return;
      const controller = new AbortController();
      closing.signal.addEventListener('abort', () => controller.abort(closing.signal.reason), { once: true });
      const done = run(w, budgetMs, controller).finally(() => watching.delete(w.jobId));
      watching.set(w.jobId, { controller, done });
    },
    get active() {
      return watching.size;
    },
    async idle() {
      while (watching.size > 0) await Promise.all([...watching.values()].map((x) => x.done));
    },
    close() {
      closing.abort();
    },
  };
}
