/**
 * Builds the upstream sources named in the configuration (`sources:`), one BarSource each, and
 * the upstream request budgets the exchange sources share. Where a budget's state lives follows
 * the backfill topology that compose-backfill.ts sets up:
 * - `seamless.backfill.endpoint` a URL → the coordinator's permits API (this process lends that
 *   coordinator workers, so it spends the cluster's budget);
 * - else `seamless.backfill.store: etcd` → etcd, shared by every coordinator of the cluster
 *   (`seamless worker`s reach it through a coordinator's permits API): the budget store of the
 *   etcd engine, opened through its descriptor (open-etcd.ts) and handed in here;
 * - else memory: one process, whose workers share it.
 */
import { InternalError, InvalidRequestError, calendarByName } from '../core/index.js';
import type { Clock, ResourceStack } from '../core/index.js';
import { createRemotePermitAuthority } from '../backfill/index.js';
import type { SeamlessConfig } from '../config/index.js';
import type { SeamlessMetrics } from '../observability/index.js';
import {
  createCcxtSource, createMemoryBudgetStore, createStorePermitAuthority, createSyntheticSource, createUpstreamBudgets,
} from '../sources/index.js';
import type {
  BarSource, BudgetRate, ExchangeFailureReason, UpstreamBudgetStore, UpstreamBudgets, UpstreamMetrics,
} from '../sources/index.js';

export interface SourceDeps {
  /** The budgets of this process (composeUpstreamBudgets); default a memory one. */
  readonly upstreams?: UpstreamBudgets;
  /** Data time: which bars are closed. */
  readonly clock?: Clock;
  readonly metrics?: SeamlessMetrics;
}

/** Where the budgets' permits come from besides the configuration (see composeUpstreamBudgets). */
export interface BudgetOptions {
  /** Bearer key (scope `worker`) for permit requests to a coordinator. */
  readonly apiKey?: string;
  /** The etcd engine's budget store, when `seamless.backfill.store` is `etcd`. */
  readonly etcdBudgets?: UpstreamBudgetStore;
}

export async function composeSources(config: SeamlessConfig['sources'], deps: SourceDeps = {}): Promise<Map<string, BarSource>> {
  const upstreams = deps.upstreams ?? createUpstreamBudgets(createStorePermitAuthority(createMemoryBudgetStore()));
  const rates = exchangeRates(config);
  const sources = new Map<string, BarSource>();
  for (const [name, s] of Object.entries(config)) {
    switch (s.kind) {
      case 'synthetic':
        sources.set(name, createSyntheticSource({
          seed: s.seed, latencyMs: s.latencyMs, knownEmpty: s.knownEmpty, defects: s.defects,
          ...(s.basePrice !== undefined ? { basePrice: s.basePrice } : {}),
          ...(s.volatility !== undefined ? { volatility: s.volatility } : {}),
          ...(s.calendar !== undefined ? { calendar: calendarByName(s.calendar) } : {}),
        }));
        break;
      case 'ccxt':
        sources.set(name, await createCcxtSource({
          exchange: s.exchange, timeoutMs: s.timeoutMs, budgets: upstreams, field: `sources.${name}`,
          ...(s.urls !== undefined ? { urls: s.urls } : {}),
          ...(rates.has(s.exchange) ? { rateLimit: rates.get(s.exchange)?.rate } : {}),
          ...(s.pageLimit !== undefined ? { pageLimit: s.pageLimit } : {}),
          ...(s.options !== undefined ? { options: s.options } : {}),
          ...(deps.clock !== undefined ? { clock: deps.clock } : {}),
          ...(deps.metrics !== undefined ? { metrics: upstreamMetrics(deps.metrics, s.exchange) } : {}),
        }));
        break;
      default: {
        const never: never = s;
        return never;
      }
    }
  }
  return sources;
}

/**
 * The upstream budgets (composeUpstreamBudgets) registered on `resources` as they open, then the
 * sources that spend them: what a Seamless instance and a `seamless worker` both open.
 */
export async function openSources(
  config: SeamlessConfig['sources'],
  backfill: SeamlessConfig['seamless']['backfill'],
  options: BudgetOptions & Omit<SourceDeps, 'upstreams'>,
  resources: ResourceStack,
): Promise<{ readonly upstreams: UpstreamBudgets; readonly sources: Map<string, BarSource> }> {
  const { apiKey, etcdBudgets, ...deps } = options;
  const upstreams = resources.adopt(composeUpstreamBudgets(backfill, {
    ...(apiKey !== undefined ? { apiKey } : {}),
    ...(etcdBudgets !== undefined ? { etcdBudgets } : {}),
  }), (u) => u.close());
  return { upstreams, sources: await composeSources(config, { ...deps, upstreams }) };
}

/**
 * The configured budget of each exchange. Sources of one exchange share its budget, so their
 * `rateLimit`s must agree (one given is enough; the others take it).
 */
function exchangeRates(config: SeamlessConfig['sources']): Map<string, { readonly rate: BudgetRate; readonly source: string }> {
  const rates = new Map<string, { readonly rate: BudgetRate; readonly source: string }>();
  for (const [name, s] of Object.entries(config)) {
    if (s.kind !== 'ccxt' || s.rateLimit === undefined) continue;
    const known = rates.get(s.exchange);
    if (known === undefined) {
      rates.set(s.exchange, { rate: s.rateLimit, source: name });
    } else if (known.rate.requestsPerSecond !== s.rateLimit.requestsPerSecond || known.rate.burst !== s.rateLimit.burst) {
      throw new InvalidRequestError(`sources.${name}.rateLimit`, `differs from sources.${known.source}.rateLimit: sources of one exchange (${s.exchange}) share one budget`);
    }
  }
  return rates;
}

/**
 * The upstream budgets of this process for the backfill configuration `backfill` (see the header).
 */
export function composeUpstreamBudgets(backfill: SeamlessConfig['seamless']['backfill'], options: BudgetOptions = {}): UpstreamBudgets {
  if (backfill.endpoint !== 'embedded') return createUpstreamBudgets(createRemotePermitAuthority(backfill.endpoint, options.apiKey));
  if (backfill.store === 'etcd') {
    if (options.etcdBudgets === undefined) throw new InternalError('seamless.backfill.store is etcd but the etcd engine was not opened before the upstream budgets');
    return createUpstreamBudgets(createStorePermitAuthority(options.etcdBudgets));
  }
  return createUpstreamBudgets(createStorePermitAuthority(createMemoryBudgetStore()));
}

/** Prometheus children of one upstream, resolved once (per outcome on first use). */
function upstreamMetrics(metrics: SeamlessMetrics, upstream: string): UpstreamMetrics {
  const latency = metrics.upstreamLatency.labels(upstream);
  const limited = metrics.upstreamRateLimited.labels(upstream);
  const byOutcome = new Map<string, ReturnType<SeamlessMetrics['upstreamRequests']['labels']>>();
  return {
    request(outcome: 'ok' | ExchangeFailureReason, seconds: number) {
      let counter = byOutcome.get(outcome);
      if (counter === undefined) {
        counter = metrics.upstreamRequests.labels(upstream, outcome);
        byOutcome.set(outcome, counter);
      }
      counter.inc();
      latency.observe(seconds);
    },
    rateLimited: () => limited.inc(),
  };
}
