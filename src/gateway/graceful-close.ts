/**
 * Closing the gateway without waiting on clients that say nothing. fastify's close stops
 * accepting, drops idle keep-alive sockets and lets requests in flight finish; but Node counts a
 * socket that connected and has not sent a whole request (a silent or dribbling client) as busy,
 * so one such client held a stop for up to `server.keepAliveTimeoutMs` (72 s by default). Here:
 *   - sockets that have not yet delivered a request's headers are destroyed when the close begins
 *     (nothing was asked, so nothing is lost);
 *   - requests in flight get `server.shutdownGraceMs` to finish (long-polls and event streams
 *     end at once on close, see lease-routes.ts and events-route.ts); after it, every socket left
 *     is destroyed, so a stop is bounded whatever clients do.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface GracefulClose {
  /** Runs `close` (fastify's), destroying silent sockets at once and the rest after the grace. */
  close(close: () => Promise<void>): Promise<void>;
}

export function trackSilentSockets(server: Server, graceMs: number): GracefulClose {
  const silent = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    silent.add(socket);
    socket.once('close', () => silent.delete(socket));
  });
  server.on('request', (request) => { silent.delete(request.socket); });
  return {
    async close(close) {
      const closing = close();
      for (const socket of silent) socket.destroy();
      silent.clear();
      const grace = setTimeout(() => server.closeAllConnections(), graceMs);
      try {
        await closing;
      } finally {
        clearTimeout(grace);
      }
    },
  };
}
