/**
 * GET /v1/events (scope `read`): the `seamless.backfill` stream as Server-Sent Events. Each
 * event is `id: <n>\nevent: <type>\ndata: <json>\n\n`; a comment line every 15 s keeps proxies
 * from closing an idle stream. `Last-Event-ID` replays the buffered events after that id. A
 * client that stops reading is cut off once its unsent backlog passes a bound (it reconnects
 * with `Last-Event-ID`); closing the gateway ends every open stream.
 */
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { BackfillEvent } from '../../backfill/index.js';
import type { EventStream } from '../../observability/index.js';
import { startSse } from './sse-response.js';

export const SSE_HEARTBEAT_MS = 15_000;
/** Unsent bytes a slow client may accumulate before it is disconnected. */
export const SSE_MAX_BACKLOG_BYTES = 1024 * 1024;

export interface EventsRouteOptions {
  readonly heartbeatMs?: number;
  readonly maxBacklogBytes?: number;
}

/** A decimal `Last-Event-ID`, or undefined (absent or not ours: then no replay). */
function lastEventId(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\d{1,16}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

function frame(event: BackfillEvent, id: number): string {
  // JSON.stringify never emits a raw newline, so the payload is exactly one `data:` line.
  return `id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Registers the route; `events` is the Seamless facade's `events` stream. */
export function eventsRoute(app: FastifyInstance, events: EventStream<BackfillEvent>, options: EventsRouteOptions = {}): void {
  const heartbeatMs = options.heartbeatMs ?? SSE_HEARTBEAT_MS;
  const maxBacklog = options.maxBacklogBytes ?? SSE_MAX_BACKLOG_BYTES;
  // Open streams, ended when the gateway closes (otherwise server.close() would wait on them).
  const open = new Set<ServerResponse>();

  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });

  app.get('/v1/events', { config: { scope: 'read' } }, (request, reply) => {
    const after = lastEventId(request.headers['last-event-id']);
    const res = startSse(reply, 'seamless.backfill');
    open.add(res);

    // Set right after subscribing; a replay that overflows the backlog can end the stream first.
    let unsubscribe: (() => void) | undefined = undefined;
    // Owned by this response: cleared in cleanup(), which every way of ending the stream reaches.
    const heartbeat = setInterval(() => { send(': heartbeat\n\n'); }, heartbeatMs);
    let done = false;
    const cleanup = (): void => {
      if (done) return;
      done = true;
      clearInterval(heartbeat);
      unsubscribe?.();
      open.delete(res);
    };
    function send(chunk: string): void {
      if (done) return;
      if (res.writableLength > maxBacklog) {
        request.log.warn({ backlogBytes: res.writableLength }, 'event stream client too slow; disconnecting');
        cleanup();
        res.destroy();
        return;
      }
      res.write(chunk);
    }
    res.once('close', cleanup);
    res.once('error', cleanup);
    // Subscribing replays synchronously, so buffered events precede live ones, in id order.
    unsubscribe = events.subscribe((event, id) => send(frame(event, id)), after !== undefined ? { after } : {});
    if (done) unsubscribe();
  });
}
