/**
 * How long the gateway waits for clients and how many it holds (`server.*` of the config), and
 * the answers to requests refused before they reach a route. Node's HTTP server enforces:
 *   - headersTimeoutMs: headers must arrive within it (a slowloris dribbling them is cut);
 *   - requestTimeoutMs: the whole request, body included, must arrive within it. Answers may
 *     take longer: long-polls (/v1/shards/next, permit waits) and /v1/events are not cut;
 *   - keepAliveTimeoutMs: idle keep-alive sockets are kept this long, and `Keep-Alive: timeout=`
 *     says so. It is above common clients' pool idle times (undici 4 s, most load balancers
 *     60 s), so a client never reuses a pooled socket the gateway is closing ("other side
 *     closed"); on close, idle sockets are dropped at once and busy ones get `Connection: close`;
 *   - maxConnections: sockets over it are closed as they arrive (logged, at most every 10 s).
 * Unparseable requests, oversize headers and timeouts are answered here (the socket, not a
 * route, is all there is), with the documented error body and the connection closed.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { SeamlessConfig } from '../config/index.js';
import { errorBody, sendError } from './error-reply.js';

type ServerConfig = SeamlessConfig['server'];

/** Longest path segment (route parameter) accepted: a node id of 256 characters, URL-encoded. */
export const MAX_PARAM_LENGTH = 1_024;
const DROP_LOG_EVERY_MS = 10_000;

/** The fastify options for `server.*`. */
export function connectionOptions(server: ServerConfig): {
  keepAliveTimeout: number; requestTimeout: number; routerOptions: { maxParamLength: number }; forceCloseConnections: 'idle';
  http: { headersTimeout: number; requestTimeout: number; keepAliveTimeout: number; connectionsCheckingInterval: number };
} {
  return {
    keepAliveTimeout: server.keepAliveTimeoutMs,
    requestTimeout: server.requestTimeoutMs,
    // (fastify 5 takes router settings under routerOptions; the top-level key is deprecated.)
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    forceCloseConnections: 'idle',
    // Node checks the header and request timeouts on this period (30 s by default, which would
    // let a slowloris hold a socket up to 30 s past the timeout).
    http: {
      headersTimeout: server.headersTimeoutMs,
      requestTimeout: server.requestTimeoutMs,
      keepAliveTimeout: server.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(server.headersTimeoutMs / 4))),
    },
  };
}

/** Applies the connection limit; refused sockets are counted in one log line at most every 10 s. */
export function limitConnections(server: Server, config: ServerConfig, log: FastifyBaseLogger): void {
  server.maxConnections = config.maxConnections;
  let refused = 0;
  let lastLogAt = 0;
  server.on('drop', () => {
    refused++;
    const now = Date.now();
    if (now - lastLogAt < DROP_LOG_EVERY_MS) return;
    log.warn({ refused, maxConnections: config.maxConnections }, 'connection limit reached (server.maxConnections): new connections refused');
    refused = 0;
    lastLogAt = now;
  });
}

/** What a refused-before-routing request gets: the field at fault and a message (input never echoed). */
export function describeClientError(code: string | undefined, server: ServerConfig): { field: string; message: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { field: 'headers', message: 'headers: the request line and headers exceed the server limit (16 KiB)' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { field: 'request', message: `request: not received in time (headers within server.headersTimeoutMs ${server.headersTimeoutMs} ms, whole request within server.requestTimeoutMs ${server.requestTimeoutMs} ms); the connection is closed` };
    case 'FST_ERR_BAD_URL':
      return { field: 'url', message: 'url: the path holds a malformed % escape (% must be followed by two hex digits)' };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { field: 'url', message: `url: a path segment is longer than ${MAX_PARAM_LENGTH} characters` };
    default:
      return { field: 'request', message: 'request: not a valid HTTP/1.1 request' };
  }
}

/**
 * fastify's `clientErrorHandler`: the socket's request never became a fastify request (bad
 * HTTP, oversize headers, a timeout). Answers 400 with the error body unless an answer has begun,
 * then closes the socket. A peer that already went away gets nothing and a debug line.
 */
export function clientErrorHandler(server: ServerConfig, log: FastifyBaseLogger): (error: Error & { code?: string }, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) {
      log.debug({ code: error.code }, 'client closed the connection');
      return;
    }
    const { field, message } = describeClientError(error.code, server);
    log.debug({ code: error.code, field }, 'client error: request refused before routing');
    const started = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage?.headersSent === true;
    if (socket.writable && !started) {
      const body = JSON.stringify(errorBody('invalid_request', message, { field }));
      socket.write(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    }
    socket.destroy();
  };
}

/** fastify's `frameworkErrors`: a URL the router cannot take (bad `%` escape, oversize segment) gets the error body. */
export function frameworkErrorHandler(server: ServerConfig): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => FastifyReply {
  return (error, request, reply) => {
    if (error.code !== 'FST_ERR_BAD_URL' && error.code !== 'FST_ERR_MAX_PARAM_LENGTH') return sendError(error, request, reply);
    const { field, message } = describeClientError(error.code, server);
    return reply.code(400).type('application/json; charset=utf-8').send(errorBody('invalid_request', message, { field }));
  };
}
