/**
 * Upstream sources: where backfill gets bars that storage does not have.
 */
import type { Frame, FrameSchema, TimeRange } from '../core/index.js';

export interface SourceRequest {
  readonly nodeId: string;
  readonly intervalMs: number;
  /** Aligned half-open range [start, end). */
  readonly range: TimeRange;
  readonly signal?: AbortSignal;
}

export interface SourceBatch {
  /** Closed bars with range.start <= ts < range.end, ascending, on the grid (unless the source is defective). */
  readonly frame: Frame;
  /** Sub-ranges the upstream confirmed have no data (market closed, no trades). */
  readonly knownEmpty: readonly TimeRange[];
}

export interface BarSource {
  /** Source name, used in metadata and metrics (`synthetic`, `binance`, `file`). */
  readonly name: string;
  readonly schema: FrameSchema;
  /** Fetches the whole range or throws (a SeamlessError; `retryable` says whether to retry). */
  fetch(request: SourceRequest): Promise<SourceBatch>;
  /**
   * Reachability and rate-limit state of the upstream for `seamless health` (optional: sources
   * without an upstream, such as the synthetic one, have nothing to report).
   */
  health?(signal?: AbortSignal): Promise<SourceHealth>;
  /**
   * Most bars one upstream request answers for `nodeId`, and where the figure comes from, for
   * pre-flight estimates; sends nothing (optional: a source without it answers a range in one call).
   */
  pageSize?(nodeId: string): SourcePageSize;
}

export interface SourcePageSize {
  readonly bars: number;
  readonly basis: string;
}

export interface SourceHealth {
  readonly ok: boolean;
  readonly detail: string;
}
