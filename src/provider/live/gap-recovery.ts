/**
 * Recovers one live gap: submits it as a backfill job with the dataset's configured source,
 * waits for the job, then reads the gap's coverage back — the gap counts as recovered only when
 * coverage vouches for every bar of it, never because the job said so.
 */
import { abortable } from '../../core/index.js';
import type { TimeRange } from '../../core/index.js';
import type { BarStore, DatasetKey } from '../../storage/index.js';
import { unrecoveredRanges } from './live-gaps.js';

/** A started backfill job, as far as gap recovery cares. */
export interface LiveGapJob {
  readonly id: string;
  /** Settles when the job ends (its outcome is read from coverage, not from here). */
  readonly done: Promise<unknown>;
}

/** Starts a backfill of `ranges` with the dataset's configured source; undefined when it has none (or backfill is suspended). */
export type LiveGapBackfill = (dataset: DatasetKey, ranges: readonly TimeRange[]) => LiveGapJob | undefined;

export type GapOutcome = 'recovered' | 'missing' | 'not_backfilled' | 'failed';

export interface GapRecovery {
  readonly outcome: GapOutcome;
  readonly gap: TimeRange;
  /** Bars of the gap coverage does not vouch for (the whole gap for `not_backfilled` — no source, or backfill suspended — and `failed`). */
  readonly missing: readonly TimeRange[];
  readonly jobId: string | undefined;
  /** For `failed`: what went wrong. */
  readonly error?: unknown;
}

/**
 * Never rejects except with AbortedError when `signal` fires (the hub is closing): every other
 * failure is the `failed` outcome.
 */
export async function recoverGap(
  deps: { readonly store: BarStore; readonly backfill: LiveGapBackfill | undefined; readonly signal: AbortSignal },
  dataset: DatasetKey, gap: TimeRange,
): Promise<GapRecovery> {
  let jobId: string | undefined;
  try {
    const job = deps.backfill?.(dataset, [gap]);
    if (!job) return { outcome: 'not_backfilled', gap, missing: [gap], jobId };
    jobId = job.id;
    await abortable(job.done, deps.signal);
    const coverage = await abortable(deps.store.coverage(dataset, gap), deps.signal);
    const missing = unrecoveredRanges(gap, coverage, dataset.intervalMs);
    return { outcome: missing.length === 0 ? 'recovered' : 'missing', gap, missing, jobId };
  } catch (error) {
    if (deps.signal.aborted) throw error;
    return { outcome: 'failed', gap, missing: [gap], jobId, error };
  }
}
