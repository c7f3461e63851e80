/**
 * The door's `createNatsEventPublisher`: loads the NATS publisher (nats-publisher.ts, with the
 * NATS client and JetStream packages, about 10 MB resident) when a publisher is first created,
 * so a process without `seamless.events.nats` never loads them.
 */
import type { NatsEventPublisher, NatsEventPublisherOptions } from './nats-publisher.js';

/** See nats-publisher.ts `createNatsEventPublisher`: connects, ensures the stream, then publishes. */
export async function createNatsEventPublisher(options: NatsEventPublisherOptions): Promise<NatsEventPublisher> {
  const { createNatsEventPublisher: create } = await import('./nats-publisher.js');
  return await create(options);
}
