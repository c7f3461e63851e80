/**
 * The `live.feeds` entries of the configuration: a generic WebSocket JSON feed with its message
 * mapping, and a ccxt pro `watchOHLCV` feed (docs/live-feeds.md), with their reconnect backoff
 * and defaults. config-schema.ts composes them into the whole configuration.
 */
import { z } from 'zod';

export const DEFAULT_LIVE_RECONNECT_INITIAL_DELAY_MS = 500;
export const DEFAULT_LIVE_RECONNECT_MAX_DELAY_MS = 30_000;
export const DEFAULT_LIVE_CLOSE_GRACE_MS = 2_000;
export const DEFAULT_LIVE_IDLE_TIMEOUT_MS = 60_000;

const LiveReconnectConfig = z.object({
  /** Delay before the first reconnect attempt; doubles per failed attempt (jittered in [d/2, d]). */
  initialDelayMs: z.number().int().positive().default(DEFAULT_LIVE_RECONNECT_INITIAL_DELAY_MS),
  maxDelayMs: z.number().int().positive().default(DEFAULT_LIVE_RECONNECT_MAX_DELAY_MS),
}).strict().prefault({});

const fieldPath = z.union([z.string(), z.number().int().min(0)]);
const wsUrl = z.string().regex(/^wss?:\/\/\S+$/i, 'a ws:// or wss:// URL');

export const WebSocketFeedConfig = z.object({
  kind: z.literal('websocket'),
  url: wsUrl,
  /** Sent after each connect, once per dataset; placeholders {symbol} {symbol_lower} {symbol_upper} {interval} {interval_ms} {id}. */
  subscribe: z.string().min(1).optional(),
  mapping: z.object({
    match: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()])).default({}),
    bar: z.string().default(''),
    batch: z.boolean().default(false),
    fields: z.record(z.string().min(1), fieldPath),
    closed: fieldPath.optional(),
    tsUnit: z.enum(['s', 'ms', 'us', 'ns']).default('ms'),
  }).strict(),
  reconnect: LiveReconnectConfig,
  closeGraceMs: z.number().int().min(0).default(DEFAULT_LIVE_CLOSE_GRACE_MS),
  idleTimeoutMs: z.number().int().min(0).default(DEFAULT_LIVE_IDLE_TIMEOUT_MS),
}).strict();

export const CcxtProFeedConfig = z.object({
  kind: z.literal('ccxt-pro'),
  /** A ccxt pro exchange id (binance, okx, …). */
  exchange: z.string().min(1),
  /** Replaces the exchange's WebSocket URL for `marketType` (urls.api.ws). */
  wsUrl: wsUrl.optional(),
  marketType: z.string().min(1).default('spot'),
  /** Markets declared instead of loaded from the exchange's REST API: unified symbol → {id, type}. */
  markets: z.record(z.string().min(1), z.object({ id: z.string().min(1), type: z.enum(['spot', 'swap', 'future']).optional() }).strict()).optional(),
  reconnect: LiveReconnectConfig,
  closeGraceMs: z.number().int().min(0).default(DEFAULT_LIVE_CLOSE_GRACE_MS),
}).strict();

export const LiveFeedConfig = z.discriminatedUnion('kind', [WebSocketFeedConfig, CcxtProFeedConfig]);
