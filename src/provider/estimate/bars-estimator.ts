/**
 * `createBarsEstimator`: the pre-flight estimate of a read (GET /v1/bars/estimate), answered
 * before any data moves: the request is validated as the read validates it (fetch-request.ts: the
 * same 400s naming the field), the dataset resolved (`not_found` naming `node`), then one coverage
 * read over the shards the range touches and, for the JSON/CSV byte figures, one read of at most
 * `SAMPLE_ROWS` stored bars. No backfill is submitted, nothing is written, the response cache is
 * not touched. The figures follow the read path and the coordinator (backfill-plan.ts), the
 * encoders (byte-estimate.ts) and the upstream budget (time-estimate.ts).
 */
import { InvalidRequestError, alignDown, barCount, bucketEdges, edgesOnGrid, formatInterval, intersectRanges } from '../../core/index.js';
import type { Clock, Frame, TimeRange } from '../../core/index.js';
import type { BarStore, CoverageRange } from '../../storage/index.js';
import type { DatasetCatalog, ResolvedDataset } from '../dataset-catalog.js';
import { UnknownDatasetError } from '../errors.js';
import { derivedFrom } from '../derived-interval.js';
import { planRead } from '../read/resample-read.js';
import { normaliseRequest } from '../read/fetch-request.js';
import { ALWAYS_OPEN, countCoverage, coveredRanges, planShards, shardSpan } from './backfill-plan.js';
import { estimateBytes } from './byte-estimate.js';
import type { BarsEstimate, EstimateCalendar, EstimateRequest, SourcePlan } from './estimate-types.js';
import { estimateBackfillTime } from './time-estimate.js';

/** Stored bars read (at most) to measure the JSON and CSV bytes of a row. */
export const SAMPLE_ROWS = 256;

const SUSPENDED = 'backfill is suspended (seamless.backfill.suspended): the read answers from storage and backfills nothing';

export interface BarsEstimatorDeps {
  readonly store: Pick<BarStore, 'coverage' | 'read'>;
  readonly catalog: Pick<DatasetCatalog, 'resolve'> & Partial<Pick<DatasetCatalog, 'baseInterval'>>;
  readonly clock: Clock;
  /** `limits.maxBars`: a range the read would refuse is refused here too. */
  readonly maxBars: number;
  /** Bars per aligned shard of an interval (the coordinator's shard size policy). */
  readonly barsPerShard: (intervalMs: number) => number;
  /** Shards fetched at once (backfill workers). */
  readonly lanes: number;
  /** What is known of the dataset's upstream (page size, budget, latency); undefined without one. */
  readonly sourcePlan: (resolved: ResolvedDataset) => Promise<SourcePlan | undefined>;
  /** `seamless.backfill.suspended`: reads backfill nothing, so the estimate plans no backfill. */
  readonly backfillSuspended?: boolean;
  /** The dataset's calendar; default 24/7 (ALWAYS_OPEN). */
  readonly calendar?: (resolved: ResolvedDataset) => EstimateCalendar;
}

export interface BarsEstimator {
  estimate(request: EstimateRequest): Promise<BarsEstimate>;
}

export function createBarsEstimator(deps: BarsEstimatorDeps): BarsEstimator {
  return {
    async estimate(request) {
      const asked = normaliseRequest({ nodeId: request.nodeId, interval: request.interval, start: request.start, end: request.end }, deps.maxBars);
      // A derived interval (the read's own checks of interval, align and fill, resample-read.ts): what is
      // stored, backfilled and requested are its base bars over whole buckets.
      const { baseInterval } = deps.catalog;
      const derived = baseInterval === undefined ? undefined : planRead({ ...request, interval: asked.intervalMs }, { baseInterval }).derived;
      if (derived === undefined && !await deps.catalog.resolve(asked.nodeId, asked.intervalMs)) throw new UnknownDatasetError(asked.nodeId, asked.intervalMs);
      const edges = derived === undefined ? undefined : bucketEdges(asked.requested, derived.intervalMs, derived.align);
      if (derived?.align !== undefined && edges !== undefined && !edgesOnGrid(edges, derived.baseMs)) {
        throw new InvalidRequestError('align', `local midnights of ${derived.align} are not on the ${formatInterval(derived.baseMs)} grid of the base bars`, { value: derived.align });
      }
      const req = derived === undefined || edges === undefined
        ? asked
        : normaliseRequest({ nodeId: asked.nodeId, interval: derived.baseMs, start: edges[0], end: edges[edges.length - 1] }, deps.maxBars);
      const resolved = await deps.catalog.resolve(req.nodeId, req.intervalMs);
      if (!resolved) throw new UnknownDatasetError(req.nodeId, req.intervalMs);
      const { intervalMs, aligned } = req;
      const calendar = deps.calendar?.(resolved) ?? ALWAYS_OPEN;
      const historyEnd = alignDown(deps.clock.now(), intervalMs);
      // Only closed bars exist: a bar [t, t+I) exists once t+I <= now (validate-step.ts).
      const closed = { start: aligned.start, end: Math.max(aligned.start, Math.min(aligned.end, historyEnd)) };
      const barsPerShard = deps.barsPerShard(intervalMs);
      const coverage = closed.end > closed.start ? await deps.store.coverage(resolved.dataset, shardSpan(closed, intervalMs, barsPerShard)) : [];
      const counts = countCoverage(coverage, closed, intervalMs, calendar);
      const backfills = resolved.source !== undefined && deps.backfillSuspended !== true;
      const plan = backfills ? await deps.sourcePlan(resolved) : undefined;
      const shards = backfills
        ? planShards(counts.missingRanges, coveredRanges(coverage), intervalMs, barsPerShard, historyEnd, plan?.barsPerRequest)
        : { shards: 0, bars: 0, requests: 0 };
      const time = deps.backfillSuspended === true && counts.missing > 0
        ? { expectedMs: null, basis: SUSPENDED }
        : estimateBackfillTime(shards.requests, shards.shards, plan, deps.lanes);
      const rows = counts.stored + (backfills ? counts.missing : 0);
      const sample = await sampleRows(deps.store, resolved, coverage, closed);
      const base: BarsEstimate = {
        node: req.nodeId,
        interval: formatInterval(intervalMs),
        intervalMs,
        requestedRange: req.requested,
        alignedRange: aligned,
        closedRange: closed,
        calendar: { name: calendar.name, basis: calendar === ALWAYS_OPEN ? 'default: every bar of the grid exists (24/7)' : `the dataset's calendar ${calendar.name}` },
        bars: {
          inRange: counts.inRange, stored: counts.stored, knownEmpty: counts.knownEmpty, missing: counts.missing,
          notClosed: barCount(aligned, intervalMs) - barCount(closed, intervalMs),
        },
        backfill: {
          source: resolved.sourceName ?? null,
          shards: shards.shards,
          barsPerShard,
          bars: shards.bars,
          requests: shards.requests,
          requestsBasis: deps.backfillSuspended === true
            ? SUSPENDED
            : plan === undefined
            ? 'no upstream source: missing bars stay missing'
            : plan.barsPerRequest === undefined
              ? `${plan.name}: one request per missing range of a shard (${plan.barsPerRequestBasis})`
              : `${plan.name}: pages of at most ${plan.barsPerRequest} bars per missing range of a shard (${plan.barsPerRequestBasis}); an upper bound, a short page ends a range early`,
          expectedMs: time.expectedMs,
          timeBasis: time.basis,
        },
        rows,
        bytes: estimateBytes(resolved.schema, rows, sample),
      };
      if (derived === undefined || edges === undefined) return base;
      // Bars in range, not closed and the answer's rows are derived bars; the rest stays in base bars.
      const buckets = edges.length - 1;
      let inRange = 0;
      while (inRange < buckets && edges[inRange + 1] <= closed.end) inRange++;
      const derivedRows = Math.min(inRange, Math.ceil(rows / (derived.intervalMs / derived.baseMs)));
      return {
        ...base,
        interval: formatInterval(derived.intervalMs),
        intervalMs: derived.intervalMs,
        requestedRange: asked.requested,
        derivedFrom: derivedFrom(derived),
        bars: { ...base.bars, inRange, notClosed: buckets - inRange },
        base: base.bars,
        rows: derivedRows,
        bytes: estimateBytes(resolved.schema, derivedRows, sample),
      };
    },
  };
}

/**
 * Up to SAMPLE_ROWS stored bars of the dataset: the newest of the first stored range inside the
 * closed range, else of the first stored range of the coverage read. Undefined when none is stored.
 */
async function sampleRows(store: Pick<BarStore, 'read'>, resolved: ResolvedDataset, coverage: readonly CoverageRange[], closed: TimeRange): Promise<Frame | undefined> {
  const stored: TimeRange[] = [];
  for (const c of coverage) if (c.state === 'stored') stored.push(c);
  const pick = intersectRanges(stored, [closed])[0] ?? stored[0];
  if (pick === undefined) return undefined;
  const { intervalMs } = resolved.dataset;
  const start = Math.max(pick.start, pick.end - SAMPLE_ROWS * intervalMs);
  return store.read(resolved.dataset, resolved.schema, { start, end: pick.end });
}
