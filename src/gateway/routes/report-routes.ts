/**
 * GET /v1/reports (newest first; filter by node, interval; limit) and GET /v1/reports/:id (one
 * report with its regression digest and `uri`).
 */
import type { FastifyInstance } from 'fastify';
import { InvalidRequestError, NotFoundError, formatInterval, parseInterval } from '../../core/index.js';
import type { ConformanceReport } from '../../conformance/index.js';
import { validateNodeId } from '../../provider/index.js';
import type { Seamless } from '../../provider/index.js';
import { optionalParam } from '../query-params.js';
import type { Query } from '../query-params.js';

const MAX_LIMIT = 1000;

export function reportRoutes(app: FastifyInstance, seamless: Seamless): void {
  app.get('/v1/reports', { config: { scope: 'read' } }, async (request) => {
    const q = request.query as Query;
    const node = optionalParam(q, 'node');
    const interval = optionalParam(q, 'interval');
    const limitText = optionalParam(q, 'limit');
    const limit = limitText === undefined ? 50 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new InvalidRequestError('limit', `must be an integer from 1 to ${MAX_LIMIT}`);
    const reports = await seamless.reports({
      ...(node !== undefined ? { nodeId: validateNodeId(node, 'node') } : {}),
      ...(interval !== undefined ? { intervalMs: parseInterval(interval, 'interval') } : {}),
      limit,
    });
    return { reports: reports.map(summary) };
  });

  app.get('/v1/reports/:id', { config: { scope: 'read' } }, async (request) => {
    const { id } = request.params as { id: string };
    const report = await seamless.report(id);
    if (!report) throw new NotFoundError('report', id, { field: 'id' });
    return { report };
  });
}

function summary(r: ConformanceReport): Record<string, unknown> {
  return {
    id: r.id,
    uri: r.uri,
    node: r.nodeId,
    interval: formatInterval(r.intervalMs),
    origin: r.origin,
    createdAt: r.createdAt,
    range: r.range,
    rows: r.rowsOut,
    flags: r.flags,
    hasErrors: r.hasErrors,
    regressed: r.regression?.regressed ?? false,
  };
}
