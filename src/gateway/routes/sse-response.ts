/**
 * The start of a Server-Sent Events answer, shared by `/v1/events` and `/v1/stream/sse`: the
 * reply taken over from fastify, the headers (no caching or proxy buffering), the reconnection
 * delay suggested to EventSource clients and a comment naming the stream.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';

/** Reconnection delay suggested to EventSource clients. */
export const SSE_RETRY_MS = 2_000;

/** Takes the reply over and writes the stream's head; returns the raw response to write events to. */
export function startSse(reply: FastifyReply, name: string): ServerResponse {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(`retry: ${SSE_RETRY_MS}\n: ${name}\n\n`);
  return res;
}
