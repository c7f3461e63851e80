import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { BackfillEvent } from '../../src/backfill/index.js';
import { createEventStream, createNatsEventPublisher, silentLogger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';
import { eventsRoute } from '../../src/gateway/internal.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startNatsServer } from '../harness/nats-server.js';
import type { NatsServer } from '../harness/nats-server.js';
import { gatewayForSuite } from '../helpers/in-process-gateway.js';

const BTC = 'ohlcv:demo:BTC-USD';
const ETH = 'ohlcv:demo:ETH-USD';

interface SseEvent { readonly id: number; readonly type: string; readonly data: BackfillEvent }

/** A minimal SSE reader over fetch: parses frames and comments as they arrive. */
async function openEvents(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let ended = false;
  let wake: () => void = () => undefined;
  const pump = (async () => {
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let id = Number.NaN;
          let type = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) id = Number(line.slice(4));
            else if (line.startsWith('event: ')) type = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data !== '') events.push({ id, type, data: JSON.parse(data) as BackfillEvent });
          end = buffer.indexOf('\n\n');
        }
        wake();
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    } finally {
      ended = true;
      wake();
    }
  })();
  /** Waits (event-driven, bounded) until `predicate` holds over what arrived. */
  async function until(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (ended) throw new Error(`event stream ended before ${what}; got ${events.map((e) => e.type).join(', ')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${events.map((e) => e.type).join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => { clearTimeout(timer); resolve(); };
      });
    }
  }
  return {
    res, events, comments, until,
    ended: () => ended,
    async close() {
      controller.abort();
      await pump;
    },
  };
}

function jobCompleted(events: readonly BackfillEvent[], jobId: string): boolean {
  return events.some((e) => e.type === 'job_completed' && e.jobId === jobId);
}

describe('GET /v1/events (Server-Sent Events over a real gateway)', () => {
  const gateway = gatewayForSuite((dataDir) => ({
    overrides: { dataDir, seamless: { backfill: { barsPerShard: 100, concurrency: 2 } } },
  }));

  it('streams the claimed, completed and job_completed events of a backfill in order, and resumes after Last-Event-ID', async () => {
    const own: { id: number; event: BackfillEvent }[] = [];
    const unsubscribe = gateway.seamless.events.subscribe((event, id) => { own.push({ id, event }); });
    const stream = await openEvents(`${gateway.url}/v1/events`);
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get('content-type')).toContain('text/event-stream');

    const post = await fetch(`${gateway.url}/v1/backfills`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ node: BTC, interval: '1m', start: '2024-03-01T00:00:00Z', end: '2024-03-01T05:00:00Z' }),
    });
    expect(post.status).toBe(202);
    const { job } = await post.json() as { job: { id: string; totalShards: number } };
    expect(job.totalShards).toBeGreaterThanOrEqual(3);

    await stream.until(() => jobCompleted(stream.events.map((e) => e.data), job.id), 'job_completed');
    await stream.close();
    unsubscribe();

    const got = stream.events;
    // Exactly what the facade's own subscription saw, same ids, same order.
    expect(got.map((e) => [e.id, e.type])).toEqual(own.map((o) => [o.id, o.event.type]));
    expect(got.map((e) => e.data)).toEqual(own.map((o) => o.event));
    for (let i = 1; i < got.length; i++) expect(got[i].id).toBeGreaterThan(got[i - 1].id);
    for (const e of got) expect(e.type).toBe(e.data.type);

    const types = got.map((e) => e.type);
    expect(types.filter((t) => t === 'claimed')).toHaveLength(job.totalShards);
    expect(types.filter((t) => t === 'completed')).toHaveLength(job.totalShards);
    expect(types.at(-1)).toBe('job_completed');
    // Each shard is claimed before it completes.
    for (const e of got) {
      if (e.data.type !== 'completed') continue;
      const shard = e.data.shard;
      const claimedAt = got.findIndex((c) => c.data.type === 'claimed' && c.data.shard === shard);
      expect(claimedAt).toBeGreaterThanOrEqual(0);
      expect(claimedAt).toBeLessThan(got.indexOf(e));
    }

    // Reconnect with the id of the first event: the rest is replayed from the buffer, in order.
    const resumed = await openEvents(`${gateway.url}/v1/events`, { 'last-event-id': String(got[0].id) });
    await resumed.until(() => jobCompleted(resumed.events.map((e) => e.data), job.id), 'the replayed job_completed');
    await resumed.close();
    expect(resumed.events.map((e) => e.id)).toEqual(got.slice(1).map((e) => e.id));
    expect(resumed.events.map((e) => e.data)).toEqual(got.slice(1).map((e) => e.data));
  });
});

describe('events route (heartbeats and cleanup)', () => {
  it('sends heartbeat comments, unsubscribes when the client goes away, and ends open streams when the gateway closes', async () => {
    const events = createEventStream<BackfillEvent>({ bufferSize: 16 });
    const app = Fastify();
    eventsRoute(app, events, { heartbeatMs: 50 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const address = app.server.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1/events`;

      const a = await openEvents(url);
      await a.until(() => a.comments.includes('heartbeat'), 'a heartbeat comment', 5_000);
      expect(events.stats().listeners).toBe(1);
      events.publish({ type: 'requeued', shard: 's1', reason: 'retry', at: 1 });
      await a.until(() => a.events.length === 1, 'the live event', 5_000);
      expect(a.events[0]).toMatchObject({ type: 'requeued', data: { shard: 's1' } });
      await a.close();
      await waitFor(() => events.stats().listeners === 0, 'the subscription to be released');

      const b = await openEvents(url);
      await waitFor(() => events.stats().listeners === 1, 'the second subscription');
      await app.close();
      await b.until(() => b.ended(), 'the stream to end when the gateway closes', 5_000);
      expect(events.stats().listeners).toBe(0);
      await b.close();
    } finally {
      await app.close();
    }
  });
});

/** Polls a cheap in-process condition (no I/O) for at most `timeoutMs`. */
async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('NATS JetStream publishing of backfill events (real nats-server)', () => {
  let nats: NatsServer;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    nats = await startNatsServer();
    dir = await tempDir();
  });

  afterAll(async () => {
    await nats?.stop();
    await dir?.remove();
  });

  it('delivers every event of a job, in order, to a JetStream consumer of the one subject', async () => {
    const stream = 'SEAMLESS_TEST';
    const subject = 'seamless.backfill';
    const seamless = await createSeamless({
      overrides: {
        dataDir: dir.path,
        seamless: {
          backfill: { barsPerShard: 60, concurrency: 3 },
          events: { nats: { servers: [nats.url], stream, subject } },
        },
      },
      env: {}, logger: silentLogger(),
    });
    const own: { id: number; event: BackfillEvent }[] = [];
    const finished = new Set<string>();
    let wake: () => void = () => undefined;
    seamless.events.subscribe((event, id) => {
      own.push({ id, event });
      if (event.type === 'job_completed') {
        finished.add(event.jobId);
        wake();
      }
    });
    let jobId = '';
    try {
      const job = await seamless.backfill({ nodeId: ETH, interval: '1m', start: '2024-02-01T00:00:00Z', end: '2024-02-01T10:00:00Z' });
      jobId = job.id;
      expect(job.totalShards).toBeGreaterThanOrEqual(10);
      const done = await seamless.waitBackfill(job.id);
      expect(done.completionRatio).toBe(1);
      // The job's last event (job_completed) may follow the job's settlement by a turn.
      if (!finished.has(job.id)) await new Promise<void>((resolve) => { wake = resolve; });
    } finally {
      // close() drains the publisher: every event is stored once it returns.
      await seamless.close();
    }
    expect(jobCompleted(own.map((o) => o.event), jobId)).toBe(true);
    expect(own.length).toBeGreaterThanOrEqual(21);

    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(stream);
      expect(info.config.subjects).toEqual([subject]);
      expect(info.state.messages).toBe(own.length);
      // One subject per consumer: nats-server 2.9 has no filter_subjects.
      await jsm.consumers.add(stream, {
        durable_name: 'events-test', filter_subject: subject, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All,
      });
      const consumer = await jetstream(nc).consumers.get(stream, 'events-test');
      const received: { type: string | undefined; msgId: string | undefined; event: BackfillEvent }[] = [];
      while (received.length < own.length) {
        const batch = await consumer.fetch({ max_messages: own.length - received.length, expires: 2_000 });
        let n = 0;
        for await (const m of batch) {
          n++;
          received.push({ type: m.headers?.get('seamless-event-type'), msgId: m.headers?.get('Nats-Msg-Id'), event: m.json<BackfillEvent>() });
          m.ack();
        }
        if (n === 0) break;
      }
      expect(received.map((r) => r.event)).toEqual(own.map((o) => o.event));
      expect(received.map((r) => r.type)).toEqual(own.map((o) => o.event.type));
      const msgIds = received.map((r) => r.msgId);
      expect(new Set(msgIds).size).toBe(own.length);
      expect(msgIds.map((m) => Number(String(m).split('-').at(-1)))).toEqual(own.map((o) => o.id));
    } finally {
      await nc.close();
    }
  });

  it('bounds its queue while the server is gone (dropping the oldest) and does not hang on close', async () => {
    const own = await startNatsServer();
    try {
      const publisher = await createNatsEventPublisher({
        servers: [own.url], stream: 'BOUNDED', subject: 'bounded.events', logger: silentLogger(), queueSize: 3, closeTimeoutMs: 300, publishTimeoutMs: 500,
      });
      // One in flight plus a full queue of 3: nothing is dropped.
      for (let i = 1; i <= 4; i++) {
        const event = { type: 'claimed', n: i };
        publisher.publish(event, i);
      }
      await publisher.flush();
      expect(publisher.stats()).toMatchObject({ published: 4, dropped: 0, queued: 0 });

      await own.stop();
      // One message goes in flight at once; the queue keeps the newest 3 of the other 9.
      for (let i = 6; i <= 15; i++) {
        const event = { type: 'heartbeat', n: i };
        publisher.publish(event, i);
      }
      expect(publisher.stats()).toMatchObject({ queued: 4, dropped: 6 });
      // close() gives up after closeTimeoutMs and drops what is left instead of hanging.
      await publisher.close();
      expect(publisher.stats()).toMatchObject({ published: 4, dropped: 10, queued: 0 });
    } finally {
      await own.stop();
    }
  });
});
