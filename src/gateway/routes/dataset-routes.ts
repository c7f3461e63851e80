/**
 * GET /v1/datasets (the catalog, with a coverage summary per interval), GET /v1/datasets/condition
 * (the per-day condition of one dataset) and GET /v1/coverage.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { formatInterval, parseInterval, parseTime } from '../../core/index.js';
import { validateNodeId } from '../../provider/index.js';
import type { SeamlessApi as Seamless } from '../seamless-api.js';
import { optionalQuery, requiredQuery, typedRoutes } from '../route-schemas.js';

const CoverageQuery = z.object({
  node: requiredQuery('node', 'ohlcv:demo:BTC-USD'),
  interval: requiredQuery('interval', '1m'),
  start: optionalQuery,
  end: optionalQuery,
});

const ConditionQuery = z.object({
  node: requiredQuery('node', 'ohlcv:demo:BTC-USD'),
  interval: requiredQuery('interval', '1m'),
  start: requiredQuery('start', '2024-01-01'),
  end: requiredQuery('end', '2024-01-08'),
});

export function datasetRoutes(app: FastifyInstance, seamless: Pick<Seamless, 'datasets' | 'coverage' | 'condition' | 'derivedFrom'>): void {
  typedRoutes(app, (scope) => {
    scope.get('/v1/datasets', { config: { scope: 'read' } }, async () => ({ datasets: await seamless.datasets() }));

    scope.get('/v1/datasets/condition', { config: { scope: 'read' }, schema: { querystring: ConditionQuery } }, async (request) => {
      const { node, interval, start, end } = request.query;
      const nodeId = validateNodeId(node, 'node');
      const intervalMs = parseInterval(interval, 'interval');
      return await seamless.condition(nodeId, intervalMs, parseTime(start, 'start'), parseTime(end, 'end'));
    });

    scope.get('/v1/coverage', { config: { scope: 'read' }, schema: { querystring: CoverageQuery } }, async (request) => {
      const { node, interval, start, end } = request.query;
      const nodeId = validateNodeId(node, 'node');
      const intervalMs = parseInterval(interval, 'interval');
      const range = start !== undefined || end !== undefined
        ? { start: start === undefined ? 0 : parseTime(start, 'start'), end: end === undefined ? Number.MAX_SAFE_INTEGER : parseTime(end, 'end') }
        : undefined;
      const ranges = await seamless.coverage(nodeId, intervalMs, range);
      return { node: nodeId, interval: formatInterval(intervalMs), derivedFrom: seamless.derivedFrom?.(nodeId, intervalMs) ?? null, ranges };
    });
  });
}
