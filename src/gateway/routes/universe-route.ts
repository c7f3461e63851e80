/**
 * Universe reads over HTTP: `POST /v1/bars/query` with a JSON body `{nodes | universe, interval,
 * start, end, format?, strategy?, partialOk?, includeBuilding?, allOrNothing?, world?, domain?,
 * asOf?}`, and `GET /v1/bars` with `node` repeated or `universe=NAME` (bars-route.ts hands those
 * here). The answer is long format (universe-body.ts): JSON, CSV or Arrow with a `node` column,
 * metadata per dataset; a failed dataset is reported in its own metadata (status 200) unless
 * `allOrNothing` asks the whole read to fail with the first error.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DOMAINS, MAX_UNIVERSE_NODES, STRATEGIES } from '../../provider/index.js';
import type { UniverseResult } from '../../provider/index.js';
import type { SeamlessApi as Seamless, UniverseFetch } from '../seamless-api.js';
import { callerName } from '../auth.js';
import type { BodyFormat } from '../frame-body.js';
import { bodyObject, stringField, typedRoutes } from '../route-schemas.js';
import { universeBody } from '../universe-body.js';
import { FORMATS, readRequest } from './read-query.js';

/** Room for 10,000 node ids of up to 256 characters (the gateway's default body limit is 1 MB). */
const QUERY_BODY_LIMIT = 4 * 1024 * 1024;

const time = z.union([z.string().min(1), z.number()], { error: 'is required (epoch ms or ISO-8601)' });
const optionalBoolean = z.boolean({ error: 'must be true or false' }).optional();
const enumField = <const T extends readonly [string, ...string[]]>(allowed: T) =>
  z.enum(allowed, { error: (issue) => `unknown value "${String(issue.input)}"; one of ${allowed.join(', ')}` }).optional();

const QueryBody = bodyObject({
  nodes: z.array(z.string({ error: 'must be a list of node id strings' }), { error: 'must be an array of node ids' })
    .max(MAX_UNIVERSE_NODES, { error: `must list at most ${MAX_UNIVERSE_NODES} node ids; split the read` }).optional(),
  universe: stringField(64),
  interval: z.union([z.string().min(1), z.number()], { error: 'is required (e.g. "1m")' }),
  start: time,
  end: time,
  format: enumField(FORMATS),
  strategy: enumField(STRATEGIES),
  partialOk: optionalBoolean,
  includeBuilding: optionalBoolean,
  allOrNothing: optionalBoolean,
  world: stringField(256),
  domain: enumField(DOMAINS),
  asOf: z.union([z.string().min(1), z.number()]).optional(),
  align: stringField(64),
  fill: stringField(16),
});

const ARROW_STREAM_TYPE = 'application/vnd.apache.arrow.stream';
const CONTENT_TYPES: Readonly<Record<BodyFormat, string>> = {
  arrow: ARROW_STREAM_TYPE,
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

export function universeRoutes(app: FastifyInstance, seamless: Pick<Seamless, 'fetchUniverse'>): void {
  typedRoutes(app, (scope) => scope.post('/v1/bars/query', { config: { scope: 'read' }, bodyLimit: QUERY_BODY_LIMIT, schema: { body: QueryBody } }, async (request, reply) => {
    const b = request.body;
    const format = b.format ?? formatFromAccept(request.headers.accept);
    return await readAndSend(seamless, request, reply, format, {
      ...(b.nodes !== undefined ? { nodes: b.nodes } : {}),
      ...(b.universe !== undefined ? { universe: b.universe } : {}),
      ...readRequest(b),
      allOrNothing: b.allOrNothing,
    });
  }));
}

/** Runs the universe read of `fetch` and sends its answer in `format` (also used by GET /v1/bars). */
export async function readAndSend(
  seamless: Pick<Seamless, 'fetchUniverse'>, request: FastifyRequest, reply: FastifyReply, format: BodyFormat, fetch: UniverseFetch,
): Promise<FastifyReply> {
  const controller = new AbortController();
  // A client that hangs up stops the waits (shared backfill work goes on for others).
  reply.raw.on('close', () => { if (!reply.raw.writableFinished) controller.abort(); });
  const result = await seamless.fetchUniverse({ ...fetch, signal: controller.signal, requestedBy: callerName(request) });
  return sendUniverse(reply, format, result, controller.signal);
}

async function sendUniverse(reply: FastifyReply, format: BodyFormat, result: UniverseResult, signal: AbortSignal): Promise<FastifyReply> {
  const { metadata } = result;
  reply.header('x-seamless-rows', String(metadata.rows));
  reply.header('x-seamless-datasets', String(metadata.datasetCount));
  reply.header('x-seamless-failed-datasets', String(metadata.failed.length));
  reply.type(CONTENT_TYPES[format]);
  return reply.send(await universeBody(format, result.universe, JSON.stringify(metadata), signal));
}

export function formatFromAccept(accept: string | undefined): BodyFormat {
  if (!accept) return 'json';
  if (accept.includes(ARROW_STREAM_TYPE)) return 'arrow';
  if (accept.includes('text/csv')) return 'csv';
  return 'json';
}
