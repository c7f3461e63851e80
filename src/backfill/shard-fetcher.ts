/**
 * Fetches one shard: asks storage what the shard still lacks (only closed bars, so never the
 * future), fetches exactly that from the upstream, and writes rows together with their coverage
 * in one fenced transaction per range. Retries retryable upstream errors with the backfill retry
 * policy (core's `retry`), recording
 * each failed attempt on the range's coverage (`failed`, reason, attempts); after the last attempt
 * the outcome is `failed`. Only an abort rejects.
 *
 * Calendars (docs/calendars.md): bars the target's calendar calls closed are known empty by the
 * calendar — recorded `known_empty` without asking the upstream (a range wholly closed is never
 * fetched), with provenance `calendar:<name>` when that is all the shard holds, and never
 * re-checked. Known-empty coverage in open time is an upstream's word: the shard's outcome
 * carries it as evidence (also for a `completed` shard), so the lease store re-checks it after
 * `knownEmptyRecheckMs`, and a re-opened shard asks the upstream again for it.
 */
import {
  ALWAYS_OPEN, alignDown, alignUp, calendarSource, createFrame, emptyFrame, intersectRanges, isRetryable, isSeamlessError, missingRanges,
  normaliseRanges, retry, subtractRanges,
} from '../core/index.js';
import type { Clock, Frame, RetryPolicy, TimeRange, TradingCalendar } from '../core/index.js';
import type { Logger } from '../observability/index.js';
import type { IngestFinding } from '../conformance/index.js';
import type { SourceBatch } from '../sources/index.js';
import type { BarStore, CoverageClaim, DatasetKey, Fence } from '../storage/index.js';
import type { BackfillTarget, ShardState } from './coordinator.js';
import type { ShardResult } from './lease-store.js';
import { normaliseIngest } from './ingest-normaliser.js';
import type { IngestFindings } from './ingest-normaliser.js';

export interface ShardTask {
  readonly key: string;
  readonly target: BackfillTarget;
  readonly range: TimeRange;
}

export interface ShardOutcome {
  readonly state: ShardState;
  readonly rowsWritten: number;
  readonly attempts: number;
  /** Whether the upstream was asked at all (false when storage already had the shard). */
  readonly fetched: boolean;
  /** For `failed`: the last attempt's reason, and whether a later attempt may succeed. */
  readonly error?: string;
  readonly retryable?: boolean;
  /** Rows the upstream returned (before normalising). */
  readonly upstreamRows?: number;
  /** For `known_empty`: the source that answered empty, the span it was asked for and when it answered. */
  readonly evidence?: { readonly source: string; readonly start: number; readonly end: number; readonly checkedAt: number };
}

export interface ShardFetcherDeps {
  readonly store: BarStore;
  readonly clock: Clock;
  readonly retry: RetryPolicy;
  readonly logger: Logger;
  /** Called after every failed attempt (for events and metrics). */
  readonly onAttemptFailed?: (task: ShardTask, attempt: number, reason: string, final: boolean) => void;
  /** Called with the ingest findings a write committed (duplicates and off-grid rows dropped). */
  readonly onFindings?: (findings: readonly IngestFinding[]) => void;
}

/**
 * `beforeLastWrite`, when given, is told the shard's result just before the write that ends the
 * shard (the last missing range's), so a lease store can arm its completion to commit with that
 * write (LeaseStore.armCompletion); the outcome returned then carries the same result.
 */
export type ShardFetcher = (task: ShardTask, fence: Fence, signal: AbortSignal, beforeLastWrite?: (result: ShardResult) => void) => Promise<ShardOutcome>;

export function createShardFetcher(deps: ShardFetcherDeps): ShardFetcher {
  const { store, clock } = deps;
  return async function fetchShard(task, fence, signal, beforeLastWrite) {
    const { dataset, schema, source } = task.target;
    const closedEnd = alignDown(clock.now(), dataset.intervalMs);
    const fetchable = intersectRanges([task.range], [{ start: task.range.start, end: closedEnd }]);
    if (fetchable.length === 0) return { state: 'completed', rowsWritten: 0, attempts: 0, fetched: false };
    const calendar = task.target.calendar ?? ALWAYS_OPEN;
    const coverage = await store.coverage(dataset, task.range);
    const closedTime = calendar.closedRanges(fetchable[0], dataset.intervalMs);
    // Stored bars and known-empty closed time are settled; known-empty open time (an upstream's word) is asked again.
    const covered: TimeRange[] = [];
    const recordedEmpty: TimeRange[] = [];
    for (const c of coverage) {
      if (c.state === 'stored') covered.push(c);
      else if (c.state === 'known_empty') recordedEmpty.push(c);
    }
    for (const r of intersectRanges(normaliseRanges(recordedEmpty), closedTime)) covered.push(r);
    const missing = missingRanges(fetchable[0], normaliseRanges(covered), dataset.intervalMs);
    if (missing.length === 0) return { state: 'completed', rowsWritten: 0, attempts: 0, fetched: false };
    // Closed time is recorded known empty in one write, without asking the upstream; open time is fetched.
    const closedMissing = intersectRanges(missing, closedTime);
    const openMissing = subtractRanges(missing, closedTime);

    let rowsWritten = 0;
    let upstreamRows = 0;
    let allEmpty = true;
    let attempts = 0;
    // What the upstream (not the calendar) answered empty in open time, and whether it was asked at all.
    let upstreamEmpty: TimeRange[] = [];
    let asked = false;
    const resultOf = (empty: boolean, rows: number, saidEmpty: readonly TimeRange[], askedUpstream: boolean, at: number): ShardResult =>
      shardResult(task.target, calendar, missing, empty, rows, saidEmpty, askedUpstream, at);
    // One time for the known-empty evidence, told before the last write and returned after it.
    let checkedAt = 0;
    if (closedMissing.length > 0) {
      try {
        if (beforeLastWrite !== undefined && openMissing.length === 0) {
          checkedAt = clock.now();
          beforeLastWrite(resultOf(true, 0, [], false, checkedAt));
        }
        const claims: CoverageClaim[] = [];
        for (const r of closedMissing) claims.push({ start: r.start, end: r.end, state: 'known_empty' });
        await store.write({ dataset, frame: emptyFrame(schema), coverage: claims, fence, source: 'backfill' }, schema);
      } catch (error) {
        if (signal.aborted) throw error;
        const reason = isSeamlessError(error) ? error.message : String(error);
        deps.onAttemptFailed?.(task, 1, reason, true);
        const staleFence = isSeamlessError(error) && error.code === 'conflict';
        return { state: 'failed', rowsWritten: 0, attempts: 1, fetched: false, error: reason, retryable: !staleFence && isRetryable(error) };
      }
    }
    for (const [index, range] of openMissing.entries()) {
      let failure: { readonly reason: string; readonly retryable: boolean } | undefined;
      try {
        await retry(async (attempt) => {
          attempts = Math.max(attempts, attempt);
          const batch = await source.fetch({ nodeId: dataset.nodeId, intervalMs: dataset.intervalMs, range, signal });
          upstreamRows += batch.frame.length;
          // Every bar of `range` is open: what the upstream calls empty here is its word, re-checkable.
          const saidEmpty = alignedInside(batch.knownEmpty, range, dataset.intervalMs);
          const prepared = prepareBatch(batch, range, dataset, clock.now(), deps.logger, task.key);
          const { findings } = prepared;
          if (beforeLastWrite !== undefined && index === openMissing.length - 1) {
            checkedAt = clock.now();
            beforeLastWrite(resultOf(allEmpty && !prepared.stored, rowsWritten + prepared.frame.length, [...upstreamEmpty, ...saidEmpty], true, checkedAt));
          }
          const report = await store.write({ dataset, frame: prepared.frame, coverage: prepared.coverage, fence, source: 'backfill', ...(findings.length > 0 ? { findings } : {}) }, schema);
          if (findings.length > 0) deps.onFindings?.(findings);
          rowsWritten += report.rowsWritten;
          if (prepared.stored) allEmpty = false;
          asked = true;
          upstreamEmpty = [...upstreamEmpty, ...saidEmpty];
        }, {
          policy: deps.retry,
          signal,
          onFailure: async (error, attempt, final) => {
            const reason = isSeamlessError(error) ? error.message : String(error);
            deps.onAttemptFailed?.(task, attempt, reason, final);
            const staleFence = isSeamlessError(error) && error.code === 'conflict';
            if (!staleFence) {
              // Every failed attempt is recorded, so coverage shows the reason and the attempt count.
              await store.markFailed(dataset, range, reason, fence).catch((e: unknown) => {
                deps.logger.error({ shard: task.key, err: e }, 'could not record the failed range');
              });
            }
            if (final) failure = { reason, retryable: !staleFence && isRetryable(error) };
          },
        });
      } catch (error) {
        if (signal.aborted || failure === undefined) throw error;
        return { state: 'failed', rowsWritten, attempts, fetched: true, error: failure.reason, retryable: failure.retryable, upstreamRows };
      }
    }
    const result = resultOf(allEmpty, rowsWritten, upstreamEmpty, asked, beforeLastWrite === undefined ? clock.now() : checkedAt);
    return { ...result, attempts, fetched: asked, upstreamRows };
  };
}

/**
 * A shard's result: `known_empty` when nothing was stored (provenance: the upstream over the
 * missing span when it was asked, else the calendar), `completed` otherwise, with the upstream's
 * evidence over what it answered empty in open time, if anything (so the lease store re-checks it).
 */
function shardResult(
  target: BackfillTarget, calendar: TradingCalendar, missing: readonly TimeRange[],
  empty: boolean, rows: number, saidEmpty: readonly TimeRange[], askedUpstream: boolean, checkedAt: number,
): ShardResult {
  if (empty) {
    const source = askedUpstream ? target.source.name : calendarSource(calendar);
    return { state: 'known_empty', rowsWritten: rows, evidence: { source, start: missing[0].start, end: missing[missing.length - 1].end, checkedAt } };
  }
  if (saidEmpty.length === 0) return { state: 'completed', rowsWritten: rows };
  const span = normaliseRanges(saidEmpty);
  return { state: 'completed', rowsWritten: rows, evidence: { source: target.source.name, start: span[0].start, end: span[span.length - 1].end, checkedAt } };
}

/** `ranges` snapped inwards to the grid and clipped to `range`. */
function alignedInside(ranges: readonly TimeRange[], range: TimeRange, intervalMs: number): TimeRange[] {
  const out: TimeRange[] = [];
  for (const r of ranges) out.push({ start: alignUp(r.start, intervalMs), end: alignDown(r.end, intervalMs) });
  return intersectRanges(out, [range]);
}

/** An upstream batch made storable: the rows to write, the coverage they vouch for, what was dropped. */
export interface PreparedBatch {
  /** Normalised rows inside the `stored` claims. */
  readonly frame: Frame;
  /** `stored` for the range minus what the upstream called empty, `known_empty` for the rest; sorted. */
  readonly coverage: readonly CoverageClaim[];
  readonly findings: readonly IngestFinding[];
  /** Whether any part of the range is `stored` (else the whole range is known empty). */
  readonly stored: boolean;
}

/**
 * Turns the upstream's answer for one aligned `range` into a storable write: known-empty
 * sub-ranges snapped inwards to the grid, rows normalised (sorted, deduplicated, off-grid and
 * out-of-range rows dropped) and kept only inside the stored claims, plus ingest findings for
 * what was dropped. Shared by local lease workers and remote workers, so both write the same.
 */
export function prepareBatch(batch: SourceBatch, range: TimeRange, dataset: DatasetKey, at: number, logger: Logger, shard: string): PreparedBatch {
  const empty = intersectRanges(batch.knownEmpty.map((r) => ({ start: alignUp(r.start, dataset.intervalMs), end: alignDown(r.end, dataset.intervalMs) })), [range]);
  const stored = subtractRanges([range], empty);
  const claims: CoverageClaim[] = [];
  for (const r of stored) claims.push({ start: r.start, end: r.end, state: 'stored' });
  for (const r of empty) claims.push({ start: r.start, end: r.end, state: 'known_empty' });
  claims.sort((a, b) => a.start - b.start);
  const { frame, findings: findingsOf } = normaliseIngest(batch.frame, range, dataset.intervalMs);
  if (findingsOf.duplicates + findingsOf.misaligned + findingsOf.outOfRange > 0 || findingsOf.unsorted) {
    logger.warn({ shard, unsorted: findingsOf.unsorted, duplicates: findingsOf.duplicates, misaligned: findingsOf.misaligned, outOfRange: findingsOf.outOfRange }, 'upstream batch normalised before storing');
  }
  return { frame: rowsInside(frame, stored), coverage: claims, findings: ingestFindings(dataset, findingsOf, at), stored: stored.length > 0 };
}

/** One finding per (flag, ts), repeats folded into `count`, for what normalising dropped. */
function ingestFindings(dataset: DatasetKey, found: IngestFindings, at: number): IngestFinding[] {
  const out: IngestFinding[] = [];
  const fold = (flag: 'duplicate_ts' | 'misaligned_ts', list: readonly number[], detail: string): void => {
    for (let i = 0; i < list.length; ) {
      let j = i + 1;
      while (j < list.length && list[j] === list[i]) j++;
      out.push({ nodeId: dataset.nodeId, intervalMs: dataset.intervalMs, flag, ts: list[i], count: j - i, at, detail });
      i = j;
    }
  };
  fold('duplicate_ts', found.duplicateTs, 'the upstream sent this bar more than once; the last copy was stored');
  fold('misaligned_ts', found.misalignedTs, 'the upstream sent a bar off the interval grid; it was dropped');
  return out;
}

/** Keeps rows whose ts lies in one of the (sorted, disjoint) ranges; no copy when all do. */
function rowsInside(frame: Frame, ranges: readonly TimeRange[]): Frame {
  const ts = frame.ts;
  let all = true;
  let r = 0;
  for (let i = 0; i < ts.length; i++) {
    while (r < ranges.length && ts[i] >= ranges[r].end) r++;
    if (r >= ranges.length || ts[i] < ranges[r].start) { all = false; break; }
  }
  if (all) return frame;
  const keep: number[] = [];
  r = 0;
  for (let i = 0; i < ts.length; i++) {
    while (r < ranges.length && ts[i] >= ranges[r].end) r++;
    if (r < ranges.length && ts[i] >= ranges[r].start) keep.push(i);
  }
  const values = frame.values.map((col) => Float64Array.from(keep, (i) => col[i]));
  return createFrame(frame.schema, Float64Array.from(keep, (i) => ts[i]), values);
}

