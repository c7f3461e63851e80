/**
 * GET /v1/reports (newest first; filter by node, interval; limit) and GET /v1/reports/{ref} (one
 * report with its regression digest and `uri`). `ref` is the report id or the
 * `qmtl://observability/seamless/<node>/<id>` URI the API hands out, URL-encoded as one path
 * segment or pasted as is (a wildcard route, since the URI holds slashes).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { InvalidRequestError, NotFoundError, formatInterval, parseInterval } from '../../core/index.js';
import type { ConformanceReport } from '../../conformance/index.js';
import { REPORT_URI_PREFIX, validateNodeId } from '../../provider/index.js';
import type { SeamlessApi as Seamless } from '../seamless-api.js';
import { optionalQuery, queryParam, typedRoutes } from '../route-schemas.js';

const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 50;
const LIMIT_RANGE = `must be an integer from 1 to ${MAX_LIMIT}`;

const ReportsQuery = z.object({
  node: optionalQuery,
  interval: optionalQuery,
  limit: queryParam(z.string().optional())
    .transform((text) => (text === undefined ? DEFAULT_LIMIT : Number(text)))
    .pipe(z.int({ error: LIMIT_RANGE }).min(1, { error: LIMIT_RANGE }).max(MAX_LIMIT, { error: LIMIT_RANGE })),
});
const ReportParams = z.object({ '*': z.string() });

export function reportRoutes(app: FastifyInstance, seamless: Pick<Seamless, 'reports' | 'report'>): void {
  typedRoutes(app, (scope) => {
    scope.get('/v1/reports', { config: { scope: 'read' }, schema: { querystring: ReportsQuery } }, async (request) => {
      const { node, interval, limit } = request.query;
      const reports = await seamless.reports({
        ...(node !== undefined ? { nodeId: validateNodeId(node, 'node') } : {}),
        ...(interval !== undefined ? { intervalMs: parseInterval(interval, 'interval') } : {}),
        limit,
      });
      return { reports: reports.map(summary) };
    });

    scope.get('/v1/reports/*', { config: { scope: 'read' }, schema: { params: ReportParams } }, async (request) => {
      const ref = reportRef(request.params['*']);
      const report = await seamless.report(ref.id);
      // A URI names its dataset too: a report of another dataset is not the one asked for.
      if (!report || (ref.node !== undefined && !sameNode(ref.node, report.nodeId))) throw new NotFoundError('report', ref.given, { field: 'id' });
      return { report };
    });
  });
}

/**
 * The id a reference names, and the dataset part when the reference was a URI. The router has
 * decoded the path once: an encoded URI arrives as the URI, a pasted one with its node decoded.
 */
function reportRef(ref: string): { id: string; node?: string; given: string } {
  if (ref.startsWith(REPORT_URI_PREFIX)) {
    const rest = ref.slice(REPORT_URI_PREFIX.length);
    const slash = rest.lastIndexOf('/');
    if (slash > 0 && slash < rest.length - 1) return { id: rest.slice(slash + 1), node: rest.slice(0, slash), given: ref };
  }
  if (ref.length === 0 || ref.includes('/') || ref.includes(':')) {
    throw new InvalidRequestError('id', `not a report id or URI: ${JSON.stringify(ref)}; expected an id or ${REPORT_URI_PREFIX}<node>/<id>`);
  }
  return { id: ref, given: ref };
}

/** The URI's node part, URL-encoded (as handed out) or already decoded, is the report's node. */
function sameNode(part: string, nodeId: string): boolean {
  return part === nodeId || part === encodeURIComponent(nodeId);
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
