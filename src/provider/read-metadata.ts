/**
 * The metadata of a read (ARCHITECTURE.md §3 step 9): what was asked, what was returned, where
 * each bar came from, and what is missing or was downgraded.
 */
import type { TimeRange } from '../core/index.js';
import type { CoverageRange } from '../storage/index.js';
import type { Strategy } from './fetch-request.js';

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
