/**
 * GET /v1/bars — the read, encoded as columnar JSON, CSV or Arrow IPC (by `format` or Accept).
 * Rows exist only in the core encoders, which `frame-body.ts` drives a slice at a time so a large
 * answer never holds the event loop; the frame is never turned into row objects.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Frame } from '../../core/index.js';
import { DOMAINS, STRATEGIES, validateNodeId } from '../../provider/index.js';
import type { ReadMetadata } from '../../provider/index.js';
import type { SeamlessApi as Seamless } from '../seamless-api.js';
import { callerName } from '../auth.js';
import { frameBody } from '../frame-body.js';
import { booleanParam, enumParam, optionalParam, requiredParam } from '../query-params.js';
import type { Query } from '../query-params.js';

export const FORMATS = ['json', 'csv', 'arrow'] as const;
export type Format = (typeof FORMATS)[number];
export const ARROW_STREAM_TYPE = 'application/vnd.apache.arrow.stream';

export function barsRoutes(app: FastifyInstance, seamless: Pick<Seamless, 'fetch' | 'tracing'>): void {
  app.get('/v1/bars', { config: { scope: 'read' } }, async (request, reply) => {
    const q = request.query as Query;
    const format = enumParam(q, 'format', FORMATS) ?? formatFromAccept(request.headers.accept);
    const controller = new AbortController();
    // A client that hangs up stops the wait (shared backfill work goes on for others).
    reply.raw.on('close', () => { if (!reply.raw.writableFinished) controller.abort(); });
    const asOf = optionalParam(q, 'as_of');
    const world = optionalParam(q, 'world');
    const domain = enumParam(q, 'domain', DOMAINS);
    const { frame, metadata } = await seamless.fetch({
      nodeId: validateNodeId(requiredParam(q, 'node', 'ohlcv:demo:BTC-USD'), 'node'),
      interval: requiredParam(q, 'interval', '1m'),
      start: requiredParam(q, 'start', '2024-01-01T00:00:00Z'),
      end: requiredParam(q, 'end', '2024-01-02T00:00:00Z'),
      strategy: enumParam(q, 'strategy', STRATEGIES),
      partialOk: booleanParam(q, 'partial_ok'),
      includeBuilding: booleanParam(q, 'include_building'),
      context: {
        ...(world !== undefined ? { worldId: world } : {}),
        ...(domain !== undefined ? { domain } : {}),
        ...(asOf !== undefined ? { asOf } : {}),
      },
      signal: controller.signal,
      requestedBy: callerName(request),
      // An incoming W3C traceparent makes this read part of the caller's trace.
      ...(seamless.tracing.enabled ? { traceContext: seamless.tracing.extract(request.headers) } : {}),
    });
    return sendFrame(reply, format, frame, metadata);
  });
}

function formatFromAccept(accept: string | undefined): Format {
  if (!accept) return 'json';
  if (accept.includes(ARROW_STREAM_TYPE)) return 'arrow';
  if (accept.includes('text/csv')) return 'csv';
  return 'json';
}

async function sendFrame(reply: FastifyReply, format: Format, frame: Frame, metadata: ReadMetadata): Promise<FastifyReply> {
  const meta = JSON.stringify(metadata);
  reply.header('x-seamless-rows', String(metadata.rows));
  reply.header('x-seamless-fingerprint', metadata.fingerprint);
  reply.header('x-seamless-coverage-ratio', String(metadata.coverageRatio));
  reply.header('x-seamless-cache-hit', String(metadata.cacheHit));
  reply.type(CONTENT_TYPES[format]);
  return reply.send(await frameBody(format, frame, meta));
}

const CONTENT_TYPES: Readonly<Record<Format, string>> = {
  arrow: ARROW_STREAM_TYPE,
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
};
