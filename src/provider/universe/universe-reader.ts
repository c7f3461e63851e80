/**
 * A universe read: many datasets over one interval and range, one answer in long format.
 *
 *   1 check       the node list (universe-request.ts), then interval, range, strategy and context
 *                 once for all (a single read's rules), the total size, and admission once for all
 *   2 resolve     every dataset; unknown ones, and ones of another frame schema than the first, fail
 *                 on their own (their metadata holds the error)
 *   3 prefetch    the coverage of every dataset in one storage call, then their rows in one query
 *                 (BarStore.coverageMany, readMany), skipping datasets the response cache answers
 *   4 pipelines   each dataset through the single read's steps (cache, coverage, strategy, live,
 *                 conformance, SLA, metadata) over the prefetched store (prefetched-store.ts);
 *                 datasets missing bars start first and all together, so their backfills are
 *                 submitted to the coordinator together (they share the upstream budget) and
 *                 awaited together; the others run a few at a time (CPU work: conformance, fingerprints)
 *   5 answer      the answers joined, dataset after dataset (a view of the prefetched columns when
 *                 the answers are adjacent slices of them, else one copy: universe-columns.ts), the node
 *                 column as spans over the node dictionary, metadata per dataset; a failed
 *                 dataset fails the read only with `allOrNothing`
 */
import { InternalError, InvalidRequestError, OHLCV_SCHEMA, alignDown, barCount, createUniverseFrame, formatInterval, toSeamlessError } from '../../core/index.js';
import type { ErrorBody, Frame, FrameSchema, SeamlessError, TimeRange } from '../../core/index.js';
import { CONFORMANCE_VERSION } from '../../conformance/index.js';
import type { DatasetKey, CoverageRange } from '../../storage/index.js';
import type { ResolvedDataset } from '../dataset-catalog.js';
import { UniverseReadFailedError, UnknownDatasetError } from '../errors.js';
import { cacheKey } from '../response-cache.js';
import { missingIn } from '../read/coverage-step.js';
import { normaliseRequest } from '../read/fetch-request.js';
import type { FetchRequest, NormalisedRequest } from '../read/fetch-request.js';
import type { DataProviderDeps } from '../read/read-context.js';
import { checkFillAndAlign } from '../read/resample-read.js';
import type { FetchResult } from '../read/read-metadata.js';
import { prefetchedStore } from './prefetched-store.js';
import { joinUniverseFrames } from './universe-columns.js';
import { MAX_UNIVERSE_BARS, validateUniverseNodes } from './universe-request.js';
import type { DatasetOutcome, UniverseRequest, UniverseResult } from './universe-request.js';

/** Pipelines of fully stored datasets run this many at a time (their work is CPU: conformance, fingerprints). */
const CONCURRENT_PIPELINES = 8;

export interface UniverseRunner {
  /** Admission control for the whole read (its total bars); returns the release. */
  admit(bars: number): () => void;
  /** One dataset through the read pipeline with `deps` (no admission of its own). */
  run(request: FetchRequest, deps: DataProviderDeps): Promise<FetchResult>;
}

type Outcome = FetchResult | SeamlessError;

export async function readUniverse(request: UniverseRequest, deps: DataProviderDeps, runner: UniverseRunner): Promise<UniverseResult> {
  const nodes = validateUniverseNodes(request?.nodes);
  const req = normaliseRequest({ ...request, nodeId: nodes[0] }, deps.maxBars);
  checkFillAndAlign(request, req.intervalMs);
  const bars = barCount(req.aligned, req.intervalMs);
  if (bars * nodes.length > MAX_UNIVERSE_BARS) {
    throw new InvalidRequestError('nodes', `${nodes.length} datasets × ${bars} bars is ${bars * nodes.length} bars, more than the maximum of ${MAX_UNIVERSE_BARS} for one universe read; narrow the range or split the nodes`, { bars: bars * nodes.length, maxBars: MAX_UNIVERSE_BARS });
  }
  const release = runner.admit(bars * nodes.length);
  try {
    const outcomes: (Outcome | undefined)[] = new Array<Outcome | undefined>(nodes.length).fill(undefined);
    const resolved = await resolveAll(nodes, req, deps, outcomes);
    const schema = firstSchema(resolved);
    const { stepDeps, missingFirst } = await prefetch(nodes, resolved, schema, req, deps, outcomes);
    await runPipelines(nodes, request, stepDeps, runner, outcomes, missingFirst);
    // No dataset resolved: the (empty) answer has the default frame schema.
    return answer(nodes, outcomes, schema ?? OHLCV_SCHEMA, req, request.allOrNothing === true, deps);
  } finally {
    release();
  }
}

/** Each node's dataset; unknown ones and ones of another schema get their error in `outcomes`. */
async function resolveAll(nodes: readonly string[], req: NormalisedRequest, deps: DataProviderDeps, outcomes: (Outcome | undefined)[]): Promise<(ResolvedDataset | undefined)[]> {
  const out: (ResolvedDataset | undefined)[] = [];
  let schema: FrameSchema | undefined;
  for (let i = 0; i < nodes.length; i++) {
    const r = await deps.catalog.resolve(nodes[i], req.intervalMs);
    if (r === undefined) {
      outcomes[i] = new UnknownDatasetError(nodes[i], req.intervalMs);
    } else if (schema !== undefined && r.schema !== schema) {
      outcomes[i] = new InvalidRequestError(`nodes[${i}]`, `dataset ${nodes[i]} holds ${r.schema.name} bars, but this answer holds ${schema.name} bars (the schema of its first dataset); read it in a universe of its own schema`, { node: nodes[i], schema: r.schema.name, universeSchema: schema.name });
    }
    schema ??= r?.schema;
    out.push(outcomes[i] === undefined ? r : undefined);
  }
  return out;
}

function firstSchema(resolved: readonly (ResolvedDataset | undefined)[]): FrameSchema | undefined {
  for (const r of resolved) if (r !== undefined) return r.schema;
  return undefined;
}

/**
 * The coverage and rows of every dataset the cache does not answer whole, in two storage calls;
 * the deps of the pipelines (the prefetched store) and the positions of datasets missing bars.
 */
async function prefetch(
  nodes: readonly string[], resolved: readonly (ResolvedDataset | undefined)[], schema: FrameSchema | undefined, req: NormalisedRequest,
  deps: DataProviderDeps, outcomes: readonly (Outcome | undefined)[],
): Promise<{ stepDeps: DataProviderDeps; missingFirst: Set<number> }> {
  const missingFirst = new Set<number>();
  const { store, cache } = deps;
  const closed = closedRange(req, deps.clock.now());
  if (schema === undefined || store.readMany === undefined || store.coverageMany === undefined || closed.end <= closed.start) return { stepDeps: deps, missingFirst };
  const keys: DatasetKey[] = [];
  const positions: number[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const r = resolved[i];
    if (r === undefined || outcomes[i] !== undefined) continue;
    // A dataset the response cache answers whole needs nothing from storage.
    if (cache !== undefined && cache.lookup(cacheKey(nodes[i], req.intervalMs, req.worldId, req.asOf, CONFORMANCE_VERSION), closed).remaining.length === 0) continue;
    keys.push(r.dataset);
    positions.push(i);
  }
  if (keys.length === 0) return { stepDeps: deps, missingFirst };
  const coverage = await store.coverageMany(keys, closed);
  const rows = await store.readMany(keys, schema, closed);
  for (let k = 0; k < keys.length; k++) if (hasMissing(coverage[k], closed, req.intervalMs)) missingFirst.add(positions[k]);
  return { stepDeps: { ...deps, store: prefetchedStore(store, keys, closed, coverage, rows, schema) }, missingFirst };
}

function closedRange(req: NormalisedRequest, now: number): TimeRange {
  return { start: req.aligned.start, end: Math.max(req.aligned.start, Math.min(req.aligned.end, alignDown(now, req.intervalMs))) };
}

function hasMissing(coverage: readonly CoverageRange[], closed: TimeRange, intervalMs: number): boolean {
  return missingIn(coverage, closed, [closed], intervalMs).length > 0;
}

/** Datasets missing bars all at once (their backfills go to the coordinator together), the rest a few at a time. */
async function runPipelines(
  nodes: readonly string[], request: UniverseRequest, stepDeps: DataProviderDeps, runner: UniverseRunner,
  outcomes: (Outcome | undefined)[], missingFirst: ReadonlySet<number>,
): Promise<void> {
  const { nodes: _nodes, allOrNothing: _all, ...shared } = request;
  void _nodes;
  void _all;
  const runOne = async (i: number): Promise<void> => {
    outcomes[i] = await runner.run({ ...shared, nodeId: nodes[i] }, stepDeps).catch((error: unknown) => toSeamlessError(error));
  };
  const waiting: Promise<void>[] = [];
  for (const i of missingFirst) if (outcomes[i] === undefined) waiting.push(runOne(i));
  const queue: number[] = [];
  for (let i = 0; i < nodes.length; i++) if (outcomes[i] === undefined && !missingFirst.has(i)) queue.push(i);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < queue.length) await runOne(queue[next++]);
  };
  for (let w = 0; w < Math.min(CONCURRENT_PIPELINES, queue.length); w++) waiting.push(worker());
  await Promise.all(waiting);
}

function answer(
  nodes: readonly string[], outcomes: readonly (Outcome | undefined)[], schema: FrameSchema, req: NormalisedRequest, allOrNothing: boolean, deps: DataProviderDeps,
): UniverseResult {
  const failed: string[] = [];
  const entries: [string, DatasetOutcome][] = [];
  const frames: (Frame | undefined)[] = [];
  let firstError: SeamlessError | undefined;
  let total = 0;
  const { metrics } = deps;
  for (let i = 0; i < nodes.length; i++) {
    const o = outcomes[i] ?? new InternalError(`dataset ${nodes[i]} was not read`);
    if ('frame' in o) {
      frames.push(o.frame);
      total += o.frame.length;
      entries.push([nodes[i], o.metadata]);
      metrics.universeDatasets.inc({ outcome: 'ok', code: 'none' });
    } else {
      frames.push(undefined);
      failed.push(nodes[i]);
      firstError ??= o;
      const body: ErrorBody = o.toBody();
      entries.push([nodes[i], body]);
      metrics.universeDatasets.inc({ outcome: 'failed', code: o.code });
    }
  }
  if (firstError !== undefined && allOrNothing) {
    metrics.universeReads.inc({ outcome: 'failed' });
    throw new UniverseReadFailedError(firstError, failed[0], failed);
  }
  metrics.universeReads.inc({ outcome: failed.length === 0 ? 'ok' : 'partial' });
  const { frame, offsets } = joinUniverseFrames(schema, frames);
  return {
    universe: createUniverseFrame(frame, nodes, offsets),
    metadata: {
      interval: formatInterval(req.intervalMs),
      intervalMs: req.intervalMs,
      requestedRange: req.requested,
      rows: total,
      datasetCount: nodes.length,
      failed,
      // fromEntries defines own properties: a node id such as "__proto__" stays a plain key.
      datasets: Object.fromEntries(entries),
    },
  };
}
