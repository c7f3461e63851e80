/**
 * The `seamless.backfill` event feed of one Seamless instance: every coordinator event goes
 * into one bounded event stream (the gateway's `GET /v1/events` replays it), is logged under
 * the `seamless.backfill` logger when the coordinator does not log it already, and is published
 * to NATS JetStream when `seamless.events.nats` is configured.
 */
import type { BackfillEvent, BackfillEventType } from '../backfill/index.js';
import type { Clock } from '../core/index.js';
import { createEventStream, createNatsEventPublisher } from '../observability/index.js';
import type { EventStream, Logger } from '../observability/index.js';

/**
 * Event types a coordinator already logs, one line each; the feed logs every other type, so
 * each event is one log line, never two. remote-coordinator.ts logs none of its events.
 */
export const REMOTE_COORDINATOR_LOGS: ReadonlySet<BackfillEventType> = new Set<BackfillEventType>();
/** distributed-coordinator.ts logs `backfill job finished` (info) for each job_completed. */
export const DISTRIBUTED_COORDINATOR_LOGS: ReadonlySet<BackfillEventType> = new Set<BackfillEventType>(['job_completed']);

export interface BackfillEventFeedOptions {
  /** The coordinator (anything with its `subscribe`). */
  readonly source: { subscribe(listener: (event: BackfillEvent) => void): () => void };
  /** The `seamless.backfill` logger. */
  readonly logger: Logger;
  readonly clock: Clock;
  /** `seamless.events.nats` of the configuration. */
  readonly nats?: { readonly servers: readonly string[]; readonly stream: string; readonly subject: string } | undefined;
  /** Types the source logs itself (default: none, as for the remote coordinator). */
  readonly loggedBySource?: ReadonlySet<BackfillEventType>;
  /** Events kept for replay (SSE `Last-Event-ID`). */
  readonly bufferSize?: number;
}

export interface BackfillEventFeed {
  readonly events: EventStream<BackfillEvent>;
  /** Stops listening to the source and drains the NATS publisher. */
  close(): Promise<void>;
}

export async function createBackfillEventFeed(options: BackfillEventFeedOptions): Promise<BackfillEventFeed> {
  const { source, logger, clock } = options;
  const loggedBySource = options.loggedBySource ?? REMOTE_COORDINATOR_LOGS;
  const events = createEventStream<BackfillEvent>({
    ...(options.bufferSize !== undefined ? { bufferSize: options.bufferSize } : {}),
    // Ids from the wall clock (µs) keep growing across restarts: an SSE client's Last-Event-ID
    // from before a restart is older than every new event, so it gets the whole buffer.
    firstId: Math.max(1, Math.floor(clock.now()) * 1000 + 1),
    onListenerError: (error, event, id) => logger.error({ err: error, event: event.type, id }, 'backfill event listener threw'),
  });
  const nats = options.nats ? await createNatsEventPublisher({ ...options.nats, logger }) : undefined;
  const unsubscribeNats = nats ? events.subscribe((event, id) => nats.publish(event, id)) : undefined;
  const unsubscribeSource = source.subscribe((event) => {
    if (!loggedBySource.has(event.type)) logger.info(event, 'backfill event');
    events.publish(event);
  });
  let closed = false;
  return {
    events,
    async close() {
      if (closed) return;
      closed = true;
      unsubscribeSource();
      unsubscribeNats?.();
      await nats?.close();
    },
  };
}
