/**
 * Repair (scope `admin`): DELETE /v1/bars purges a range of a dataset (rows, coverage, findings
 * in one fenced, audited transaction), POST /v1/backfills/force purges it and starts a backfill
 * of it, GET /v1/audit lists the repair audit. Inputs are declared here and every refusal names
 * the field; the work is the façade's (provider/repair.ts).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { formatInterval } from '../../core/index.js';
import type { JobStatus } from '../../backfill/index.js';
import type { PurgeOutcome } from '../../provider/index.js';
import { MAX_AUDIT_LIMIT } from '../../provider/index.js';
import type { SeamlessApi as Seamless } from '../seamless-api.js';
import { callerName } from '../auth.js';
import { optionalQuery, requiredQuery, typedRoutes } from '../route-schemas.js';
import { JobRequest, jobBody } from './backfill-routes.js';

/** What the repair routes use of the façade. */
export type RepairDeps = Pick<Seamless, 'purge' | 'forceBackfill' | 'repairAudit'>;

const PurgeQuery = z.object({
  node: requiredQuery('node', 'ohlcv:demo:BTC-USD'),
  interval: requiredQuery('interval', '1m'),
  start: requiredQuery('start', '2024-01-01T00:00:00Z'),
  end: requiredQuery('end', '2024-01-02T00:00:00Z'),
});

const AuditQuery = z.object({
  limit: optionalQuery,
  node: optionalQuery,
});

export function repairRoutes(app: FastifyInstance, seamless: RepairDeps): void {
  typedRoutes(app, (scope) => {
    scope.delete('/v1/bars', { config: { scope: 'admin' }, schema: { querystring: PurgeQuery } }, async (request) => {
      const { node, interval, start, end } = request.query;
      const outcome = await seamless.purge({ nodeId: node, interval, start, end, actor: callerName(request) });
      return { purge: purgeBody(outcome) };
    });

    scope.post('/v1/backfills/force', { config: { scope: 'admin' }, schema: { body: JobRequest } }, async (request, reply) => {
      const { node, interval, start, end, priority } = request.body;
      const actor = callerName(request);
      const { purge, job } = await seamless.forceBackfill({ nodeId: String(node), interval, start, end, priority, actor, requestedBy: actor });
      return reply.code(202).send({ purge: purgeBody(purge), job: jobBody(job as JobStatus) });
    });

    scope.get('/v1/audit', { config: { scope: 'admin' }, schema: { querystring: AuditQuery } }, async (request) => {
      const limit = request.query.limit === undefined ? 100 : Number(request.query.limit);
      const entries = await seamless.repairAudit({ limit, ...(request.query.node !== undefined ? { nodeId: request.query.node } : {}) });
      return { entries: entries.map((e) => ({ ...e, interval: formatInterval(e.intervalMs) })), limit, max: MAX_AUDIT_LIMIT };
    });
  });
}

/** The JSON of a purge: what went, and the audit entry that records it. */
function purgeBody(o: PurgeOutcome): Record<string, unknown> {
  return {
    node: o.nodeId, interval: formatInterval(o.intervalMs), intervalMs: o.intervalMs, start: o.start, end: o.end,
    rowsRemoved: o.rowsRemoved, findingsRetired: o.findingsRetired, coverageRemoved: o.coverageRemoved, audit: o.audit,
  };
}
