/**
 * Step 5 of the read path: what a strategy does with the missing ranges.
 *   fail_fast     never backfill; missing data → data_unavailable (or what exists, with partialOk)
 *   auto_backfill backfill every missing range, wait for it, then read
 *   partial_fill  return what exists now, marked partial; backfill the rest in the background
 *   seamless      backfill synchronously within the backfill budget; when the budget runs out,
 *                 downgrade to partial with the job id (the SLA policy refines this later)
 * An as-of read (`asOf`) never backfills: what is fetched now was not known then. Its missing bars
 * fail the read (fail_fast, auto_backfill) or are answered partial (partial_ok, partial_fill,
 * seamless), reason `as_of_not_known` (as-of-read.ts).
 * With `seamless.backfill.suspended` (the rollback switch) every strategy but fail_fast answers
 * from storage, downgraded to partial with reason `backfill_suspended`, and starts no job.
 * After a backfill it waited for, the strategy reads coverage once more (what the backfill wrote
 * or failed) and hands it on: no later step reads it again. Then `strategyStep` reads from
 * storage what live and the cache did not answer.
 */
import {
  AbortedError, DataUnavailableError, UpstreamUnavailableError, abortable, barCount, formatTime, normaliseRanges, subtractRanges,
} from '../../core/index.js';
import type { TimeRange } from '../../core/index.js';
import type { BackfillCoordinator, JobStatus } from '../../backfill/index.js';
import type { BarStore, CoverageRange } from '../../storage/index.js';
import type { ResolvedDataset } from '../dataset-catalog.js';
import { AS_OF_NOT_KNOWN } from './as-of-read.js';
import { rowsIn } from './cache-fill.js';
import { recheckKnownEmpty, upstreamKnownEmpty, withCalendarClosed } from './calendar-coverage.js';
import { missingIn } from './coverage-step.js';
import type { NormalisedRequest } from './fetch-request.js';
import { engineStorageRead } from './engine-resample.js';
import { slaCut } from './read-context.js';
import type { DataProviderDeps, ReadContext, ReadStep } from './read-context.js';

/** The downgrade reason of reads answered from storage while backfill is suspended. */
export const BACKFILL_SUSPENDED = 'backfill_suspended';

export interface StrategyInput {
  readonly request: NormalisedRequest;
  readonly resolved: ResolvedDataset;
  /** The closed part of the aligned range. */
  readonly closed: TimeRange;
  /** Parts of `closed` the cache did not answer. */
  readonly remaining: readonly TimeRange[];
  /** Missing ranges inside `remaining`, from coverage. */
  readonly missing: readonly TimeRange[];
  readonly signal: AbortSignal | undefined;
  /** An SLA backfill deadline: when it fires the read stops waiting (shards keep going) and reports `sla_budget`. */
  readonly deadline?: AbortSignal;
  /** W3C traceparent of the read, so the backfill's spans continue its trace. */
  readonly traceparent?: string;
  /**
   * Known-empty ranges in open calendar time (an upstream's word) to re-check, and closed calendar
   * time not recorded yet, handed to the coordinator with the backfill (calendar-coverage.ts).
   */
  readonly recheck?: readonly TimeRange[];
}

export interface StrategyOutcome {
  /** Still missing after the strategy ran. */
  readonly missing: readonly TimeRange[];
  /** Ranges that this read saw filled by backfill (rows in them count as `backfill`). */
  readonly backfilled: readonly TimeRange[];
  /**
   * Still-missing ranges the upstream was asked for and answered without bars or known-empty
   * evidence (a finished backfill, no error): missing in coverage, and gaps for conformance.
   */
  readonly upstreamGaps: readonly TimeRange[];
  readonly job: JobStatus | undefined;
  readonly downgradeReason: string | null;
  /** The coverage of `closed` read after the backfill this read waited for; undefined when not re-read. */
  readonly coverage?: readonly CoverageRange[];
}

export interface StrategyDeps {
  readonly store: BarStore;
  readonly coordinator: BackfillCoordinator;
  readonly syncBudgetMs: number;
  /** `seamless.backfill.suspended`: answer from storage only, downgraded, and start no job. */
  readonly suspended?: boolean;
}

export async function runStrategy(input: StrategyInput, deps: StrategyDeps): Promise<StrategyOutcome> {
  const { request, resolved, missing } = input;
  const recheck = input.recheck ?? [];
  const rechecks = recheck.length > 0 && deps.suspended !== true && request.asOf === undefined && (request.strategy === 'seamless' || request.strategy === 'auto_backfill');
  if (missing.length === 0 && rechecks) return recheckKnownEmpty(input, recheck, deps);
  if (missing.length === 0) return { missing, backfilled: [], upstreamGaps: [], job: undefined, downgradeReason: null };
  const { strategy } = request;
  if (request.asOf !== undefined) {
    if (request.partialOk || strategy === 'partial_fill' || strategy === 'seamless') return { missing, backfilled: [], upstreamGaps: [], job: undefined, downgradeReason: AS_OF_NOT_KNOWN };
    throw missingError(input, `they were not known as of ${formatTime(request.asOf)}, and an as_of read never backfills (what is fetched now was not known then)`, { asOf: request.asOf });
  }
  if (strategy === 'fail_fast' || resolved.source === undefined) {
    if (request.partialOk || strategy === 'partial_fill') return { missing, backfilled: [], upstreamGaps: [], job: undefined, downgradeReason: null };
    throw missingError(input, strategy === 'fail_fast'
      ? 'strategy fail_fast does not backfill'
      : 'no upstream source is configured for this dataset, so it cannot be backfilled');
  }
  // The rollback switch: stored data is preferred to failing, whatever partialOk says.
  if (deps.suspended === true) return { missing, backfilled: [], upstreamGaps: [], job: undefined, downgradeReason: BACKFILL_SUSPENDED };
  const job = deps.coordinator.submit({
    target: { dataset: resolved.dataset, schema: resolved.schema, source: resolved.source, calendar: resolved.calendar },
    ranges: rechecks ? normaliseRanges([...missing, ...recheck]) : missing,
    requestedBy: request.requestedBy,
    // A read that waits for its shards is served before background backfills (partial_fill does not wait).
    priority: strategy === 'partial_fill' ? 'background' : 'read',
    ...(input.traceparent ? { traceparent: input.traceparent } : {}),
  });
  if (strategy === 'partial_fill') return { missing, backfilled: [], upstreamGaps: [], job: job.status(), downgradeReason: null };

  let status: JobStatus;
  let downgradeReason: string | null = null;
  const waits: AbortSignal[] = [];
  if (input.signal) waits.push(input.signal);
  if (input.deadline) waits.push(input.deadline);
  if (strategy === 'seamless') waits.push(AbortSignal.timeout(deps.syncBudgetMs));
  try {
    status = await deps.coordinator.wait(job.id, waits.length === 0 ? undefined : waits.length === 1 ? waits[0] : AbortSignal.any(waits));
  } catch (error) {
    // The client went away: stop. A budget ran out: the shards keep going, the read reports.
    if (!(error instanceof AbortedError) || input.signal?.aborted) throw error;
    status = job.status();
    downgradeReason = input.deadline?.aborted ? 'sla_budget' : 'backfill_budget_exhausted';
  }
  const coverage = withCalendarClosed(await deps.store.coverage(resolved.dataset, input.closed), input.closed, resolved.calendar, resolved.dataset.intervalMs);
  const stillMissing = missingIn(coverage, input.closed, input.remaining, resolved.dataset.intervalMs);
  const backfilled = subtractRanges(missing, stillMissing);
  // The backfill finished without an error, yet bars are missing: the upstream answered without
  // them and did not vouch for them being empty. The answer goes on, reporting them missing, and
  // conformance judges them as gaps (error level: blocking mode refuses the read).
  // (Unless the job wrote rows and not one of the bars this read needs became readable: then the
  // rows went elsewhere, or the upstream left out every bar asked for — the error below says both.)
  const wroteElsewhere = status.rowsWritten > 0 && backfilled.length === 0;
  if (stillMissing.length > 0 && downgradeReason === null && status.errors.length === 0 && status.state === 'completed' && !wroteElsewhere) {
    return { missing: stillMissing, backfilled, upstreamGaps: stillMissing, job: status, downgradeReason: 'data_missing', coverage };
  }
  if (stillMissing.length > 0 && downgradeReason === null && !request.partialOk) {
    if (status.errors.length > 0) {
      const first = status.errors[0];
      throw new UpstreamUnavailableError(resolved.sourceName ?? 'source', `backfill failed for [${formatTime(first.start)}, ${formatTime(first.end)}): ${first.reason}`, { retryable: true });
    }
    // The job ran and reported no error, yet the rows are not in the storage this read uses
    // (e.g. its workers wrote to another database): say exactly that, naming the job.
    const ran = `backfill job ${status.id} ${status.state} (${status.rowsWritten} row(s) written, completion ${status.completionRatio})`;
    throw missingError(
      { ...input, missing: stillMissing },
      status.state === 'completed'
        ? `${ran} but none of the bars this read needs is readable in this instance's storage: the upstream answered without them, or the workers wrote to other storage`
        : `${ran} without reporting an error, and the bars are still missing`,
      { jobId: status.id, jobState: status.state },
    );
  }
  if (stillMissing.length > 0 && downgradeReason === null) downgradeReason = status.errors.length > 0 ? 'backfill_failed' : 'data_missing';
  return { missing: stillMissing, backfilled, upstreamGaps: [], job: status, downgradeReason, coverage };
}

/** Step 5: the strategy on the missing ranges (a backfill traced as `seamless.backfill`), then the storage reads. */
export const strategyStep: ReadStep = async (ctx, deps) => {
  if (ctx.remaining.length === 0) return;
  const { req, resolved, closed, remaining, input, sla, trace } = ctx;
  const { coordinator } = deps;
  const strategyDeps: StrategyDeps = { store: deps.store, coordinator, syncBudgetMs: deps.syncBudgetMs, suspended: deps.backfillSuspended === true };
  const missing = ctx.missing;
  if (req.strategy === 'auto_backfill' || req.strategy === 'seamless') for (const r of missing) ctx.syncGapBars += barCount(r, req.intervalMs);
  const backfillPhase = missing.length > 0 ? sla?.phase('backfill') : undefined;
  const recheck = normaliseRanges([...upstreamKnownEmpty(ctx.coverage ?? [], remaining, resolved.calendar, req.intervalMs), ...ctx.unrecordedClosed]);
  const outcome = missing.length === 0
    ? await runStrategy({ request: req, resolved, closed, remaining, missing, signal: input.signal, recheck }, strategyDeps)
    : await trace.step('seamless.backfill', async (s) => {
      const o = await runStrategy({
        request: req, resolved, closed, remaining, missing, signal: input.signal, recheck,
        ...(backfillPhase ? { deadline: backfillPhase.signal } : {}),
        ...(trace.traceparent ? { traceparent: trace.traceparent } : {}),
      }, strategyDeps).finally(() => backfillPhase?.end());
      if (backfillPhase?.signal.aborted) sla?.failFast(backfillPhase.signal.reason);
      if (s && o.job) {
        s.setAttributes({ 'seamless.backfill.job': o.job.id, 'seamless.backfill.shards': o.job.totalShards, 'seamless.backfill.completion_ratio': o.job.completionRatio, 'seamless.backfill.state': o.job.state });
        for (const shard of coordinator.shards(o.job.id) ?? []) {
          s.addEvent('shard', { key: shard.key, state: shard.state, attempts: shard.attempts, rows: shard.rowsWritten, joined: shard.joined });
        }
      }
      return o;
    }, { 'seamless.backfill.missing_ranges': missing.length });
  ctx.missing = outcome.missing;
  ctx.backfilled = outcome.backfilled;
  ctx.upstreamGaps = outcome.upstreamGaps;
  ctx.downgradeReason = outcome.downgradeReason;
  if (outcome.job) ctx.job = { jobId: outcome.job.id, completionRatio: outcome.job.completionRatio, state: outcome.job.state };
  // A backfill ran and was waited for: its writes or failures changed the coverage the metadata reports.
  if (outcome.coverage) ctx.coverage = outcome.coverage;
  await readStorage(ctx, deps, outcome.backfilled);
};

/** Reads what live and the cache did not answer; rows in `backfilled` count as backfill. */
async function readStorage(ctx: ReadContext, deps: DataProviderDeps, backfilled: readonly TimeRange[]): Promise<void> {
  const { sla, counts } = ctx;
  const { dataset, schema } = ctx.resolved;
  const readPhase = sla?.phase('storage');
  // Right before storage is read (after any backfill this read waited for, whose own writes
  // invalidated the range): an invalidation after this point keeps the answer out of the cache.
  if (deps.cache) ctx.cacheEpoch = deps.cache.epoch();
  await ctx.trace.step('seamless.storage', async (s) => {
    // A derived read whose buckets the engine can aggregate (engine-resample.ts); else the rows.
    const inEngine = ctx.engineResample !== undefined && await engineStorageRead(ctx, deps, backfilled, readPhase?.signal);
    if (!inEngine) for (const r of ctx.remaining) {
      const frame = await abortable(deps.store.read(dataset, schema, r), readPhase?.signal).catch((error: unknown) => slaCut(error, sla));
      if (!frame) {
        // The storage budget ran out: what was not read is missing from this answer.
        ctx.missing = normaliseRanges([...ctx.missing, r]);
        continue;
      }
      ctx.pieces.push({ range: r, frame });
      const fromBackfill = rowsIn(frame, backfilled);
      counts.backfill += fromBackfill;
      counts.storage += frame.length - fromBackfill;
    }
    s?.setAttributes({ 'seamless.storage.rows': counts.storage + counts.backfill });
  }, { 'seamless.storage.op': 'read' }).finally(() => readPhase?.end());
}

/** `why` says what happened to the missing bars; it must be true for this read. */
function missingError(input: StrategyInput, why: string, details: Record<string, unknown> = {}): DataUnavailableError {
  let bars = 0;
  for (const r of input.missing) bars += barCount(r, input.resolved.dataset.intervalMs);
  const first = input.missing[0];
  return new DataUnavailableError(
    `${bars} bar(s) of ${input.request.nodeId} are not in storage, starting at ${formatTime(first.start)}; ${why} (pass partial_ok to get what exists)`,
    { missingRanges: input.missing, missingBars: bars, strategy: input.request.strategy, ...details },
  );
}
