/**
 * GET /v1/datasets and GET /v1/coverage.
 */
import type { FastifyInstance } from 'fastify';
import { formatInterval, parseInterval, parseTime } from '../../core/index.js';
import { validateNodeId } from '../../provider/index.js';
import type { SeamlessApi as Seamless } from '../seamless-api.js';
import { optionalParam, requiredParam } from '../query-params.js';
import type { Query } from '../query-params.js';

export function datasetRoutes(app: FastifyInstance, seamless: Seamless): void {
  app.get('/v1/datasets', { config: { scope: 'read' } }, async () => ({ datasets: await seamless.datasets() }));

  app.get('/v1/coverage', { config: { scope: 'read' } }, async (request) => {
    const q = request.query as Query;
    const nodeId = validateNodeId(requiredParam(q, 'node', 'ohlcv:demo:BTC-USD'), 'node');
    const intervalMs = parseInterval(requiredParam(q, 'interval', '1m'), 'interval');
    const start = optionalParam(q, 'start');
    const end = optionalParam(q, 'end');
    const range = start !== undefined || end !== undefined
      ? { start: start === undefined ? 0 : parseTime(start, 'start'), end: end === undefined ? Number.MAX_SAFE_INTEGER : parseTime(end, 'end') }
      : undefined;
    const ranges = await seamless.coverage(nodeId, intervalMs, range);
    return { node: nodeId, interval: formatInterval(intervalMs), ranges };
  });
}
