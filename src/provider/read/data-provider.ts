/**
 * SeamlessDataProvider.fetch: the read path of ARCHITECTURE.md §3 as a pipeline. Each step is
 * one module and a function of the read's context (read-context.ts); this file only runs them
 * in order, inside the `seamless.pipeline` span, between admission control and the SLA clock.
 *
 *   1 validate        validate-step.ts    normalise, resolve the dataset, build the context
 *   2 domain gate     domain-gate.ts      asOf, future ranges, backtest/dryrun and live/shadow rules
 *     admission       read-admission.ts   refuse at once when large reads fill the allowance
 *   6 live            live-step.ts        the newest bars from the live buffer (live wins, so first)
 *   3 cache           cache-fill.ts       cached complete stretches of the rest
 *   4 coverage        coverage-step.ts    coverage read once; the missing ranges on the grid
 *   5 strategy        strategy-runner.ts  backfill per strategy (coverage re-read once after it), storage reads
 *     assemble        cache-fill.ts       pieces joined; complete parts cached
 *   7 conformance     conformance-stage.ts
 *   8 SLA             sla-stage.ts        ratio, staleness, verdict, downgrade, recovery watch
 *   9 metadata        read-metadata.ts    fingerprint, metadata, counters
 *     resample, fill  resample-read.ts    around the steps: a derived interval reads its base bars here, then resamples; fill modes
 *     as of           as-of-read.ts       an asOf read runs the steps on storage as known then (no live, no cache, no backfill)
 */
import { barCount } from '../../core/index.js';
import { CONFORMANCE_VERSION } from '../../conformance/index.js';
import { DEFAULT_MAX_INFLIGHT_READ_BARS } from '../../config/index.js';
import { asOfDeps } from './as-of-read.js';
import { assembleStep, cacheStep } from './cache-fill.js';
import { conformanceStep } from './conformance-stage.js';
import { coverageStep } from './coverage-step.js';
import { createDomainGate } from './domain-gate.js';
import type { FetchRequest } from './fetch-request.js';
import { liveStep } from './live-step.js';
import { createReadAdmission } from './read-admission.js';
import type { DataProviderDeps, ReadStep } from './read-context.js';
import { createMetadataStep } from './read-metadata.js';
import type { FetchResult } from './read-metadata.js';
import { startReadTrace } from './read-trace.js';
import { derivedRead, fillStep, planRead } from './resample-read.js';
import type { PipelineOptions } from './resample-read.js';
import { slaStep } from './sla-stage.js';
import { strategyStep } from './strategy-runner.js';
import { validateRead } from './validate-step.js';
import { readUniverse } from '../universe/universe-reader.js';
import type { UniverseRequest, UniverseResult } from '../universe/universe-request.js';

export type { DataProviderDeps } from './read-context.js';
export type { FetchResult } from './read-metadata.js';

/** The conformance version in every response cache key (src/conformance/conformance-version.ts). */
export { CONFORMANCE_VERSION };

/** The steps between admission and metadata, in the order they run. */
export const READ_STEPS: readonly ReadStep[] = [liveStep, cacheStep, coverageStep, strategyStep, assembleStep, conformanceStep, slaStep];

export interface DataProvider {
  fetch(request: FetchRequest): Promise<FetchResult>;
  /** A universe read: many datasets over one interval and range in one answer (universe/universe-reader.ts). */
  fetchUniverse(request: UniverseRequest): Promise<UniverseResult>;
}

export function createDataProvider(deps: DataProviderDeps): DataProvider {
  const { metrics } = deps;
  const admission = createReadAdmission(deps.maxInflightReadBars ?? DEFAULT_MAX_INFLIGHT_READ_BARS, metrics);
  const domainGate = createDomainGate({ asOfRegression: deps.asOfRegression ?? 'hold', metrics, logger: deps.logger });
  const metadataStep = createMetadataStep(metrics);

  /**
   * One read of one dataset at one stored interval through the pipeline, with `stepDeps` (a
   * universe read passes its prefetched store and admits once for all). `finish`
   * (resample-read.ts) turns its answer into the caller's inside the same span, admission and SLA
   * window; the answer is not fingerprinted when `finish` replaces it; a derived read is judged
   * by the SLA policy of the interval asked for (`slaIntervalMs`), not the base's.
   */
  async function run(request: FetchRequest, stepDeps: DataProviderDeps, admit: boolean, options: PipelineOptions = {}): Promise<FetchResult> {
    const { finish, fingerprinted = finish === undefined } = options;
    const trace = startReadTrace(deps.tracing, request?.traceContext, {});
    try {
      const ctx = await validateRead(request, trace, stepDeps);
      await domainGate(ctx, stepDeps);
      // As of a time: storage as known then (the instance's own store: a universe's prefetch holds the newest rows).
      const readDeps = ctx.asOfServed === undefined || ctx.req.asOf === undefined ? stepDeps : asOfDeps(stepDeps, deps.store, ctx.req.asOf, ctx.asOfServed);
      // Admission control: refused (503, Retry-After) before any work when large reads fill the allowance.
      const release = admit ? admission.admit(barCount(ctx.req.aligned, ctx.req.intervalMs)) : noRelease;
      ctx.engineResample = options.engineResample;
      ctx.sla = deps.sla?.start(ctx.req.nodeId, options.slaIntervalMs ?? ctx.req.intervalMs, request.signal, trace);
      let result: FetchResult;
      try {
        for (const step of READ_STEPS) await step(ctx, readDeps);
        result = await metadataStep(ctx, fingerprinted);
        if (finish) result = await finish(result, trace, ctx.cacheEpoch, ctx.engineBuckets);
      } finally {
        ctx.sla?.dispose();
        release();
      }
      trace.end();
      return result;
    } catch (error) {
      trace.end(error);
      metrics.fetchDuration.observe({ strategy: request?.strategy ?? 'seamless', outcome: 'error' }, 0);
      throw error;
    }
  }

  /** Derived intervals read their base bars through the pipeline, then resample; fill modes (resample-read.ts). */
  function read(request: FetchRequest, stepDeps: DataProviderDeps, admit: boolean): Promise<FetchResult> {
    const pipeline = (r: FetchRequest, options?: PipelineOptions): Promise<FetchResult> => run(r, stepDeps, admit, options);
    const plan = planRead(request, deps.catalog);
    // An as-of answer is never cached (as-of-read.ts), derived or not.
    const cache = request.context?.asOf === undefined ? deps.cache : undefined;
    if (plan.derived) return derivedRead(request, { ...plan, derived: plan.derived }, pipeline, cache, deps.maxBars);
    return plan.fill === 'none' ? pipeline(request) : pipeline(request, { finish: fillStep(plan.fill), fingerprinted: true });
  }

  return {
    fetch: (request) => read(request, deps, true),
    fetchUniverse: (request) => readUniverse(request, deps, { admit: (bars) => admission.admit(bars), run: (r, d) => read(r, d, false) }),
  };
}

const noRelease = (): void => undefined;
