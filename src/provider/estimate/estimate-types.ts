/**
 * The shapes of a pre-flight estimate (`GET /v1/bars/estimate`, `seamless fetch --estimate`): what
 * a read of one dataset over [start, end) would cost, answered from coverage alone before any data
 * moves. Every figure carries the basis it was computed from, so a caller knows which are exact
 * (bar counts, shards, Arrow bytes) and which are estimates (JSON/CSV bytes, time).
 *
 * Extension points: a dataset's calendar (`EstimateCalendar`, 24/7 until datasets name one), and
 * `SourcePlan`, what the composition root knows of an upstream (page size, budget, latency). A
 * universe read or a derived interval is a sum of estimates of its (base) datasets: the estimator
 * answers per dataset (`BarsEstimator.estimate`) so such a caller can combine them.
 */
import type { TimeRange } from '../../core/index.js';
import type { BudgetRate } from '../../sources/index.js';

/** A request for an estimate: the dataset and range of the read it prices (GET /v1/bars's own). */
export interface EstimateRequest {
  readonly nodeId: string;
  readonly interval: string | number;
  readonly start: string | number;
  readonly end: string | number;
  /** As the read's (resample-read.ts): the IANA zone of derived daily/weekly buckets, and the fill mode (checked only). */
  readonly align?: string;
  readonly fill?: string;
}

/**
 * Which bars of a range a dataset's calendar has (the bars that can exist). The default is 24/7:
 * every bar of the grid. An exchange calendar answers fewer, and the estimate then counts only
 * those as `inRange` (the hook for calendars; the estimate names the calendar it used).
 */
export interface EstimateCalendar {
  readonly name: string;
  /** Bars of `range` (aligned to `intervalMs`) during which the calendar is open. */
  openBars(range: TimeRange, intervalMs: number): number;
}

/** What the composition root knows of a dataset's upstream, for requests and time. */
export interface SourcePlan {
  /** The source's name (`synthetic`, a ccxt exchange id). */
  readonly name: string;
  /** Most bars one upstream request answers; undefined: one request answers a whole missing range. */
  readonly barsPerRequest: number | undefined;
  /** Where `barsPerRequest` comes from (e.g. "sources.binance.pageLimit", "one call per range"). */
  readonly barsPerRequestBasis: string;
  /** The upstream's shared request budget, when it has one. */
  readonly budget?: {
    readonly upstream: string;
    readonly rate: BudgetRate;
    /** `memory`, `etcd` or `coordinator`. */
    readonly authority: string;
    /** Until the next permit would be granted now (0: free), pauses included. */
    readonly nextPermitInMs: number;
  };
  /** Time one upstream request takes. */
  readonly latency?: {
    readonly ms: number;
    /** `configured` (e.g. the synthetic source's latencyMs) or `measured` (mean of this process's requests). */
    readonly basis: 'configured' | 'measured';
    /** Requests measured, for `measured`. */
    readonly samples?: number;
  };
}

export interface ByteFigure {
  readonly bytes: number;
  /** `exact`, `measured` (bytes per row of stored rows sampled) or `default` (a documented per-value size). */
  readonly basis: 'exact' | 'measured' | 'default';
  readonly detail: string;
}

/** The answer of GET /v1/bars/estimate. */
export interface BarsEstimate {
  readonly node: string;
  readonly interval: string;
  readonly intervalMs: number;
  /** As given (parsed); `alignedRange` rounded outward to the grid, as the read does. */
  readonly requestedRange: TimeRange;
  readonly alignedRange: TimeRange;
  /** The part of `alignedRange` whose bars have closed now (only closed bars are read or backfilled). */
  readonly closedRange: TimeRange;
  readonly calendar: { readonly name: string; readonly basis: string };
  readonly bars: {
    /** Bars of the closed range the calendar has. */
    readonly inRange: number;
    /** Of those, stored. */
    readonly stored: number;
    /** Of those, known empty (the upstream confirmed no data). */
    readonly knownEmpty: number;
    /** Neither (failed ranges count here): what the read backfills inside its range. */
    readonly missing: number;
    /** Bars of the aligned range that have not closed yet (never read or backfilled). */
    readonly notClosed: number;
  };
  readonly backfill: {
    /** The dataset's source, or null when it has none (an import-only dataset: nothing can be backfilled). */
    readonly source: string | null;
    /** Aligned shards the missing bars fall in (the backfill shard size policy). */
    readonly shards: number;
    readonly barsPerShard: number;
    /** Bars the backfill fetches: a shard is fetched whole, so every missing closed bar of those shards. */
    readonly bars: number;
    /** Upstream requests: one per missing range of a shard, or per page of `barsPerRequest` bars. */
    readonly requests: number;
    readonly requestsBasis: string;
    /** Expected time of the backfill, or null when nothing gives a basis. */
    readonly expectedMs: number | null;
    readonly timeBasis: string;
  };
  /** Rows the read would answer: stored plus missing (an upstream may still answer part of them empty). */
  readonly rows: number;
  /**
   * A derived interval (src/provider/derived-interval.ts): the base interval, and the base
   * interval's bar counts. `bars.inRange`, `bars.notClosed`, `rows` and `bytes` then count derived
   * bars; `bars.stored`, `bars.knownEmpty`, `bars.missing` and `backfill` count base bars.
   */
  readonly derivedFrom?: { readonly interval: string; readonly intervalMs: number };
  readonly base?: BarsEstimate['bars'];
  readonly bytes: { readonly json: ByteFigure; readonly csv: ByteFigure; readonly arrow: ByteFigure };
}
