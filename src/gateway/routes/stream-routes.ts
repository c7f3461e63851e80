/**
 * Subscriptions (scope `read`, docs/streaming.md): `GET /v1/stream` upgrades to a WebSocket,
 * `GET /v1/stream/sse` answers Server-Sent Events. Both take the same query — `node` (repeated)
 * or `universe`, `interval`, optional `start`, `building`, `batch`, `encoding` (`arrow`: binary
 * batches, WebSocket only), `resume` (repeated), `strategy`, `partial_ok` — checked in a preHandler, so bad parameters are a 400 naming the field before
 * any upgrade, and an unknown dataset a 404. The key may also come as `?access_token=` or, on a
 * WebSocket, as the subprotocol `bearer.<key>` (browsers cannot set headers there). SSE resumes
 * from `Last-Event-ID`. Closing the gateway ends every subscription (WebSocket code 1001).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type {} from '@fastify/websocket';
import { z } from 'zod';
import { InvalidRequestError, toSeamlessError } from '../../core/index.js';
import type { PreparedStream, StreamService } from '../../provider/index.js';
import type { SeamlessApi as Seamless } from '../seamless-api.js';
import { callerName } from '../auth.js';
import { booleanQuery, enumQuery, optionalQuery, typedRoutes } from '../route-schemas.js';
import { STRATEGIES, STREAM_ENCODINGS } from '../../provider/index.js';
import { sseSink, webSocketSink } from './stream-sinks.js';
import { startSse } from './sse-response.js';


const StreamQuery = z.object({
  node: z.union([z.string(), z.array(z.string())]).optional(),
  universe: optionalQuery,
  interval: optionalQuery,
  start: optionalQuery,
  building: booleanQuery,
  batch: booleanQuery,
  encoding: enumQuery(STREAM_ENCODINGS),
  resume: z.union([z.string(), z.array(z.string())]).optional(),
  strategy: enumQuery(STRATEGIES),
  partial_ok: booleanQuery,
  access_token: optionalQuery,
}).strict();
type StreamQuery = z.infer<typeof StreamQuery>;

declare module 'fastify' {
  interface FastifyRequest {
    preparedStream: PreparedStream | undefined;
  }
}

/** The `error` message of a refusal after the answer started. */
function refusal(error: unknown): string {
  const e = toSeamlessError(error);
  return JSON.stringify({ type: 'error', error: { code: e.code, message: e.message, details: e.details } });
}

const listOf = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

export function streamRoutes(app: FastifyInstance, seamless: Pick<Seamless, 'config'> & { readonly stream: StreamService }): void {
  const { stream } = seamless;
  app.decorateRequest('preparedStream', undefined);
  app.addHook('preClose', async () => { stream.closeAll(); });

  function nodesOf(q: StreamQuery): { nodes: string[]; field: string } {
    if (q.universe !== undefined) {
      if (q.node !== undefined) throw new InvalidRequestError('universe', 'give either node (repeated) or a universe name, not both');
      const named = Object.hasOwn(seamless.config.universes, q.universe) ? seamless.config.universes[q.universe] : undefined;
      if (named === undefined) throw new InvalidRequestError('universe', `unknown universe "${q.universe}" (config key universes)`);
      return { nodes: [...named], field: 'universe' };
    }
    return { nodes: listOf(q.node), field: 'node' };
  }

  async function prepare(request: FastifyRequest<{ Querystring: StreamQuery }>, lastEventId: string | undefined): Promise<void> {
    const q = request.query;
    const { nodes, field } = nodesOf(q);
    const resume = listOf(q.resume);
    request.preparedStream = await stream.prepare({
      nodes, nodesField: field, interval: q.interval, start: q.start, building: q.building, batch: q.batch, encoding: q.encoding,
      resume: lastEventId !== undefined && lastEventId !== '' ? [...resume, lastEventId] : resume,
      resumeField: lastEventId !== undefined && lastEventId !== '' && resume.length === 0 ? 'Last-Event-ID' : 'resume',
      ...(q.strategy !== undefined ? { strategy: q.strategy } : {}),
      ...(q.partial_ok ? { partialOk: true } : {}),
      requestedBy: callerName(request),
    });
  }

  typedRoutes(app, (scope) => {
    scope.route({
      method: 'GET',
      url: '/v1/stream',
      config: { scope: 'read', keyOutsideHeader: true },
      schema: { querystring: StreamQuery },
      preHandler: async (request) => {
        if (!request.ws) throw new InvalidRequestError('upgrade', 'GET /v1/stream is a WebSocket endpoint (Upgrade: websocket); GET /v1/stream/sse serves the same subscription as Server-Sent Events');
        await prepare(request, undefined);
      },
      handler: async () => undefined,
      wsHandler: (socket, request) => {
        const prepared = request.preparedStream;
        if (prepared === undefined) {
          socket.close(1008, 'not prepared');
          return;
        }
        try {
          const subscription = prepared.start(webSocketSink(socket, request.raw.socket), 'websocket');
          socket.on('close', () => subscription.close());
          // Client messages are not part of the protocol; they are read and dropped (maxPayload bounds them).
          socket.on('message', () => undefined);
        } catch (error) {
          socket.send(refusal(error));
          socket.close(1013, 'overloaded');
        }
      },
    });

    scope.get('/v1/stream/sse', {
      config: { scope: 'read', keyOutsideHeader: true },
      schema: { querystring: StreamQuery },
      preHandler: async (request) => {
        if (request.query.encoding === 'arrow') throw new InvalidRequestError('encoding', 'arrow is binary and Server-Sent Events carry text only: leave encoding out here, or subscribe over the WebSocket GET /v1/stream');
        const header = request.headers['last-event-id'];
        await prepare(request, Array.isArray(header) ? header[0] : header);
      },
    }, (request, reply) => {
      const prepared = request.preparedStream as PreparedStream;
      const res = startSse(reply, 'seamless.stream');
      try {
        const subscription = prepared.start(sseSink(res), 'sse');
        res.once('close', () => subscription.close());
      } catch (error) {
        // The cap was reached between the check before the answer and now: the stream says so and ends.
        res.end(`event: error\ndata: ${refusal(error)}\n\n`);
      }
    });
  });
}
