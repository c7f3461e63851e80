/**
 * Step 9 of the read pipeline: the fingerprint and the metadata of a read (ARCHITECTURE.md §3):
 * what was asked, what was returned, where each bar came from, and what is missing or was
 * downgraded; the rows-served counters, the read's duration and its pipeline span attributes.
 */
import { performance } from 'node:perf_hooks';
import { fingerprintFrameAsync, formatInterval } from '../../core/index.js';
import type { Frame, TimeRange } from '../../core/index.js';
import type { SeamlessMetrics } from '../../observability/index.js';
import type { CoverageRange } from '../../storage/index.js';
import { servedVersions } from './as-of-read.js';
import { memoFingerprint } from './cache-fill.js';
import type { Strategy } from './fetch-request.js';
import { withBuilding } from './live-step.js';
import type { ReadContext } from './read-context.js';
import type { FillMetadata, ResampleMetadata } from './resample-read.js';

export interface FetchResult {
  readonly frame: Frame;
  readonly metadata: ReadMetadata;
}

export interface SourceRowCounts {
  cache: number;
  storage: number;
  backfill: number;
  live: number;
}

export interface ReadMetadata {
  readonly nodeId: string;
  readonly interval: string;
  readonly intervalMs: number;
  readonly strategy: Strategy;
  /** The bounds as the caller gave them (parsed to epoch ms). */
  readonly requestedRange: TimeRange;
  /** Rounded outward to the bar grid; equals requestedRange when both bounds were on the grid. */
  readonly alignedRange: TimeRange;
  /** True when the request's bounds were off the grid and got rounded. */
  readonly rangeAdjusted: boolean;
  /** The part of alignedRange that can hold closed bars now (bars after "now" do not exist yet). */
  readonly closedRange: TimeRange;
  readonly rows: number;
  /** Span of the coverage (stored or known empty) inside closedRange; null when none. */
  readonly coverageBounds: TimeRange | null;
  /** Covered bars / bars in closedRange (1 for an empty closedRange). */
  readonly coverageRatio: number;
  /** now − close time of the newest returned bar; null without rows. */
  readonly stalenessMs: number | null;
  readonly missingRanges: readonly TimeRange[];
  /** Coverage entries in `failed` state inside the range, with their reasons. */
  readonly failedRanges: readonly { readonly start: number; readonly end: number; readonly reason: string; readonly attempts: number }[];
  readonly partial: boolean;
  /** Filled by the conformance pipeline; null until that stage runs on this read. */
  readonly conformance: { readonly flags: Readonly<Record<string, number>>; readonly warnings: readonly unknown[]; readonly reportUri: string | null } | null;
  readonly fingerprint: string;
  readonly asOf: number | null;
  /** On an as-of read: the versions that served (ids ascending) and the newest one's commit time; null otherwise. */
  readonly versions?: { readonly ids: readonly number[]; readonly newestAt: number | null } | null;
  readonly worldId: string | null;
  readonly downgraded: boolean;
  readonly downgradeMode: 'partial' | 'hold' | null;
  readonly downgradeReason: string | null;
  /** Filled by SLA evaluation; null until that stage runs on this read. */
  readonly slaViolation: unknown;
  readonly backfill: { readonly jobId: string; readonly completionRatio: number; readonly state: string } | null;
  readonly cacheHit: boolean;
  /** Set when the last row is the still-building bar (asked for with includeBuilding): not closed, its values will change. */
  readonly building: { readonly ts: number } | null;
  readonly sources: Readonly<SourceRowCounts>;
  readonly elapsedMs: number;
  /** Set on a derived interval: what it was resampled from (resample-read.ts); null otherwise. */
  readonly resample?: ResampleMetadata | null;
  /** Set when a fill mode other than `none` was asked for: the bars it added (resample-read.ts). */
  readonly filled?: FillMetadata | null;
}

/** Span of the stored or known-empty coverage inside `closed`; null when none. */
export function coverageBounds(coverage: readonly CoverageRange[], closed: TimeRange): TimeRange | null {
  let start = Infinity;
  let end = -Infinity;
  for (const c of coverage) {
    if (c.state === 'failed' || c.end <= closed.start || c.start >= closed.end) continue;
    start = Math.min(start, Math.max(c.start, closed.start));
    end = Math.max(end, Math.min(c.end, closed.end));
  }
  return start < end ? { start, end } : null;
}

export function failedRanges(coverage: readonly CoverageRange[], closed: TimeRange): ReadMetadata['failedRanges'] {
  const out: { start: number; end: number; reason: string; attempts: number }[] = [];
  for (const c of coverage) {
    if (c.state !== 'failed' || c.end <= closed.start || c.start >= closed.end) continue;
    out.push({ start: c.start, end: c.end, reason: c.reason ?? 'unknown', attempts: c.attempts ?? 1 });
  }
  return out;
}

/** The metadata step: its counters are resolved once, when the provider is built. */
export function createMetadataStep(metrics: SeamlessMetrics): (ctx: ReadContext, fingerprinted?: boolean) => Promise<FetchResult> {
  const rowsFrom = {
    cache: metrics.rowsServed.labels({ source: 'cache' }),
    storage: metrics.rowsServed.labels({ source: 'storage' }),
    backfill: metrics.rowsServed.labels({ source: 'backfill' }),
    live: metrics.rowsServed.labels({ source: 'live' }),
  };
  // fetch durations by strategy and outcome, resolved on first use (a handful of label sets).
  const durations = new Map<string, ReturnType<SeamlessMetrics['fetchDuration']['labels']>>();
  const durationOf = (strategy: string, outcome: 'partial' | 'complete') => {
    const key = `${outcome}|${strategy}`;
    let h = durations.get(key);
    if (h === undefined) {
      h = metrics.fetchDuration.labels({ strategy, outcome });
      durations.set(key, h);
    }
    return h;
  };
  // `fingerprinted` false: the caller replaces the frame (a derived read resamples it), so hashing it would be wasted.
  return async function metadataStep(ctx, fingerprinted = true) {
    const { req, closed, counts, livePart, cacheHit, cachePieces, downgrade, verdict } = ctx;
    const coverage = ctx.coverage ?? [];
    // A still-building bar (asked for) is the last row, after the checks of closed bars.
    const answer = livePart?.building ? withBuilding(ctx.resolved.schema, ctx.answer, livePart.building) : ctx.answer;
    const fingerprint = !fingerprinted ? '' : cacheHit && cachePieces.length === 1 && counts.live === 0 && answer === ctx.frame ? memoFingerprint(cachePieces[0], answer) : await fingerprintFrameAsync(answer);
    const partial = ctx.missing.length > 0;
    const metadata: ReadMetadata = {
      nodeId: req.nodeId,
      interval: formatInterval(req.intervalMs),
      intervalMs: req.intervalMs,
      strategy: req.strategy,
      requestedRange: req.requested,
      alignedRange: req.aligned,
      rangeAdjusted: req.aligned.start !== req.requested.start || req.aligned.end !== req.requested.end,
      closedRange: closed,
      rows: answer.length,
      coverageBounds: cacheHit ? (closed.end > closed.start ? closed : null) : coverageBounds(livePart ? [...coverage, ...livePart.covered.map((r) => ({ ...r, state: 'stored' as const }))] : coverage, closed),
      coverageRatio: ctx.coverageRatio,
      stalenessMs: ctx.stalenessMs,
      missingRanges: ctx.missing,
      failedRanges: failedRanges(coverage, closed),
      partial,
      conformance: ctx.conformance,
      fingerprint,
      asOf: req.asOf ?? null,
      versions: servedVersions(ctx.asOfServed),
      worldId: req.worldId ?? null,
      downgraded: downgrade !== null,
      downgradeMode: downgrade?.mode ?? null,
      downgradeReason: downgrade?.reason ?? (partial ? ctx.downgradeReason : null),
      slaViolation: verdict && verdict.violations.length > 0
        ? { policy: verdict.policy, mode: verdict.mode, dryRun: verdict.dryRun, decision: verdict.decision, violations: verdict.violations }
        : null,
      backfill: ctx.job,
      cacheHit,
      building: livePart?.building ? { ts: livePart.building.ts[0] } : null,
      sources: counts,
      elapsedMs: performance.now() - ctx.t0,
      resample: null,
      filled: null,
    };
    if (counts.cache > 0) rowsFrom.cache.inc(counts.cache);
    if (counts.storage > 0) rowsFrom.storage.inc(counts.storage);
    if (counts.backfill > 0) rowsFrom.backfill.inc(counts.backfill);
    if (counts.live > 0) rowsFrom.live.inc(counts.live);
    durationOf(req.strategy, partial ? 'partial' : 'complete').observe(metadata.elapsedMs / 1000);
    ctx.trace.set({
      'seamless.rows': answer.length, 'seamless.rows.cache': counts.cache, 'seamless.rows.storage': counts.storage,
      'seamless.rows.backfill': counts.backfill, 'seamless.rows.live': counts.live, 'seamless.cache_hit': cacheHit,
      'seamless.coverage_ratio': metadata.coverageRatio, 'seamless.partial': partial,
    });
    return { frame: answer, metadata };
  };
}
