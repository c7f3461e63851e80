/**
 * SeamlessDataProvider.fetch: the read path of ARCHITECTURE.md §3. Steps implemented here:
 * 1 validate, 3 response cache, 4 coverage, 5 strategy (backfill through the coordinator),
 * 9 fingerprint and metadata. The domain gate (2), live blending (6), conformance (7) and SLA
 * evaluation (8) plug in at the marked seams.
 */
import { performance } from 'node:perf_hooks';
import {
  AbortedError, SeamlessSLAExceeded, abortable, alignDown, concatFrames, normaliseRanges, fingerprintFrameAsync, formatInterval, intersectRanges, missingRanges,
  barCount, emptyFrame, subtractRanges,
} from '../core/index.js';
import type { Clock, Frame, TimeRange } from '../core/index.js';
import type { BackfillCoordinator } from '../backfill/index.js';
import { DEFAULT_LIVE_WAIT_MS, DEFAULT_MAX_INFLIGHT_READ_BARS } from '../config/index.js';
import type { Logger, SeamlessMetrics, Tracing } from '../observability/index.js';
import type { BarStore, CoverageRange } from '../storage/index.js';
import type { ConformanceStage } from './conformance-stage.js';
import type { DatasetCatalog } from './dataset-catalog.js';
import { startReadTrace } from './read-trace.js';
import type { ReadTrace } from './read-trace.js';
import { normaliseRequest } from './fetch-request.js';
import type { FetchRequest, NormalisedRequest } from './fetch-request.js';
import type { ResolvedDataset } from './dataset-catalog.js';
import type { SlaRead, SlaStage } from './sla-stage.js';
import { coverageBounds, failedRanges } from './read-metadata.js';
import type { ReadMetadata, SourceRowCounts } from './read-metadata.js';
import { clipPieces, memoFingerprint, rememberComplete, rowsIn } from './cache-fill.js';
import type { Piece } from './cache-fill.js';
import { cacheKey } from './response-cache.js';
import type { CachePiece, ResponseCache } from './response-cache.js';
import { runStrategy } from './strategy-runner.js';
import { readLive, withBuilding } from './live-step.js';
import type { LivePart, LiveReader } from './live-step.js';
import { UnknownDatasetError } from './errors.js';
import { createReadAdmission } from './read-admission.js';

/** Part of the cache key: bumped when the conformance pipeline's semantics change. */
export const CONFORMANCE_VERSION = 'none';

export interface FetchResult {
  readonly frame: Frame;
  readonly metadata: ReadMetadata;
}

export interface DataProvider {
  fetch(request: FetchRequest): Promise<FetchResult>;
}

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

export function createDataProvider(deps: DataProviderDeps): DataProvider {
  const { store, catalog, coordinator, cache, clock, metrics } = deps;
  const rowsFrom = {
    cache: metrics.rowsServed.labels({ source: 'cache' }),
    storage: metrics.rowsServed.labels({ source: 'storage' }),
    backfill: metrics.rowsServed.labels({ source: 'backfill' }),
    live: metrics.rowsServed.labels({ source: 'live' }),
  };
  const admission = createReadAdmission(deps.maxInflightReadBars ?? DEFAULT_MAX_INFLIGHT_READ_BARS, metrics);

  async function fetch(input: FetchRequest, trace: ReadTrace): Promise<FetchResult> {
    const t0 = performance.now();
    const req = normaliseRequest(input, deps.maxBars);
    trace.set({ 'seamless.node_id': req.nodeId, 'seamless.interval_ms': req.intervalMs, 'seamless.start': req.aligned.start, 'seamless.end': req.aligned.end, 'seamless.strategy': req.strategy });
    const resolved = await catalog.resolve(req.nodeId, req.intervalMs);
    if (!resolved) {
      throw new UnknownDatasetError(req.nodeId, req.intervalMs);
    }
    // Admission control: refused (503, Retry-After) before any work when large reads fill the allowance.
    const release = admission.admit(barCount(req.aligned, req.intervalMs));
    // Seam (step 2): the domain gate checks asOf/artifact rules here.
    const sla = deps.sla?.start(req.nodeId, req.intervalMs, input.signal, trace);
    try {
      return await assemble(input, req, resolved, sla, trace, t0);
    } finally {
      sla?.dispose();
      release();
    }
  }

  async function assemble(input: FetchRequest, req: NormalisedRequest, resolved: ResolvedDataset, sla: SlaRead | undefined, trace: ReadTrace, t0: number): Promise<FetchResult> {
    const { dataset, schema } = resolved;
    const now = clock.now();
    // Only closed bars exist: a bar [t, t+I) exists once t+I <= now. (Step 6, live blending, adds the rest.)
    const closedEnd = Math.max(req.aligned.start, Math.min(req.aligned.end, alignDown(now, req.intervalMs)));
    const closed = { start: req.aligned.start, end: closedEnd };
    const counts: SourceRowCounts = { cache: 0, storage: 0, backfill: 0, live: 0 };
    const pieces: Piece[] = [];
    let cachePieces: readonly CachePiece[] = [];
    let remaining: readonly TimeRange[] = closed.end > closed.start ? [closed] : [];
    const key = cacheKey(req.nodeId, req.intervalMs, req.worldId, req.asOf, CONFORMANCE_VERSION);
    // Step 6: the newest part from the live buffer (live wins: storage is not asked for it).
    let livePart: LivePart | undefined;
    const live = deps.live;
    if (live?.has(dataset)) {
      const livePhase = sla?.phase('live');
      livePart = await trace.step('seamless.live', async (span) => {
        const part = await readLive(live, {
          dataset, schema, aligned: req.aligned, closed, now, includeBuilding: req.includeBuilding,
          waitMs: deps.liveWaitMs ?? DEFAULT_LIVE_WAIT_MS, ...(livePhase ? { signal: livePhase.signal } : input.signal ? { signal: input.signal } : {}),
        }, () => performance.now()).finally(() => livePhase?.end());
        span?.setAttributes({
          'seamless.live.rows': part.rows, 'seamless.live.building': part.building !== undefined, 'seamless.live.connected': part.connected,
          'seamless.live.waited_ms': part.waitedMs, 'seamless.live.caught_up': part.caughtUp,
        });
        return part;
      });
      if (livePhase?.signal.aborted) sla?.failFast(livePhase.signal.reason);
      if (input.signal?.aborted) throw new AbortedError(input.signal.reason);
      for (const p of livePart.pieces) pieces.push(p);
      counts.live += livePart.rows;
      remaining = subtractRanges(remaining, livePart.covered);
    }

    if (cache && remaining.length > 0) {
      const hit = await trace.step('seamless.cache', (span) => {
        const found = cache.lookup(key, closed);
        span?.setAttributes({ 'seamless.cache.pieces': found.pieces.length, 'seamless.cache.remaining': found.remaining.length });
        return found;
      });
      // What live vouches for stays live's: cached stretches are clipped to what is left.
      cachePieces = livePart ? clipPieces(hit.pieces, livePart.covered) : hit.pieces;
      remaining = livePart ? subtractRanges(hit.remaining, livePart.covered) : hit.remaining;
      for (const p of cachePieces) {
        pieces.push(p);
        counts.cache += p.frame.length;
      }
    }
    const cacheHit = remaining.length === 0 && closed.end > closed.start && cachePieces.length > 0;
    if (cache) {
      if (cacheHit) cache.countHit();
      else cache.countMiss();
    }
    if (cacheHit) metrics.cacheHits.inc();
    else metrics.cacheMisses.inc();

    let missing: readonly TimeRange[] = [];
    let syncGapBars = 0;
    let coverage: CoverageRange[] = [];
    let job: ReadMetadata['backfill'] = null;
    let downgradeReason: string | null = null;
    let upstreamGaps: readonly TimeRange[] = [];
    if (remaining.length > 0) {
      const span = { start: remaining[0].start, end: remaining[remaining.length - 1].end };
      const coveragePhase = sla?.phase('storage');
      coverage = await trace.step('seamless.storage', () => abortable(store.coverage(dataset, span), coveragePhase?.signal), { 'seamless.storage.op': 'coverage' })
        .catch((error: unknown) => slaCut(error, sla))
        .finally(() => coveragePhase?.end()) ?? [];
      const covered: TimeRange[] = [];
      for (const c of coverage) if (c.state !== 'failed') covered.push(c);
      missing = intersectRanges(missingRanges(closed, covered, req.intervalMs), remaining);
      const missingNow = missing;
      if (req.strategy === 'auto_backfill' || req.strategy === 'seamless') for (const r of missingNow) syncGapBars += barCount(r, req.intervalMs);
      const backfillPhase = missingNow.length > 0 ? sla?.phase('backfill') : undefined;
      const outcome = missingNow.length === 0
        ? await runStrategy({ request: req, resolved, closed, remaining, missing, signal: input.signal }, { store, coordinator, syncBudgetMs: deps.syncBudgetMs, suspended: deps.backfillSuspended === true })
        : await trace.step('seamless.backfill', async (s) => {
          const o = await runStrategy({
            request: req, resolved, closed, remaining, missing: missingNow, signal: input.signal,
            ...(backfillPhase ? { deadline: backfillPhase.signal } : {}),
            ...(trace.traceparent ? { traceparent: trace.traceparent } : {}),
          }, { store, coordinator, syncBudgetMs: deps.syncBudgetMs, suspended: deps.backfillSuspended === true }).finally(() => backfillPhase?.end());
          if (backfillPhase?.signal.aborted) sla?.failFast(backfillPhase.signal.reason);
          if (s && o.job) {
            s.setAttributes({ 'seamless.backfill.job': o.job.id, 'seamless.backfill.shards': o.job.totalShards, 'seamless.backfill.completion_ratio': o.job.completionRatio, 'seamless.backfill.state': o.job.state });
            for (const shard of coordinator.shards(o.job.id) ?? []) {
              s.addEvent('shard', { key: shard.key, state: shard.state, attempts: shard.attempts, rows: shard.rowsWritten, joined: shard.joined });
            }
          }
          return o;
        }, { 'seamless.backfill.missing_ranges': missingNow.length });
      missing = outcome.missing;
      upstreamGaps = outcome.upstreamGaps;
      downgradeReason = outcome.downgradeReason;
      if (outcome.job) job = { jobId: outcome.job.id, completionRatio: outcome.job.completionRatio, state: outcome.job.state };
      // A backfill ran (or was joined): its writes or failures changed the coverage the metadata reports.
      if (outcome.job) coverage = await store.coverage(dataset, span);
      const readPhase = sla?.phase('storage');
      await trace.step('seamless.storage', async (s) => {
        for (const r of remaining) {
          const frame = await abortable(store.read(dataset, schema, r), readPhase?.signal).catch((error: unknown) => slaCut(error, sla));
          if (!frame) {
            // The storage budget ran out: what was not read is missing from this answer.
            missing = normaliseRanges([...missing, r]);
            continue;
          }
          pieces.push({ range: r, frame });
          const fromBackfill = rowsIn(frame, outcome.backfilled);
          counts.backfill += fromBackfill;
          counts.storage += frame.length - fromBackfill;
        }
        s?.setAttributes({ 'seamless.storage.rows': counts.storage + counts.backfill });
      }, { 'seamless.storage.op': 'read' }).finally(() => readPhase?.end());
    }

    pieces.sort((a, b) => a.range.start - b.range.start);
    const frame = pieces.length === 0 ? emptyFrame(schema) : concatFrames(schema, pieces.map((p) => p.frame));
    if (cache && remaining.length > 0) rememberComplete(cache, key, remaining, missing, pieces, closed, frame);
    // Seam (step 6): live blending runs here.
    // Step 7: conformance. Known-empty ranges are never gaps; coverage is an in-memory lookup.
    let answer = frame;
    let conformance: ReadMetadata['conformance'] = null;
    if (deps.conformance) {
      // `coverage` spans only what the cache and live did not answer: the known-empty ranges of
      // the rest of the answer (a cached stretch, a live part) need the coverage of all of `closed`.
      const spansClosed = remaining.length > 0 && remaining[0].start <= closed.start && remaining[remaining.length - 1].end >= closed.end;
      const ranges = spansClosed ? coverage : await store.coverage(dataset, closed);
      // Known-empty ranges are never gaps; nor are the ranges this answer reports as missing
      // (a partial answer says so in its metadata: that is coverage, not a defect of the bars).
      // Bars the upstream was asked for and answered without are gaps of the data, though.
      const knownEmpty: TimeRange[] = upstreamGaps.length === 0 ? [...missing] : subtractRanges(missing, upstreamGaps);
      for (const c of ranges) if (c.state === 'known_empty') knownEmpty.push(c);
      const stage = deps.conformance;
      const checked = await trace.step('seamless.conformance', async (s) => {
        const out = await stage({
          nodeId: req.nodeId, intervalMs: req.intervalMs, frameSchema: schema, subject: resolved.subject,
          frame, closed, knownEmpty, partialOk: req.partialOk,
        });
        s?.setAttributes({ 'seamless.conformance.flags': Object.keys(out.report.flags).join(','), 'seamless.conformance.report': out.report.uri ?? '' });
        return out;
      });
      answer = checked.frame;
      conformance = { flags: checked.report.flags, warnings: checked.report.warnings, reportUri: checked.report.uri };
    }
    const closedBars = barCount(closed, req.intervalMs);
    let missingBars = 0;
    for (const r of missing) missingBars += barCount(r, req.intervalMs);
    const coverageRatio = closedBars === 0 ? 1 : (closedBars - missingBars) / closedBars;
    const lastTs = answer.length > 0 ? answer.ts[answer.length - 1] : undefined;
    const stalenessMs = lastTs === undefined ? null : now - (lastTs + req.intervalMs);
    const datasetLabels = { node_id: req.nodeId, interval: formatInterval(req.intervalMs) };
    metrics.readCoverageRatio.set(datasetLabels, coverageRatio);
    if (stalenessMs !== null) metrics.readStaleness.set(datasetLabels, stalenessMs / 1000);
    // Step 8: SLA evaluation, on every read (cache hits included); an enforced `fail` throws here.
    const verdict = sla
      ? await trace.step('seamless.sla', (span) => sla.finish({
        stalenessMs: stalenessMs ?? Infinity,
        rangeReachesPresent: req.aligned.end >= alignDown(now, req.intervalMs),
        coverageRatio,
        syncGapBars,
      }, span))
      : undefined;
    const partial = missing.length > 0;
    let downgrade: { mode: 'partial' | 'hold'; reason: string } | null = partial && downgradeReason !== null ? { mode: 'partial', reason: downgradeReason } : null;
    if (verdict && (verdict.decision === 'partial' || verdict.decision === 'hold')) {
      downgrade = { mode: verdict.decision, reason: `sla_${verdict.violations[0].phase}` };
    }
    // The answer lacks part of its range while a backfill runs on: the policy bounds its recovery.
    if (sla && job && partial && job.state === 'running') {
      const jobId = job.jobId;
      sla.watchRecovery(jobId, (signal) => coordinator.wait(jobId, signal));
    }
    // A still-building bar (asked for) is the last row, after the checks of closed bars.
    if (livePart?.building) answer = withBuilding(schema, answer, livePart.building);
    const fingerprint = cacheHit && cachePieces.length === 1 && counts.live === 0 && answer === frame ? memoFingerprint(cachePieces[0], answer) : await fingerprintFrameAsync(answer);

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
      coverageRatio,
      stalenessMs,
      missingRanges: missing,
      failedRanges: failedRanges(coverage, closed),
      partial,
      conformance,
      fingerprint,
      asOf: req.asOf ?? null,
      worldId: req.worldId ?? null,
      downgraded: downgrade !== null,
      downgradeMode: downgrade?.mode ?? null,
      downgradeReason: downgrade?.reason ?? (partial ? downgradeReason : null),
      slaViolation: verdict && verdict.violations.length > 0
        ? { policy: verdict.policy, mode: verdict.mode, dryRun: verdict.dryRun, decision: verdict.decision, violations: verdict.violations }
        : null,
      backfill: job,
      cacheHit,
      building: livePart?.building ? { ts: livePart.building.ts[0] } : null,
      sources: counts,
      elapsedMs: performance.now() - t0,
    };
    if (counts.cache > 0) rowsFrom.cache.inc(counts.cache);
    if (counts.storage > 0) rowsFrom.storage.inc(counts.storage);
    if (counts.backfill > 0) rowsFrom.backfill.inc(counts.backfill);
    if (counts.live > 0) rowsFrom.live.inc(counts.live);
    metrics.fetchDuration.observe({ strategy: req.strategy, outcome: partial ? 'partial' : 'complete' }, metadata.elapsedMs / 1000);
    trace.set({
      'seamless.rows': answer.length, 'seamless.rows.cache': counts.cache, 'seamless.rows.storage': counts.storage,
      'seamless.rows.backfill': counts.backfill, 'seamless.rows.live': counts.live, 'seamless.cache_hit': cacheHit,
      'seamless.coverage_ratio': metadata.coverageRatio, 'seamless.partial': partial,
    });
    return { frame: answer, metadata };
  }

  return {
    async fetch(request) {
      const trace = startReadTrace(deps.tracing, request?.traceContext, {});
      try {
        const result = await fetch(request, trace);
        trace.end();
        return result;
      } catch (error) {
        trace.end(error);
        metrics.fetchDuration.observe({ strategy: request?.strategy ?? 'seamless', outcome: 'error' }, 0);
        throw error;
      }
    },
  };
}

/**
 * A wait that an SLA deadline cut short gives `undefined` (the read goes on with what it has and
 * the policy decides at the end); anything else — the client leaving, a failure — is rethrown.
 */
function slaCut(error: unknown, sla: SlaRead | undefined): undefined {
  if (error instanceof AbortedError && error.reason instanceof SeamlessSLAExceeded) {
    sla?.failFast(error.reason);
    return undefined;
  }
  throw error;
}

