import { describe, expect, expectTypeOf, it } from 'vitest';
import { InvalidRequestError } from '../../../src/core/index.js';
import { createEventStream } from '../../../src/observability/index.js';
import type { EventStream } from '../../../src/observability/index.js';

type TestEvent =
  | { readonly type: 'claimed'; readonly shard: string }
  | { readonly type: 'completed'; readonly shard: string; readonly rows: number };

const claimed = (shard: string): TestEvent => ({ type: 'claimed', shard });

function collect(stream: EventStream<TestEvent>, options?: Parameters<EventStream<TestEvent>['subscribe']>[1]) {
  const seen: { id: number; event: TestEvent }[] = [];
  const unsubscribe = stream.subscribe((event, id) => { seen.push({ id, event }); }, options);
  return { seen, ids: () => seen.map((s) => s.id), shards: () => seen.map((s) => s.event.shard), unsubscribe };
}

describe('event stream', () => {
  it('delivers events to every listener in publish order with strictly increasing ids', () => {
    const stream = createEventStream<TestEvent>();
    const a = collect(stream);
    const b = collect(stream);
    const ids = ['s1', 's2', 's3'].map((s) => stream.publish(claimed(s)));
    expect(ids).toEqual([1, 2, 3]);
    expect(a.shards()).toEqual(['s1', 's2', 's3']);
    expect(b.ids()).toEqual([1, 2, 3]);
    expect(stream.stats()).toMatchObject({ published: 3, lastId: 3, oldestId: 1, buffered: 3, listeners: 2 });
  });

  it('starts ids at firstId', () => {
    const stream = createEventStream<TestEvent>({ firstId: 1_700_000_000_000_001 });
    expect(stream.publish(claimed('s1'))).toBe(1_700_000_000_000_001);
    expect(stream.publish(claimed('s2'))).toBe(1_700_000_000_000_002);
  });

  it('stops delivering after unsubscribe, and unsubscribing twice is harmless', () => {
    const stream = createEventStream<TestEvent>();
    const a = collect(stream);
    stream.publish(claimed('s1'));
    a.unsubscribe();
    a.unsubscribe();
    stream.publish(claimed('s2'));
    expect(a.shards()).toEqual(['s1']);
    expect(stream.stats().listeners).toBe(0);
  });

  it('replays the last N buffered events before live ones', () => {
    const stream = createEventStream<TestEvent>();
    for (const s of ['s1', 's2', 's3', 's4']) stream.publish(claimed(s));
    const late = collect(stream, { replay: 2 });
    expect(late.shards()).toEqual(['s3', 's4']);
    stream.publish(claimed('s5'));
    expect(late.ids()).toEqual([3, 4, 5]);
    expect(collect(stream, { replay: 100 }).ids()).toEqual([1, 2, 3, 4, 5]);
    expect(collect(stream).ids()).toEqual([]);
  });

  it('resumes after a Last-Event-ID: replays exactly the buffered events with a greater id', () => {
    const stream = createEventStream<TestEvent>();
    for (const s of ['s1', 's2', 's3', 's4']) stream.publish(claimed(s));
    expect(collect(stream, { after: 2 }).ids()).toEqual([3, 4]);
    expect(collect(stream, { after: 4 }).ids()).toEqual([]);
    expect(collect(stream, { after: 0 }).ids()).toEqual([1, 2, 3, 4]);
    // An id this stream never issued (another epoch) replays everything buffered.
    expect(collect(stream, { after: 99 }).ids()).toEqual([1, 2, 3, 4]);
    expect(collect(stream, { after: 1, replay: 2 }).ids()).toEqual([3, 4]);
  });

  it('keeps only the last bufferSize events, so replay is bounded', () => {
    const stream = createEventStream<TestEvent>({ bufferSize: 3 });
    for (let i = 1; i <= 10; i++) stream.publish(claimed(`s${i}`));
    expect(stream.stats()).toMatchObject({ published: 10, lastId: 10, oldestId: 8, buffered: 3 });
    expect(collect(stream, { replay: 10 }).ids()).toEqual([8, 9, 10]);
    // Events older than the buffer are gone: resuming from id 2 replays what is left.
    expect(collect(stream, { after: 2 }).ids()).toEqual([8, 9, 10]);
    expect(collect(stream, { after: 8 }).ids()).toEqual([9, 10]);
  });

  it('isolates a throwing listener: the publisher never sees the error and the others still run', () => {
    const reported: { error: unknown; type: string; id: number }[] = [];
    const stream = createEventStream<TestEvent>({ onListenerError: (error, event, id) => { reported.push({ error, type: event.type, id }); } });
    const before = collect(stream);
    stream.subscribe(() => { throw new InvalidRequestError('listener', 'boom'); });
    const after = collect(stream);
    expect(() => stream.publish(claimed('s1'))).not.toThrow();
    expect(stream.publish({ type: 'completed', shard: 's1', rows: 5 })).toBe(2);
    expect(before.ids()).toEqual([1, 2]);
    expect(after.ids()).toEqual([1, 2]);
    expect(stream.stats().listenerErrors).toBe(2);
    expect(reported.map((r) => [r.type, r.id])).toEqual([['claimed', 1], ['completed', 2]]);
    expect(reported[0].error).toBeInstanceOf(InvalidRequestError);
  });

  it('counts a listener that throws during replay without failing subscribe', () => {
    const stream = createEventStream<TestEvent>();
    stream.publish(claimed('s1'));
    expect(() => stream.subscribe(() => { throw new InvalidRequestError('listener', 'boom'); }, { replay: 1 })).not.toThrow();
    expect(stream.stats().listenerErrors).toBe(1);
  });

  it('lets a listener unsubscribe itself or subscribe another while an event is delivered', () => {
    const stream = createEventStream<TestEvent>();
    const seen: string[] = [];
    let unsubscribeSelf: () => void = () => undefined;
    unsubscribeSelf = stream.subscribe((e) => {
      seen.push(`once:${e.shard}`);
      unsubscribeSelf();
      stream.subscribe((e2) => { seen.push(`added:${e2.shard}`); });
    });
    stream.subscribe((e) => { seen.push(`other:${e.shard}`); });
    stream.publish(claimed('s1'));
    stream.publish(claimed('s2'));
    // The listener added during s1 does not also get s1 (it subscribed without replay).
    expect(seen).toEqual(['once:s1', 'other:s1', 'other:s2', 'added:s2']);
  });

  it('rejects a buffer size that is not a positive integer', () => {
    expect(() => createEventStream({ bufferSize: 0 })).toThrow(InvalidRequestError);
    expect(() => createEventStream({ bufferSize: 1.5 })).toThrow(InvalidRequestError);
  });

  it('types listeners with the event union', () => {
    const stream = createEventStream<TestEvent>();
    stream.subscribe((event, id) => {
      expectTypeOf(id).toEqualTypeOf<number>();
      if (event.type === 'completed') expectTypeOf(event.rows).toEqualTypeOf<number>();
    });
    expectTypeOf(stream.publish).parameter(0).toEqualTypeOf<TestEvent>();
  });
});
