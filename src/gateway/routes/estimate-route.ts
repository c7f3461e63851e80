/**
 * GET /v1/bars/estimate — the pre-flight estimate of a read (src/provider/estimate): bars in
 * range, stored, known empty and missing, the shards and upstream requests of the backfill, its
 * expected time under the upstream budget, and the body size per format, answered from coverage
 * before any data moves. It takes GET /v1/bars's query (read scope) and refuses what the read
 * refuses with the same 400 naming the field; the parameters that shape only the answer (`format`,
 * `strategy`, `fill`, …) are checked and otherwise ignored: the estimate prices every format, for a
 * read that backfills what is missing; `align` shapes a derived interval's buckets as in the read.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { validateNodeId } from '../../provider/index.js';
import type { SeamlessApi as Seamless } from '../seamless-api.js';
import { requiredQuery, typedRoutes } from '../route-schemas.js';
import { READ_QUERY, readFieldsOfQuery, readRange } from './read-query.js';

const EstimateQuery = z.object({
  node: requiredQuery('node', 'ohlcv:demo:BTC-USD'),
  ...READ_QUERY,
});

export function estimateRoute(app: FastifyInstance, seamless: Pick<Seamless, 'estimate'>): void {
  typedRoutes(app, (scope) => scope.get('/v1/bars/estimate', { config: { scope: 'read' }, schema: { querystring: EstimateQuery } }, async (request) => {
    const q = request.query;
    return seamless.estimate({ nodeId: validateNodeId(q.node, 'node'), ...readRange(readFieldsOfQuery(q)) });
  }));
}
