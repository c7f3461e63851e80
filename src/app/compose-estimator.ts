/**
 * The pre-flight estimator of an instance (`GET /v1/bars/estimate`, `seamless fetch --estimate`),
 * given what only the composition root knows: the shard size policy of `seamless.backfill` (the
 * same rule compose-backfill.ts hands the coordinator), how many shards run at once, and per
 * source its page size (BarSource `pageSize`), its upstream budget (the budgets of this process)
 * and its latency: configured for the synthetic source, else the mean measured by
 * `seamless_upstream_latency_seconds` in this process.
 */
import { parseInterval } from '../core/index.js';
import type { Clock } from '../core/index.js';
import { createShardSizer } from '../backfill/index.js';
import type { SeamlessConfig } from '../config/index.js';
import type { SeamlessMetrics } from '../observability/index.js';
import { createBarsEstimator } from '../provider/index.js';
import type { BarsEstimator, DatasetCatalog, ResolvedDataset, SourcePlan } from '../provider/index.js';
import type { UpstreamBudgets } from '../sources/index.js';
import type { BarStore } from '../storage/index.js';

export interface EstimatorParts {
  readonly store: BarStore;
  readonly catalog: DatasetCatalog;
  readonly upstreams: UpstreamBudgets;
  readonly metrics: SeamlessMetrics;
  readonly clock: Clock;
}

export function composeEstimator(config: SeamlessConfig, parts: EstimatorParts): BarsEstimator {
  const bf = config.seamless.backfill;
  const byInterval = new Map<number, number>();
  for (const [name, bars] of Object.entries(bf.barsPerShardByInterval)) byInterval.set(parseInterval(name, 'seamless.backfill.barsPerShardByInterval'), bars);
  const barsPerShard = createShardSizer({ ...(bf.barsPerShard !== undefined ? { barsPerShard: bf.barsPerShard } : {}), byInterval });
  // Remote `seamless worker`s (localWorkers 0) are counted as `concurrency`: their number is not known here.
  const lanes = bf.localWorkers !== undefined && bf.localWorkers > 0 ? bf.localWorkers : bf.concurrency;
  return createBarsEstimator({
    store: parts.store, catalog: parts.catalog, clock: parts.clock, maxBars: config.limits.maxBars, barsPerShard, lanes, backfillSuspended: bf.suspended,
    sourcePlan: (resolved) => sourcePlan(config, parts, resolved),
  });
}

async function sourcePlan(config: SeamlessConfig, parts: EstimatorParts, resolved: ResolvedDataset): Promise<SourcePlan | undefined> {
  const { source, sourceName } = resolved;
  if (source === undefined || sourceName === undefined) return undefined;
  const page = source.pageSize?.(resolved.dataset.nodeId);
  const configured = config.sources[sourceName] as SeamlessConfig['sources'][string] | undefined;
  const budget = parts.upstreams.list().find((b) => b.upstream === source.name);
  const snapshot = budget === undefined ? undefined : await budget.snapshot();
  const latency = configured?.kind === 'synthetic' ? configuredLatency(configured.latencyMs) : await measuredLatency(parts.metrics, source.name);
  return {
    name: source.name,
    barsPerRequest: page?.bars,
    barsPerRequestBasis: page === undefined ? 'the source answers a range in one call' : `${page.basis} (sources.${sourceName})`,
    ...(snapshot !== undefined ? {
      budget: {
        upstream: snapshot.upstream, rate: { requestsPerSecond: snapshot.requestsPerSecond, burst: snapshot.burst },
        authority: snapshot.authority, nextPermitInMs: Math.max(snapshot.nextPermitInMs, snapshot.pausedForMs),
      },
    } : {}),
    ...(latency !== undefined ? { latency } : {}),
  };
}

function configuredLatency(latencyMs: number | { readonly min: number; readonly max: number }): SourcePlan['latency'] {
  const ms = typeof latencyMs === 'number' ? latencyMs : (latencyMs.min + latencyMs.max) / 2;
  return { ms, basis: 'configured' };
}

/** The mean of this process's requests to `upstream` (seamless_upstream_latency_seconds), if it made any. */
async function measuredLatency(metrics: SeamlessMetrics, upstream: string): Promise<SourcePlan['latency']> {
  const { values } = await metrics.upstreamLatency.get();
  let sum = 0;
  let count = 0;
  for (const v of values) {
    if (v.labels.upstream !== upstream) continue;
    if (v.metricName === 'seamless_upstream_latency_seconds_sum') sum = v.value;
    else if (v.metricName === 'seamless_upstream_latency_seconds_count') count = v.value;
  }
  return count > 0 ? { ms: (sum / count) * 1000, basis: 'measured', samples: count } : undefined;
}
