/**
 * Step 1 of the read pipeline: validate and normalise the request (fetch-request.ts: bad input
 * is `invalid_request` naming the field), resolve its dataset (`not_found` naming `node`), read
 * the clock once, and build the read's context with every field set.
 */
import { performance } from 'node:perf_hooks';
import { alignDown, emptyFrame } from '../../core/index.js';
import { CONFORMANCE_VERSION } from '../../conformance/index.js';
import { UnknownDatasetError } from '../errors.js';
import { cacheKey } from '../response-cache.js';
import { newAsOfServed } from './as-of-read.js';
import { normaliseRequest } from './fetch-request.js';
import type { FetchRequest } from './fetch-request.js';
import type { DataProviderDeps, ReadContext } from './read-context.js';
import type { ReadTrace } from './read-trace.js';

export async function validateRead(input: FetchRequest, trace: ReadTrace, deps: DataProviderDeps): Promise<ReadContext> {
  const t0 = performance.now();
  const req = normaliseRequest(input, deps.maxBars);
  trace.set({ 'seamless.node_id': req.nodeId, 'seamless.interval_ms': req.intervalMs, 'seamless.start': req.aligned.start, 'seamless.end': req.aligned.end, 'seamless.strategy': req.strategy });
  const resolved = await deps.catalog.resolve(req.nodeId, req.intervalMs);
  if (!resolved) throw new UnknownDatasetError(req.nodeId, req.intervalMs);
  const now = deps.clock.now();
  // Only closed bars exist: a bar [t, t+I) exists once t+I <= now. (Live blending adds the rest.)
  const closedEnd = Math.max(req.aligned.start, Math.min(req.aligned.end, alignDown(now, req.intervalMs)));
  const closed = { start: req.aligned.start, end: closedEnd };
  const empty = emptyFrame(resolved.schema);
  return {
    input, req, resolved, trace, t0, now, closed,
    cacheKey: cacheKey(req.nodeId, req.intervalMs, req.worldId, req.asOf, CONFORMANCE_VERSION),
    asOfServed: req.asOf === undefined ? undefined : newAsOfServed(),
    domainHold: null,
    sla: undefined,
    livePart: undefined,
    cachePieces: [],
    cacheHit: false,
    cacheEpoch: undefined,
    pieces: [],
    counts: { cache: 0, storage: 0, backfill: 0, live: 0 },
    remaining: closed.end > closed.start ? [closed] : [],
    coverage: undefined,
    unrecordedClosed: [],
    missing: [],
    syncGapBars: 0,
    backfilled: [],
    upstreamGaps: [],
    job: null,
    downgradeReason: null,
    frame: empty,
    answer: empty,
    conformance: null,
    coverageRatio: 1,
    stalenessMs: null,
    verdict: undefined,
    downgrade: null,
    engineResample: undefined,
    engineBuckets: undefined,
  };
}
