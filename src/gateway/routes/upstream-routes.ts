/**
 * The upstream budgets API of the coordinator service (scope `worker`, registered with the
 * lease API): `seamless worker`s take their permits here, so every worker of the cluster spends
 * one budget per upstream (backfill/remote/upstream-permit-client.ts is the client). snake_case
 * like the lease protocol:
 *
 *   POST /v1/upstreams/:name/permits {requests_per_second, burst, wait_ms?}
 *        → {granted: true} as soon as a permit is free, or after wait_ms {granted: false, wait_ms: hint}
 *   POST /v1/upstreams/:name/pause   {requests_per_second, burst, pause_ms}
 *        → {paused_until_ms, now_ms, pause_ms} (the upstream answered 429: nobody gets a permit
 *        for pause_ms; a worker's pause is capped at MAX_WORKER_PAUSE_MS, an admin's at an hour)
 *   GET  /v1/upstreams/:name         → {upstream, tat_ms, paused_until_ms, now_ms}
 *   GET  /v1/upstreams               → {upstreams: [snapshot…]} (budgets this process has seen)
 *
 * The rate of an upstream is the coordinator's: its own `rateLimit` for an exchange it has a
 * source for, else the rate the first request asked. A worker's request cannot change it (the
 * rate it sends is checked, then ignored; answers carry the rate in effect); an `admin` key's
 * request sets it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AbortedError } from '../../core/index.js';
import type { SeamlessApi as Seamless } from '../seamless-api.js';
import type { UpstreamBudget } from '../../sources/index.js';
import { callerHas } from '../auth.js';
import { bodyObject, integerField, typedRoutes } from '../route-schemas.js';

export const DEFAULT_PERMIT_WAIT_MS = 5_000;
export const MAX_PERMIT_WAIT_MS = 30_000;
const MAX_PAUSE_MS = 3_600_000;
/** The longest pause a worker (not admin) key may impose on everyone: exchanges' Retry-After beyond it is cut to it. */
export const MAX_WORKER_PAUSE_MS = 300_000;
const MAX_RATE = 1_000_000;
const NAME = /^[A-Za-z0-9._-]{1,64}$/;

const UpstreamParams = z.object({
  name: z.string().refine((name) => NAME.test(name), {
    error: (issue) => `must be 1-64 letters, digits, ".", "_" or "-" (an exchange id such as binance), got ${JSON.stringify(issue.input)}`,
  }),
});
const RATE = `must be a number > 0 and ≤ ${MAX_RATE}`;
/** The rate the caller asks for (set only by an admin key, see the header). */
const rate = {
  requests_per_second: z.number({ error: RATE }).gt(0, { error: RATE }).max(MAX_RATE, { error: RATE }),
  burst: integerField(1, MAX_RATE),
};
const PermitRequest = bodyObject({ ...rate, wait_ms: integerField(0, MAX_PERMIT_WAIT_MS).optional() });
const PauseRequest = bodyObject({ ...rate, pause_ms: integerField(0, MAX_PAUSE_MS) });

export function upstreamRoutes(app: FastifyInstance, upstreams: Seamless['upstreams']): void {
  typedRoutes(app, (scope) => {
    // Permit waits end when the gateway closes, or closing would wait them out.
    const waits = new Set<AbortController>();
    scope.addHook('preClose', async () => {
      for (const wait of waits) wait.abort();
    });
    const config = { config: { scope: 'worker' as const } };

    /** The budget of the request's upstream, at the rate the caller may set (see the header). */
    function budgetFor(request: FastifyRequest, name: string, asked: { requests_per_second: number; burst: number }): UpstreamBudget {
      const known = upstreams.list().find((budget) => budget.upstream === name);
      if (known !== undefined && !callerHas(request, 'admin')) return known;
      return upstreams.budget(name, { requestsPerSecond: asked.requests_per_second, burst: asked.burst });
    }

    scope.post('/v1/upstreams/:name/permits', { ...config, schema: { params: UpstreamParams, body: PermitRequest } }, async (request, reply) => {
      const b = request.body;
      const budget = budgetFor(request, request.params.name, b);
      const waitMs = b.wait_ms ?? DEFAULT_PERMIT_WAIT_MS;
      const wait = new AbortController();
      waits.add(wait);
      // A worker that hangs up stops waiting (a permit granted after that is simply unused).
      const onClose = (): void => { if (!reply.raw.writableFinished) wait.abort(); };
      reply.raw.on('close', onClose);
      const timer = AbortSignal.timeout(Math.max(1, waitMs));
      try {
        await budget.acquire(AbortSignal.any([wait.signal, timer]));
        return { granted: true, wait_ms: 0, ...rateBody(budget) };
      } catch (error) {
        if (!(error instanceof AbortedError) || !timer.aborted || wait.signal.aborted) throw error;
        const snapshot = await budget.snapshot();
        return { granted: false, wait_ms: Math.ceil(Math.max(snapshot.nextPermitInMs, snapshot.pausedForMs)), ...rateBody(budget) };
      } finally {
        waits.delete(wait);
        reply.raw.off('close', onClose);
      }
    });

    scope.post('/v1/upstreams/:name/pause', { ...config, schema: { params: UpstreamParams, body: PauseRequest } }, async (request) => {
      const b = request.body;
      const budget = budgetFor(request, request.params.name, b);
      const asked = b.pause_ms;
      const pauseMs = callerHas(request, 'admin') ? asked : Math.min(asked, MAX_WORKER_PAUSE_MS);
      if (pauseMs < asked) request.log.warn({ upstream: budget.upstream, askedMs: asked, pauseMs }, 'a worker asked for a longer upstream pause than a worker may impose; capped');
      const pausedUntil = await budget.pause(pauseMs);
      const { nowMs } = await budget.state();
      return { paused_until_ms: pausedUntil, now_ms: nowMs, pause_ms: pauseMs, ...rateBody(budget) };
    });

    scope.get('/v1/upstreams/:name', { ...config, schema: { params: UpstreamParams } }, async (request) => {
      const { name } = request.params;
      const view = await upstreams.state(name);
      return { upstream: name, tat_ms: view.state?.tatMs ?? null, paused_until_ms: view.state?.pausedUntilMs ?? null, now_ms: view.nowMs };
    });

    scope.get('/v1/upstreams', config, async () => {
      const snapshots = await Promise.all(upstreams.list().map((b) => b.snapshot()));
      return {
        authority: upstreams.authority,
        upstreams: snapshots.map((s) => ({
          upstream: s.upstream, requests_per_second: s.requestsPerSecond, burst: s.burst, authority: s.authority,
          paused_for_ms: Math.ceil(s.pausedForMs), next_permit_in_ms: Math.ceil(s.nextPermitInMs), waiting: s.waiting,
          granted: s.granted, pauses: s.pauses,
        })),
      };
    });
  });
}

function rateBody(budget: UpstreamBudget): { requests_per_second: number; burst: number } {
  return { requests_per_second: budget.rate.requestsPerSecond, burst: budget.rate.burst };
}
