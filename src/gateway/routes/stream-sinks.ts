/**
 * The two transports of a subscription as `StreamSink`s. WebSocket: one text frame per message
 * (a binary frame for a binary message: an Arrow batch);
 * the backlog is the socket's `bufferedAmount`; the end is a close frame with the code of
 * docs/streaming.md (then, for a client too slow to read it, the socket is cut after a grace).
 * SSE: `event: <type>`, `id: <whole resume token>` on bars and caught_up (EventSource sends it back
 * as `Last-Event-ID`), `data: <json>`; the backlog is the response's `writableLength`.
 */
import type { ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import { toSeamlessError } from '../../core/index.js';
import type { StreamEndReason, StreamSink } from '../../provider/index.js';

/** WebSocket close codes of subscriptions (docs/streaming.md#close-codes). */
export const STREAM_CLOSE_CODES = {
  normal: 1000,
  shutdown: 1001,
  /** Bad parameters after the upgrade (the 400 comes before it when possible). */
  policy: 1008,
  /** The client read too slowly (or the live backlog of a replay passed the bound). */
  slowConsumer: 4008,
} as const;

/** A failed replay closes with 4000 + the HTTP status of its error (4400, 4404, 4422, 4503, 4504, 4500). */
export function closeCodeOf(reason: StreamEndReason | undefined, error: unknown): number {
  switch (reason) {
    case undefined: return STREAM_CLOSE_CODES.normal;
    case 'shutdown': return STREAM_CLOSE_CODES.shutdown;
    case 'slow_consumer':
    case 'live_backlog': return STREAM_CLOSE_CODES.slowConsumer;
    case 'replay_failed': return 4000 + toSeamlessError(error).httpStatus;
    default: {
      const never: never = reason;
      return never;
    }
  }
}

/** How long a closed socket may keep its unsent bytes before it is cut (a client that never reads). */
const CLOSE_GRACE_MS = 10_000;
/** How often a paced replay looks at the backlog of a WebSocket (ws has no per-socket drain event). */
const DRAIN_POLL_MS = 5;

/** The TCP socket under a WebSocket, for corking (the upgrade request's socket). */
export interface CorkableSocket {
  cork(): void;
  uncork(): void;
}

/**
 * `raw`: the upgraded TCP socket. When given, the frames sent in one tick (a burst of closes
 * fanned out together) are corked and leave in one write (writev) on the next tick, instead of
 * one write syscall per frame (bench/gateway/stream-fanout-sockets.bench.ts).
 */
export function webSocketSink(socket: WebSocket, raw?: CorkableSocket): StreamSink {
  let corked = false;
  const uncork = (): void => {
    corked = false;
    raw?.uncork();
  };
  return {
    get bufferedBytes() { return socket.bufferedAmount; },
    send(message) {
      if (socket.readyState !== socket.OPEN) return;
      if (raw !== undefined && !corked) {
        corked = true;
        raw.cork();
        process.nextTick(uncork);
      }
      socket.send(message.bytes, { binary: message.binary === true });
    },
    async drain(bytes) {
      while (socket.readyState === socket.OPEN && socket.bufferedAmount > bytes) {
        await new Promise((resolve) => { setTimeout(resolve, DRAIN_POLL_MS); });
      }
    },
    end(reason, error) {
      if (socket.readyState !== socket.OPEN) return;
      socket.close(closeCodeOf(reason, error), reason ?? 'done');
      const cut = setTimeout(() => socket.terminate(), CLOSE_GRACE_MS);
      cut.unref();
      socket.once('close', () => clearTimeout(cut));
    },
  };
}

export function sseSink(res: ServerResponse): StreamSink {
  return {
    get bufferedBytes() { return res.writableLength; },
    send(message, resume) {
      if (res.destroyed || res.writableEnded) return;
      // Closed bars and seams move the position: their id is the whole token (building bars move nothing).
      const id = ((message.type === 'bars' || message.type === 'batch') && message.bars > 0) || message.type === 'caught_up' ? resume() : undefined;
      const head = `event: ${message.type}\n${id !== undefined ? `id: ${id}\n` : ''}data: `;
      res.write(Buffer.concat([Buffer.from(head, 'latin1'), message.bytes, Buffer.from('\n\n', 'latin1')]));
    },
    drain(bytes) {
      if (res.writableLength <= bytes || res.destroyed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    },
    end() {
      if (res.destroyed || res.writableEnded) return;
      res.end();
      const cut = setTimeout(() => res.destroy(), CLOSE_GRACE_MS);
      cut.unref();
      res.once('close', () => clearTimeout(cut));
    },
  };
}
