/**
 * The typed context of one read, handed from step to step of the read pipeline
 * (ARCHITECTURE.md §3), and what the steps depend on. Validation (step 1) builds the context
 * with every field set (stable shape); each later step reads what earlier steps left and sets
 * its own fields. A step is `(ctx, deps) => void | Promise<void>`; the orchestrator
 * (data-provider.ts) runs the list in order.
 */
import { AbortedError, SeamlessSLAExceeded } from '../../core/index.js';
import type { Clock, Frame, TimeRange } from '../../core/index.js';
import type { BackfillCoordinator } from '../../backfill/index.js';
import type { AsOfRegressionPolicy } from '../../config/index.js';
import type { Logger, SeamlessMetrics, Tracing } from '../../observability/index.js';
import type { BarStore, CoverageRange } from '../../storage/index.js';
import type { DatasetCatalog, ResolvedDataset } from '../dataset-catalog.js';
import type { CachePiece, ResponseCache } from '../response-cache.js';
import type { AsOfServed } from './as-of-read.js';
import type { Piece } from './cache-fill.js';
import type { ConformanceStage } from './conformance-stage.js';
import type { EngineBuckets, EngineResamplePlan } from './engine-resample.js';
import type { FetchRequest, NormalisedRequest } from './fetch-request.js';
import type { LivePart, LiveReader } from './live-step.js';
import type { ReadMetadata, SourceRowCounts } from './read-metadata.js';
import type { ReadTrace } from './read-trace.js';
import type { SlaRead, SlaStage, SlaVerdict } from './sla-stage.js';

export interface DataProviderDeps {
  readonly store: BarStore;
  readonly catalog: DatasetCatalog;
  readonly coordinator: BackfillCoordinator;
  readonly cache: ResponseCache | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: SeamlessMetrics;
  readonly maxBars: number;
  /** Admission control (`limits.maxInflightReadBars`, read-admission.ts); absent: DEFAULT_MAX_INFLIGHT_READ_BARS. */
  readonly maxInflightReadBars?: number;
  readonly syncBudgetMs: number;
  /** seamless.domain.asOfRegression: a live/shadow read whose asOf went back is held (default) or refused. */
  readonly asOfRegression?: AsOfRegressionPolicy;
  /** `seamless.backfill.suspended`: reads start no backfill and answer from storage, downgraded. */
  readonly backfillSuspended?: boolean;
  /** Step 7; absent when the conformance pipeline is switched off. */
  readonly conformance?: ConformanceStage;
  /** Spans of every read; absent or disabled: no tracing cost. */
  readonly tracing?: Tracing;
  /** Step 8: SLA policies; absent when none are configured. */
  readonly sla?: SlaStage;
  /** Step 6: the live hub of datasets with a live feed; absent when none is configured. */
  readonly live?: LiveReader;
  /** Longest wait for the newest closed live bar when no SLA `live` budget bounds it (`live.waitMs`, default 2000 ms). */
  readonly liveWaitMs?: number;
}

/** One read's state. Fields are written by the step named beside them and read by later ones. */
export interface ReadContext {
  // validate (1)
  readonly input: FetchRequest;
  readonly req: NormalisedRequest;
  readonly resolved: ResolvedDataset;
  readonly trace: ReadTrace;
  /** performance.now() when the read began (for `elapsedMs`). */
  readonly t0: number;
  /** The clock's now, read once: every step judges "closed" and "future" against it. */
  readonly now: number;
  /** The part of the aligned range that can hold closed bars now. */
  readonly closed: TimeRange;
  /** The response cache key: dataset, world, asOf and the conformance version. */
  readonly cacheKey: string;
  /** Set on an as-of read: the versions storage answered from (as-of-read.ts), filled by the storage reads. */
  readonly asOfServed: AsOfServed | undefined;
  // domain gate (2)
  /** Set when the domain's rules hold the answer (not to be traded on): the downgrade reason. */
  domainHold: string | null;
  // orchestrator: the SLA clock of the dataset's policy
  sla: SlaRead | undefined;
  // live (6, run before the cache: live wins, so the cache and storage are asked only for the rest)
  livePart: LivePart | undefined;
  // cache (3)
  cachePieces: readonly CachePiece[];
  cacheHit: boolean;
  /** The cache's epoch before storage was read (response-cache.ts `insert(…, since)`). */
  cacheEpoch: number | undefined;
  // every source: the parts of the answer and their row counts
  readonly pieces: Piece[];
  readonly counts: SourceRowCounts;
  /** Parts of `closed` that neither live nor the cache answered. */
  remaining: readonly TimeRange[];
  // coverage (4), re-read once by the strategy after a backfill it waited for
  /** The dataset's coverage over `closed`; undefined until a step needed it. */
  coverage: readonly CoverageRange[] | undefined;
  /** Closed calendar time of `remaining` that storage has not recorded yet (calendar-coverage.ts). */
  unrecordedClosed: readonly TimeRange[];
  missing: readonly TimeRange[];
  // strategy (5)
  syncGapBars: number;
  backfilled: readonly TimeRange[];
  upstreamGaps: readonly TimeRange[];
  job: ReadMetadata['backfill'];
  downgradeReason: string | null;
  // assembled frame (empty until assembly), then the answer after conformance (7)
  frame: Frame;
  answer: Frame;
  conformance: ReadMetadata['conformance'];
  // SLA (8)
  coverageRatio: number;
  stalenessMs: number | null;
  verdict: SlaVerdict | undefined;
  downgrade: { readonly mode: 'partial' | 'hold'; readonly reason: string } | null;
  // orchestrator: a derived read's buckets, for a resample inside the engine (engine-resample.ts)
  engineResample: EngineResamplePlan | undefined;
  /** Set by the storage read when the engine answered the buckets: no base frame then (`frame` stays empty). */
  engineBuckets: EngineBuckets | undefined;
}

/** One step of the read pipeline. */
export type ReadStep = (ctx: ReadContext, deps: DataProviderDeps) => void | Promise<void>;

/**
 * A wait that an SLA deadline cut short gives `undefined` (the read goes on with what it has and
 * the policy decides at the end); anything else — the client leaving, a failure — is rethrown.
 */
export function slaCut(error: unknown, sla: SlaRead | undefined): undefined {
  if (error instanceof AbortedError && error.reason instanceof SeamlessSLAExceeded) {
    sla?.failFast(error.reason);
    return undefined;
  }
  throw error;
}
