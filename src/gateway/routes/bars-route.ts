/**
 * GET /v1/bars — the read, encoded as columnar JSON, CSV or Arrow IPC (by `format` or Accept).
 * Rows exist only in the core encoders, which `frame-body.ts` drives a slice at a time so a large
 * answer never holds the event loop and streams to the socket (chunked) as it is encoded; the
 * frame is never turned into row objects.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Frame } from '../../core/index.js';
import { InvalidRequestError } from '../../core/index.js';
import { validateNodeId, validateUniverseNodes } from '../../provider/index.js';
import { readAndSend } from './universe-route.js';
import type { ReadMetadata, SnapshotReadMetadata } from '../../provider/index.js';
import type { SeamlessApi as Seamless } from '../seamless-api.js';
import { callerName } from '../auth.js';
import { frameBody } from '../frame-body.js';
import { booleanQuery, optionalQuery, typedRoutes } from '../route-schemas.js';
import { FORMATS, READ_QUERY, readFieldsOfQuery, readRequest } from './read-query.js';

export { FORMATS };
export type Format = (typeof FORMATS)[number];
export const ARROW_STREAM_TYPE = 'application/vnd.apache.arrow.stream';

const BarsQuery = z.object({
  // Repeated (`node=a&node=b`), or with `universe`: a universe read (universe-route.ts).
  node: z.union([z.string(), z.array(z.string())]).optional(),
  universe: optionalQuery,
  all_or_nothing: booleanQuery,
  ...READ_QUERY,
  // A read of a snapshot's immutable copy (provider/snapshots): never live, backfill, cache or the bar tables.
  snapshot: optionalQuery,
});

export function barsRoutes(app: FastifyInstance, seamless: Pick<Seamless, 'fetch' | 'tracing'> & Partial<Pick<Seamless, 'fetchUniverse' | 'snapshots'>>): void {
  typedRoutes(app, (scope) => scope.get('/v1/bars', { config: { scope: 'read' }, schema: { querystring: BarsQuery } }, async (request, reply) => {
    const q = request.query;
    const format = q.format ?? formatFromAccept(request.headers.accept);
    if (q.snapshot !== undefined) return sendSnapshotRead(seamless, q, reply, format);
    if (Array.isArray(q.node) || q.universe !== undefined) {
      const { fetchUniverse } = seamless;
      if (fetchUniverse === undefined) throw new InvalidRequestError(Array.isArray(q.node) ? 'node' : 'universe', 'universe reads are not served here: give node once');
      return readAndSend({ fetchUniverse }, request, reply, format, {
        ...(q.node !== undefined ? { nodes: validateUniverseNodes(Array.isArray(q.node) ? q.node : [q.node], 'node') } : {}),
        ...(q.universe !== undefined ? { universe: q.universe } : {}),
        ...readRequest(readFieldsOfQuery(q)),
        allOrNothing: q.all_or_nothing,
      });
    }
    if (q.node === undefined || q.node === '') throw new InvalidRequestError('node', 'is required (e.g. node=ohlcv:demo:BTC-USD)');
    const controller = new AbortController();
    // A client that hangs up stops the wait (shared backfill work goes on for others).
    reply.raw.on('close', () => { if (!reply.raw.writableFinished) controller.abort(); });
    const { frame, metadata } = await seamless.fetch({
      nodeId: validateNodeId(q.node, 'node'),
      ...readRequest(readFieldsOfQuery(q)),
      signal: controller.signal,
      requestedBy: callerName(request),
      // An incoming W3C traceparent makes this read part of the caller's trace.
      ...(seamless.tracing.enabled ? { traceContext: seamless.tracing.extract(request.headers) } : {}),
    });
    return sendFrame(reply, format, frame, metadata, controller.signal);
  }));
}

/** GET /v1/bars?snapshot=NAME: the snapshot's copy of one dataset; what a live read takes is refused naming the field. */
async function sendSnapshotRead(seamless: Partial<Pick<Seamless, 'snapshots'>>, q: z.infer<typeof BarsQuery>, reply: FastifyReply, format: Format): Promise<FastifyReply> {
  const { snapshots } = seamless;
  if (snapshots === undefined) throw new InvalidRequestError('snapshot', 'snapshot reads are not served here');
  if (q.node === undefined || q.node === '' || Array.isArray(q.node)) throw new InvalidRequestError('node', 'a snapshot read names one dataset: give node once');
  for (const [field, value] of [['universe', q.universe], ['as_of', q.as_of], ['include_building', q.include_building], ['align', q.align], ['fill', q.fill]] as const) {
    if (value !== undefined && value !== false) throw new InvalidRequestError(field, `does not apply to a snapshot read (the snapshot is fixed as it was made); drop ${field} or snapshot`);
  }
  const { frame, metadata } = await snapshots.read({
    name: q.snapshot ?? '', nodeId: q.node, interval: q.interval, start: q.start, end: q.end,
  });
  const controller = new AbortController();
  reply.raw.on('close', () => { if (!reply.raw.writableFinished) controller.abort(); });
  return sendFrame(reply, format, frame, metadata, controller.signal);
}

function formatFromAccept(accept: string | undefined): Format {
  if (!accept) return 'json';
  if (accept.includes(ARROW_STREAM_TYPE)) return 'arrow';
  if (accept.includes('text/csv')) return 'csv';
  return 'json';
}

async function sendFrame(reply: FastifyReply, format: Format, frame: Frame, metadata: ReadMetadata | SnapshotReadMetadata, signal: AbortSignal): Promise<FastifyReply> {
  const meta = JSON.stringify(metadata);
  reply.header('x-seamless-rows', String(metadata.rows));
  reply.header('x-seamless-fingerprint', metadata.fingerprint);
  reply.header('x-seamless-coverage-ratio', String(metadata.coverageRatio));
  reply.header('x-seamless-cache-hit', String(metadata.cacheHit));
  reply.type(CONTENT_TYPES[format]);
  // Metadata headers go first; a large body then streams (chunked) and stops if the client leaves.
  return reply.send(await frameBody(format, frame, meta, signal));
}

const CONTENT_TYPES: Readonly<Record<Format, string>> = {
  arrow: ARROW_STREAM_TYPE,
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
};
