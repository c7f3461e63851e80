/**
 * The `stream` section of the configuration: subscriptions (`GET /v1/stream`, docs/streaming.md).
 * config-schema.ts composes it into the whole configuration.
 */
import { z } from 'zod';

/** Open subscriptions one gateway serves; past it a new one is refused with 503 `overloaded`. */
export const DEFAULT_STREAM_MAX_SUBSCRIBERS = 1_000;
/** Unsent bytes a subscriber may have before it is closed as a slow consumer (16 MiB; replay messages take at most a quarter). */
export const DEFAULT_STREAM_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
export const DEFAULT_STREAM_HEARTBEAT_MS = 15_000;
/** Bars per replay read and per replay message. */
export const DEFAULT_STREAM_REPLAY_CHUNK_BARS = 50_000;

export const StreamConfig = z.object({
  maxSubscribers: z.number().int().positive().default(DEFAULT_STREAM_MAX_SUBSCRIBERS),
  maxBufferedBytes: z.number().int().min(64 * 1024, 'must be at least 65536 bytes (one replay message must fit)').default(DEFAULT_STREAM_MAX_BUFFERED_BYTES),
  heartbeatMs: z.number().int().min(100).default(DEFAULT_STREAM_HEARTBEAT_MS),
  replayChunkBars: z.number().int().min(1).max(1_000_000).default(DEFAULT_STREAM_REPLAY_CHUNK_BARS),
}).strict();
export type StreamConfig = Readonly<z.infer<typeof StreamConfig>>;
