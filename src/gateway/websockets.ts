/**
 * WebSocket support of the gateway (@fastify/websocket on `ws`): upgrades go through the normal
 * route, hooks and auth first, so a refused upgrade is an HTTP answer. Client messages are capped
 * (subscriptions take no client messages). The subprotocol chosen is `seamless.v1` when offered,
 * else the first offered that does not carry a key (`bearer.<key>` is never echoed back).
 */
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { WS_KEY_PROTOCOL_PREFIX } from './auth.js';

export const STREAM_PROTOCOL = 'seamless.v1';
/** Largest client message accepted; larger ones close the socket (1009). */
const MAX_CLIENT_MESSAGE_BYTES = 4 * 1024;

export async function registerWebSockets(app: FastifyInstance): Promise<void> {
  await app.register(websocket, {
    options: {
      maxPayload: MAX_CLIENT_MESSAGE_BYTES,
      handleProtocols: (protocols: Set<string>) => {
        if (protocols.has(STREAM_PROTOCOL)) return STREAM_PROTOCOL;
        for (const p of protocols) if (!p.startsWith(WS_KEY_PROTOCOL_PREFIX)) return p;
        return false;
      },
    },
  });
}
