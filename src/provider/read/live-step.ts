/**
 * Step 6 of the read path: live blending. For a dataset with a live feed, the newest part of the
 * read's range comes from the live buffer — closed bars the feed delivered (written through to
 * storage in the background, but not necessarily yet) — and, when asked for, the still-building
 * bar. Live wins over storage and backfill for the same `ts`: the ranges the live bars vouch for
 * are taken out of what the read asks storage for.
 *
 * When the range reaches the present and the feed is connected but has not delivered the newest
 * closed bar yet (nor moved on to a later bar), the read waits for it: at most `waitMs`, and
 * never past the SLA `live` budget (the phase signal). A wait cut short is not an error — the read goes on with what it has and
 * the policy decides at the end.
 */
import { performance } from 'node:perf_hooks';
import { AbortedError, alignDown, concatFrames, lowerBound, normaliseRanges, subtractRanges } from '../../core/index.js';
import type { Frame, FrameSchema, TimeRange } from '../../core/index.js';
import { DEFAULT_LIVE_WAIT_MS } from '../../config/index.js';
import type { DatasetKey } from '../../storage/index.js';
import type { ReadStep } from './read-context.js';

/** What the read path needs of the live hub (src/provider/live implements it). */
export interface LiveReader {
  has(dataset: DatasetKey): boolean;
  snapshot(dataset: DatasetKey, range: TimeRange): {
    readonly closed: Frame;
    readonly building: Frame | undefined;
    readonly lastClosedTs: number | undefined;
    readonly connected: boolean;
  };
  waitForClosed(dataset: DatasetKey, ts: number, signal?: AbortSignal): Promise<void>;
}

export interface LivePart {
  /** Closed live bars inside the read's closed range, one piece per contiguous run. */
  readonly pieces: readonly { readonly range: TimeRange; readonly frame: Frame }[];
  /** The ranges those bars vouch for (merged runs of [ts, ts + interval)). */
  readonly covered: readonly TimeRange[];
  readonly rows: number;
  /** The still-building bar (one row) when asked for and inside the range. */
  readonly building: Frame | undefined;
  /** Whether the read waited for the newest closed bar, how long, and whether it arrived. */
  readonly waitedMs: number;
  readonly caughtUp: boolean;
  readonly connected: boolean;
}

export interface LiveStepInput {
  readonly dataset: DatasetKey;
  readonly schema: FrameSchema;
  /** The read's aligned range, and the part of it that can hold closed bars now. */
  readonly aligned: TimeRange;
  readonly closed: TimeRange;
  readonly now: number;
  readonly includeBuilding: boolean;
  /** Longest wait for the newest closed bar without an SLA budget. */
  readonly waitMs: number;
  /** The SLA `live` phase deadline (or the client leaving). */
  readonly signal?: AbortSignal;
}

export async function readLive(live: LiveReader, input: LiveStepInput, elapsed: () => number): Promise<LivePart> {
  const { dataset, closed } = input;
  const intervalMs = dataset.intervalMs;
  const t0 = elapsed();
  let waited = false;
  let caughtUp = true;
  const reachesPresent = input.aligned.end >= alignDown(input.now, intervalMs) && closed.end > closed.start;
  if (reachesPresent) {
    const newest = closed.end - intervalMs;
    const before = live.snapshot(dataset, { start: newest, end: Number.MAX_SAFE_INTEGER });
    // A feed already building a later bar has moved past `newest`: missed, it never comes (the
    // gap recovery backfills it), so there is nothing to wait for.
    const movedOn = before.building !== undefined && before.building.ts[0] > newest;
    if (before.connected && !movedOn && (before.lastClosedTs === undefined || before.lastClosedTs < newest) && input.waitMs > 0) {
      waited = true;
      const bound = AbortSignal.timeout(input.waitMs);
      const signal = input.signal ? AbortSignal.any([input.signal, bound]) : bound;
      caughtUp = await live.waitForClosed(dataset, newest, signal).then(() => true, (error: unknown) => {
        // The bound, the SLA deadline or the client ended the wait: go on with what there is (the
        // caller checks its signals). Anything else is a real failure.
        if (signal.aborted) return false;
        throw error;
      });
    } else if (!before.connected && (before.lastClosedTs === undefined || before.lastClosedTs < newest)) {
      caughtUp = false;
    }
  }
  const snap = live.snapshot(dataset, closed);
  const covered = runsOf(snap.closed.ts, intervalMs);
  const pieces = covered.map((range) => ({ range, frame: snap.closed.slice(lowerBound(snap.closed.ts, range.start), lowerBound(snap.closed.ts, range.end)) }));
  let building: Frame | undefined;
  if (input.includeBuilding && input.aligned.end > closed.end) {
    const b = live.snapshot(dataset, { start: closed.end, end: input.aligned.end }).building;
    if (b && b.length > 0 && b.ts[0] >= closed.end && b.ts[0] < input.aligned.end) building = b;
  }
  return {
    pieces, covered, rows: snap.closed.length, building,
    waitedMs: waited ? elapsed() - t0 : 0, caughtUp, connected: snap.connected,
  };
}

/**
 * The live step of the pipeline. It runs before the response cache (step 3) although it is step
 * 6 of ARCHITECTURE.md: live wins for the same `ts`, so the cache and storage are asked only for
 * what live does not vouch for.
 */
export const liveStep: ReadStep = async (ctx, deps) => {
  const live = deps.live;
  const { dataset, schema } = ctx.resolved;
  if (!live?.has(dataset)) return;
  const { req, input, sla } = ctx;
  const livePhase = sla?.phase('live');
  const part = await ctx.trace.step('seamless.live', async (span) => {
    const signal = livePhase ? livePhase.signal : input.signal;
    const p = await readLive(live, {
      dataset, schema, aligned: req.aligned, closed: ctx.closed, now: ctx.now, includeBuilding: req.includeBuilding,
      waitMs: deps.liveWaitMs ?? DEFAULT_LIVE_WAIT_MS, ...(signal ? { signal } : {}),
    }, () => performance.now()).finally(() => livePhase?.end());
    span?.setAttributes({
      'seamless.live.rows': p.rows, 'seamless.live.building': p.building !== undefined, 'seamless.live.connected': p.connected,
      'seamless.live.waited_ms': p.waitedMs, 'seamless.live.caught_up': p.caughtUp,
    });
    return p;
  });
  if (livePhase?.signal.aborted) sla?.failFast(livePhase.signal.reason);
  if (input.signal?.aborted) throw new AbortedError(input.signal.reason);
  ctx.livePart = part;
  for (const p of part.pieces) ctx.pieces.push(p);
  ctx.counts.live += part.rows;
  ctx.remaining = subtractRanges(ctx.remaining, part.covered);
};

/** Merged runs [ts, ts + interval) of ascending bar times. */
export function runsOf(ts: Float64Array, intervalMs: number): TimeRange[] {
  const runs: TimeRange[] = [];
  let start = NaN;
  let end = NaN;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    if (t === end) {
      end = t + intervalMs;
      continue;
    }
    if (end > start) runs.push({ start, end });
    start = t;
    end = t + intervalMs;
  }
  if (end > start) runs.push({ start, end });
  return normaliseRanges(runs);
}

/** The answer with the building bar appended as its last row. */
export function withBuilding(schema: FrameSchema, answer: Frame, building: Frame): Frame {
  return concatFrames(schema, [answer, building]);
}
