/**
 * The expected time of a backfill of `requests` upstream requests spread over `shards` shards.
 * Two bounds, the larger wins, and the basis names each:
 * - the upstream's budget (GCRA, src/sources/upstream-budget): the first permit after
 *   `nextPermitInMs`, then `burst` at once when the budget is idle, then one per 1/rate s;
 * - latency: requests of one shard go one after the other, shards run on `lanes` workers at once
 *   (`seamless.backfill.localWorkers`, default `concurrency`), so about ceil(requests / lanes)
 *   request times, with the source's configured or measured latency.
 * With neither a budget nor a latency there is no basis: `expectedMs` is null.
 */
import type { SourcePlan } from './estimate-types.js';

export interface TimeEstimate {
  readonly expectedMs: number | null;
  readonly basis: string;
}

export function estimateBackfillTime(requests: number, shards: number, plan: SourcePlan | undefined, lanes: number): TimeEstimate {
  if (requests === 0) return { expectedMs: 0, basis: 'nothing to backfill' };
  if (plan === undefined) return { expectedMs: null, basis: 'the dataset has no upstream source' };
  const parts: string[] = [];
  let budgetMs: number | undefined;
  const b = plan.budget;
  if (b !== undefined) {
    const perPermitMs = 1000 / b.rate.requestsPerSecond;
    const atOnce = b.nextPermitInMs === 0 ? Math.min(b.rate.burst, requests) : 1;
    budgetMs = b.nextPermitInMs + (requests - atOnce) * perPermitMs;
    parts.push(`budget of ${b.upstream}: ${b.rate.requestsPerSecond} req/s, burst ${b.rate.burst} (${b.authority}), next permit in ${Math.ceil(b.nextPermitInMs)} ms → ${Math.round(budgetMs)} ms`);
  }
  let latencyMs: number | undefined;
  const l = plan.latency;
  if (l !== undefined) {
    const parallel = Math.max(1, Math.min(lanes, shards));
    latencyMs = Math.ceil(requests / parallel) * l.ms;
    const how = l.basis === 'measured' ? `measured mean of ${l.samples ?? 0} requests` : 'configured';
    parts.push(`latency ${round(l.ms)} ms a request (${how}) over ${parallel} worker${parallel === 1 ? '' : 's'} → ${Math.round(latencyMs)} ms`);
  }
  if (budgetMs === undefined && latencyMs === undefined) {
    return { expectedMs: null, basis: `${plan.name}: no request budget and no measured or configured latency` };
  }
  const expectedMs = Math.round(Math.max(budgetMs ?? 0, latencyMs ?? 0));
  return { expectedMs, basis: parts.join('; ') };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
