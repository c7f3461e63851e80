import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidRequestError, formatInterval } from '../../../../src/core/index.js';
import type { DatasetKey } from '../../../../src/storage/index.js';
import { decodeResumeToken, encodeResumeToken, positionKey } from '../../../../src/provider/index.js';
import type { StreamMessage, Subscription } from '../../../../src/provider/index.js';
import { datasetFragment, liveBarEncoder } from '../../../../src/provider/internal.js';
import type { StreamFanOut } from '../../../../src/provider/internal.js';
import {
  MIN, OHLCV_SCHEMA, at, closedTs, collectingSink, createManualClock, createStreamFanOut, fakeLive, fakeStore, heldReplay, latestPositions, startSubscription, unbatched,
} from './stream-rig.js';

const A: DatasetKey = { nodeId: 'ohlcv:test:A/USD', intervalMs: MIN };
const B: DatasetKey = { nodeId: 'ohlcv:test:B', intervalMs: MIN };
const subs: Subscription[] = [];
afterEach(() => { for (const s of subs.splice(0)) s.close(); });

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function rig(live: readonly DatasetKey[] = [A]) {
  const feed = fakeLive(live);
  const store = fakeStore();
  const replay = heldReplay(store);
  const clock = createManualClock(at(10) + 5);
  const fanOut = createStreamFanOut(feed.source);
  return { feed, store, replay, clock, fanOut };
}

function subscribe(
  r: ReturnType<typeof rig>, options: { datasets?: DatasetKey[]; start?: number; positions?: Map<string, number>; building?: boolean; maxBufferedBytes?: number; chunkBars?: number; fanOut?: StreamFanOut; batch?: boolean; encoding?: 'json' | 'arrow' } = {},
) {
  const client = collectingSink();
  const sub = startSubscription({
    datasets: (options.datasets ?? [A]).map((dataset) => ({ dataset, schema: OHLCV_SCHEMA })),
    start: options.start, positions: options.positions ?? new Map(), building: options.building ?? false,
    heartbeatMs: 60_000, maxBufferedBytes: options.maxBufferedBytes ?? 1 << 20, chunkBars: options.chunkBars ?? 4, batch: options.batch ?? false,
    ...(options.encoding !== undefined ? { encoding: options.encoding } : {}),
  }, { fanOut: options.fanOut ?? r.fanOut, replay: r.replay.reader, sink: client.sink, clock: r.clock });
  subs.push(sub);
  return { ...client, sub };
}

async function answerAll(r: ReturnType<typeof rig>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await flush();
    if (!r.replay.answerOne()) return;
  }
}

describe('subscription seam', () => {
  it('replays stored bars in chunks, then the bars that closed during the replay once, then live bars', async () => {
    const r = rig();
    for (let k = 0; k < 10; k++) r.store.put(A, at(k));
    const c = subscribe(r, { start: at(0) });
    await flush();
    // Bars 9 and 10 close while the first chunk is being read; 9 is also in storage.
    r.feed.emit(A, at(9), true);
    r.clock.set(at(11) + 5);
    r.feed.emit(A, at(10), true);
    await answerAll(r);
    await c.sub.started;
    r.feed.emit(A, at(11), true);
    r.feed.emit(A, at(11), true); // the same close again: not a second bar
    expect(closedTs(c.received, A.nodeId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(at));
    const phases = c.received.filter((m) => m.type === 'bars').map((m) => `${m.phase}:${m.data?.ts.length}`);
    expect(phases).toEqual(['replay:4', 'replay:4', 'replay:2', 'live:1', 'live:1']);
    expect(c.received[0]).toMatchObject({ type: 'subscribed', datasets: [{ node: A.nodeId, live: true, replayFrom: at(0) }] });
    expect(c.received.find((m) => m.type === 'caught_up')).toMatchObject({ node: A.nodeId, lastTs: at(10) });
  });

  it('without start follows live bars only, and says where it caught up', async () => {
    const r = rig();
    for (let k = 0; k < 10; k++) r.store.put(A, at(k));
    const c = subscribe(r);
    await c.sub.started;
    r.feed.emit(A, at(10), true);
    expect(closedTs(c.received, A.nodeId)).toEqual([at(10)]);
    expect(c.received.find((m) => m.type === 'caught_up')).toMatchObject({ lastTs: null });
    expect(r.replay.pending).toBe(0);
  });

  it('resumes exactly after the last bar of a token, whatever start says', async () => {
    const r = rig();
    for (let k = 0; k < 10; k++) r.store.put(A, at(k));
    const first = subscribe(r, { start: at(0), chunkBars: 2 });
    await answerAll(r);
    await first.sub.started;
    expect(closedTs(first.received, A.nodeId)).toHaveLength(10);
    // The client kept the messages up to bar 5 only (its connection dropped there): it resumes with their token.
    const upTo5 = first.received.filter((m) => m.type === 'bars' && (m.data?.ts.at(-1) ?? 0) <= at(5));
    const positions = latestPositions(upTo5);
    expect(positions.get(JSON.stringify([A.nodeId, MIN]))).toBe(at(5));
    first.sub.close();
    const second = subscribe(r, { start: at(0), positions });
    await answerAll(r);
    await second.sub.started;
    expect(closedTs(second.received, A.nodeId)).toEqual([6, 7, 8, 9].map(at));
    expect(second.received[0]).toMatchObject({ datasets: [{ replayFrom: at(6) }] });
  });

  it('sends building bars only when asked, marked final:false with no resume token, never at or before a delivered close', async () => {
    const r = rig();
    const plain = subscribe(r);
    const building = subscribe(r, { building: true });
    await Promise.all([plain.sub.started, building.sub.started]);
    r.feed.emit(A, at(10), false);
    r.feed.emit(A, at(10), true);
    r.feed.emit(A, at(10), false);
    r.feed.emit(A, at(11), false);
    const kinds = (c: typeof plain) => c.received.filter((m) => m.type === 'bars').map((m) => `${m.data?.ts[0]}:${m.final}:${m.resume !== undefined}`);
    expect(kinds(plain)).toEqual([`${at(10)}:true:true`]);
    expect(kinds(building)).toEqual([`${at(10)}:false:false`, `${at(10)}:true:true`, `${at(11)}:false:false`]);
    expect(closedTs(building.received, A.nodeId)).toEqual([at(10)]);
  });

  it('follows each dataset with one observer and shares one encoded message among its subscribers', async () => {
    const r = rig();
    const one = subscribe(r);
    const two = subscribe(r);
    await Promise.all([one.sub.started, two.sub.started]);
    expect(r.feed.observers(A)).toBe(1);
    const sent: Buffer[] = [];
    const spy = r.fanOut.join(A, OHLCV_SCHEMA, '"node":"x"', (bar) => sent.push(bar.message().bytes));
    const spy2 = r.fanOut.join(A, OHLCV_SCHEMA, '"node":"x"', (bar) => sent.push(bar.message().bytes));
    r.feed.emit(A, at(10), true);
    expect(sent).toHaveLength(2);
    expect(sent[0]).toBe(sent[1]);
    spy();
    spy2();
    one.sub.close();
    two.sub.close();
    expect(r.feed.observers(A)).toBe(0);
  });

  it('ends a subscriber whose unsent bytes would pass the bound with slow_consumer, and stops following for it', async () => {
    const r = rig();
    const c = subscribe(r, { maxBufferedBytes: 1_000 });
    await c.sub.started;
    r.feed.emit(A, at(10), true);
    expect(c.state.ended).toBeUndefined();
    c.state.buffered = 900; // the network stopped taking bytes
    r.feed.emit(A, at(11), true);
    expect(c.state.ended).toBe('slow_consumer');
    expect(c.sub.closed).toBe(true);
    expect(r.feed.observers(A)).toBe(0);
    expect(closedTs(c.received, A.nodeId)).toEqual([at(10)]);
  });

  it('bounds the live bars held during a replay (live_backlog)', async () => {
    const r = rig();
    r.store.put(A, at(0));
    const c = subscribe(r, { start: at(0), maxBufferedBytes: 200 });
    await flush();
    for (let k = 10; k < 20; k++) r.feed.emit(A, at(k), true);
    expect(c.state.ended).toBe('live_backlog');
    expect(r.feed.observers(A)).toBe(0);
  });

  it('replays a dataset without a live feed, says so, and then sends nothing but heartbeats', async () => {
    const r = rig([A]);
    for (let k = 0; k < 3; k++) r.store.put(B, at(k));
    const c = subscribe(r, { datasets: [A, B], start: at(0) });
    await answerAll(r);
    await c.sub.started;
    expect(c.received[0].datasets?.map((d) => d.live)).toEqual([true, false]);
    expect(closedTs(c.received, B.nodeId)).toEqual([0, 1, 2].map(at));
    expect(c.received.filter((m) => m.type === 'caught_up').map((m) => m.node)).toEqual([A.nodeId, B.nodeId]);
  });

  it('ends with an error message naming the field when the replay read is refused', async () => {
    const r = rig();
    const client = collectingSink();
    const sub = startSubscription({
      datasets: [{ dataset: A, schema: OHLCV_SCHEMA }], start: at(0), positions: new Map(), building: false,
      heartbeatMs: 60_000, maxBufferedBytes: 1 << 20, chunkBars: 100,
    }, { fanOut: r.fanOut, replay: () => Promise.reject(new InvalidRequestError('strategy', 'no data')), sink: client.sink, clock: r.clock });
    subs.push(sub);
    await sub.started;
    expect(client.state.ended).toBe('replay_failed');
    expect(client.received.at(-1)).toMatchObject({ type: 'error', error: { code: 'invalid_request', details: { field: 'strategy' } } });
    expect(r.feed.observers(A)).toBe(0);
  });
});

describe('batched live delivery (batch=true)', () => {
  const C: DatasetKey = { nodeId: 'ohlcv:test:C', intervalMs: MIN };

  it('sends the closes of one event-loop turn as one batch message, in order, and the next turn as another', async () => {
    const r = rig([A, B, C]);
    const c = subscribe(r, { datasets: [A, B, C], batch: true });
    await c.sub.started;
    const before = c.received.length;
    r.feed.emit(A, at(10), true);
    r.feed.emit(B, at(10), true);
    r.feed.emit(C, at(10), true);
    expect(c.received.length).toBe(before); // nothing leaves before the turn ends
    await flush();
    r.feed.emit(A, at(11), true);
    r.feed.emit(B, at(11), true);
    await flush();
    const frames = c.received.slice(before);
    expect(frames.map((m) => `${m.type}:${m.messages?.length ?? 1}`)).toEqual(['batch:3', 'batch:2']);
    expect(frames[0].messages?.map((m) => m.node)).toEqual([A.nodeId, B.nodeId, C.nodeId]);
    const flat = unbatched(c.received);
    expect(closedTs(flat, A.nodeId)).toEqual([at(10), at(11)]);
    expect(closedTs(flat, C.nodeId)).toEqual([at(10)]);
    // Each element is the message a subscriber without batch receives, resume token included.
    expect(latestPositions(flat).get(positionKey(B.nodeId, MIN))).toBe(at(11));
  });

  it('builds one batch per turn for subscribers that follow the same datasets, shared as the same bytes', async () => {
    const r = rig([A, B]);
    const one = subscribe(r, { datasets: [A, B], batch: true });
    const two = subscribe(r, { datasets: [A, B], batch: true });
    const other = subscribe(r, { datasets: [B], batch: true });
    await Promise.all([one.sub.started, two.sub.started, other.sub.started]);
    const sent: Buffer[][] = [[], [], []];
    [one, two, other].forEach((c, i) => {
      const send = c.sink.send.bind(c.sink);
      c.sink.send = (message, resume) => { sent[i].push(message.bytes); send(message, resume); };
    });
    r.feed.emit(A, at(10), true);
    r.feed.emit(B, at(10), true);
    await flush();
    expect(sent[0]).toHaveLength(1);
    expect(sent[1][0]).toBe(sent[0][0]); // the very same Buffer: encoded once
    expect(closedTs(unbatched(two.received), B.nodeId)).toEqual([at(10)]);
    expect(closedTs(unbatched(other.received), B.nodeId)).toEqual([at(10)]);
    expect(other.received.at(-1)).toMatchObject({ type: 'bars', node: B.nodeId });
  });

  it('sends a single pending message as itself, not wrapped', async () => {
    const r = rig();
    const c = subscribe(r, { batch: true });
    await c.sub.started;
    r.feed.emit(A, at(10), true);
    await flush();
    expect(c.received.at(-1)).toMatchObject({ type: 'bars', node: A.nodeId, phase: 'live', final: true });
  });

  it('never lets a message carry a resume position whose bar is still waiting in the batch', async () => {
    const r = rig([A, B]);
    for (let k = 0; k < 10; k++) r.store.put(A, at(k));
    // B replays first (nothing stored), then A; B's live closes pend while A's replay messages go out.
    const c = subscribe(r, { datasets: [B, A], start: at(0), batch: true, chunkBars: 2 });
    const caughtUp = (d: DatasetKey): boolean => c.received.some((m) => m.type === 'caught_up' && m.node === d.nodeId);
    for (let i = 0; i < 100 && !caughtUp(B); i++) {
      await flush();
      r.replay.answerOne();
    }
    expect(caughtUp(B)).toBe(true);
    await flush();
    expect(r.replay.pending).toBe(1); // A's first read
    r.feed.emit(B, at(10), true); // pends until the turn ends; A's first replay message goes out in this turn
    r.replay.answerOne();
    await answerAll(r);
    await c.sub.started;
    await flush();
    const flat = unbatched(c.received);
    expect(closedTs(flat, B.nodeId)).toEqual([at(10)]);
    expect(closedTs(flat, A.nodeId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(at));
    // Walk the frames in order: each frame's whole token (SSE id) names only bars sent by then.
    // Before any bar, a token names the bar before `start` (nothing before it is wanted).
    const sent = new Map([A, B].map((d) => [positionKey(d.nodeId, MIN), at(0) - MIN]));
    c.received.forEach((frame, i) => {
      latestPositions(unbatched([frame]), sent);
      const id = c.state.sseIds[i];
      if (id === undefined) return;
      for (const [key, ts] of decodeResumeToken(id, 'resume')) expect(ts, `frame ${i} (${frame.type}) names ${key} at ${ts}`).toBeLessThanOrEqual(sent.get(key) ?? -Infinity);
    });
  });

  it('counts the bars waiting in the batch against the bound: slow_consumer, and nothing past it is sent', async () => {
    const r = rig([A, B, C]);
    const c = subscribe(r, { datasets: [A, B, C], batch: true, maxBufferedBytes: 600 });
    await c.sub.started;
    const before = c.received.length;
    for (let k = 10; k < 20; k++) r.feed.emit(A, at(k), true);
    expect(c.state.ended).toBe('slow_consumer');
    await flush();
    expect(closedTs(unbatched(c.received.slice(before)), A.nodeId)).toEqual([]);
    expect(c.received.at(-1)).toMatchObject({ type: 'error', error: { code: 'overloaded' } });
    expect(r.feed.observers(A)).toBe(0);
  });

  it('sends the pending batch before it ends normally', async () => {
    const r = rig();
    const c = subscribe(r, { batch: true });
    await c.sub.started;
    r.feed.emit(A, at(10), true);
    r.feed.emit(A, at(11), true);
    c.sub.close('shutdown');
    expect(closedTs(unbatched(c.received), A.nodeId)).toEqual([at(10), at(11)]);
    expect(c.state.ended).toBe('shutdown');
  });
});

describe('binary live batches (batch=true, encoding=arrow)', () => {
  const C: DatasetKey = { nodeId: 'ohlcv:test:C', intervalMs: MIN };

  it('sends a turn\'s bars as one binary frame, built once and shared by subscribers of the same datasets; replay and control stay JSON', async () => {
    const r = rig([A, B, C]);
    for (let k = 0; k < 3; k++) r.store.put(A, at(k));
    const one = subscribe(r, { datasets: [A, B, C], batch: true, encoding: 'arrow', start: at(0) });
    const two = subscribe(r, { datasets: [A, B, C], batch: true, encoding: 'arrow' });
    const json = subscribe(r, { datasets: [A, B, C], batch: true });
    const sent: StreamMessage[][] = [[], [], []];
    [one, two, json].forEach((c, i) => {
      const send = c.sink.send.bind(c.sink);
      c.sink.send = (message, resume) => { sent[i].push(message); send(message, resume); };
    });
    await answerAll(r);
    await Promise.all([one.sub.started, two.sub.started, json.sub.started]);
    expect(sent[0].every((m) => m.binary !== true)).toBe(true); // replay, caught_up: JSON
    expect(one.received.filter((m) => m.type === 'bars' && m.phase === 'replay')).not.toHaveLength(0);
    const before = sent.map((s) => s.length);
    r.feed.emit(A, at(10), true);
    r.feed.emit(B, at(10), true);
    r.feed.emit(C, at(10), true);
    r.feed.emit(A, at(11), false); // a building update, not asked for: not sent
    await flush();
    const live = sent.map((s, i) => s.slice(before[i]));
    expect(live.map((s) => s.length)).toEqual([1, 1, 1]);
    expect(live[0][0]).toMatchObject({ type: 'batch', binary: true, bars: 3 });
    expect(live[1][0].bytes).toBe(live[0][0].bytes); // the very same Buffer: built once
    expect(live[2][0].binary).not.toBe(true);
    const rows = one.received.at(-1)?.messages ?? [];
    expect(rows.map((m) => `${m.node}@${m.data?.ts[0]}:${m.final}`)).toEqual([A, B, C].map((d) => `${d.nodeId}@${at(10)}:true`));
    // What a JSON subscriber gets, bar for bar, values and resume positions included.
    const fromJson = unbatched(json.received.slice(-1));
    expect(rows).toEqual(fromJson);
  });

  it('groups a turn\'s rows by dataset, keeps each dataset\'s order, and carries building updates as final false without a position', async () => {
    const r = rig([A, B]);
    const c = subscribe(r, { datasets: [A, B], batch: true, encoding: 'arrow', building: true });
    await c.sub.started;
    r.feed.emit(A, at(10), false);
    r.feed.emit(B, at(10), true);
    r.feed.emit(A, at(10), true);
    r.feed.emit(A, at(11), false);
    await flush();
    const rows = c.received.at(-1)?.messages ?? [];
    expect(rows.map((m) => `${m.node}@${m.data?.ts[0]}:${m.final}`)).toEqual([
      `${A.nodeId}@${at(10)}:false`, `${A.nodeId}@${at(10)}:true`, `${A.nodeId}@${at(11)}:false`, `${B.nodeId}@${at(10)}:true`,
    ]);
    expect(latestPositions(rows)).toEqual(new Map([[positionKey(A.nodeId, MIN), at(10)], [positionKey(B.nodeId, MIN), at(10)]]));
  });

  it('counts the Arrow bytes waiting in the batch against the bound: slow_consumer, nothing past it sent', async () => {
    const r = rig([A, B, C]);
    // Ten rows of 4 + 8 + 40 + 1 bytes and the 16-character node id pass 600 bytes at the tenth.
    const c = subscribe(r, { datasets: [A, B, C], batch: true, encoding: 'arrow', maxBufferedBytes: 600 });
    await c.sub.started;
    const before = c.received.length;
    for (let k = 10; k < 20; k++) r.feed.emit(A, at(k), true);
    expect(c.state.ended).toBe('slow_consumer');
    await flush();
    expect(closedTs(unbatched(c.received.slice(before)), A.nodeId)).toEqual([]);
    expect(c.received.at(-1)).toMatchObject({ type: 'error', error: { code: 'overloaded' } });
  });
});

describe('live bar encoder', () => {
  it('writes the one-row bars message a JSON encoder would, with the one-position resume token', () => {
    fc.assert(fc.property(
      fc.constantFrom('ohlcv:binance:BTC/USDT', 'ohlcv:x:"quoted"\\ü', 'e'), fc.constantFrom(60_000, 3_600_000),
      fc.integer({ min: 0, max: 4_000_000_000_000 }), fc.array(fc.oneof(fc.double(), fc.constantFrom(Number.NaN, Infinity, -0)), { minLength: 5, maxLength: 5 }), fc.boolean(),
      (node, intervalMs, ts, values, final) => {
        const columns = ['open', 'high', 'low', 'close', 'volume'];
        const encode = liveBarEncoder(datasetFragment(node, intervalMs), columns, node, intervalMs);
        const data: Record<string, number[]> = { ts: [ts] };
        columns.forEach((c, i) => { data[c] = [values[i]]; });
        const resume = final ? { resume: encodeResumeToken(new Map([[positionKey(node, intervalMs), ts]])) } : {};
        const expected = JSON.stringify({ type: 'bars', node, interval: formatInterval(intervalMs), phase: 'live', final, data, ...resume });
        const message = encode(ts, Float64Array.from(values), final);
        expect(message.bytes.toString('utf8')).toBe(expected);
        expect(message.bars).toBe(final ? 1 : 0);
      },
    ), { numRuns: 300 });
  });
});
