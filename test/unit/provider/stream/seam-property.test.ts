/**
 * The seam property: whatever the order of bar closes, replay reads (slow or fast, in chunks) and
 * reconnects with resume tokens, the closed bars a client receives, concatenated over all its
 * connections, are exactly the stored + live bars from `start`, ascending, with no gap and no
 * duplicate, per dataset.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DatasetKey } from '../../../../src/storage/index.js';
import { decodeResumeToken } from '../../../../src/provider/index.js';
import type { Subscription } from '../../../../src/provider/index.js';
import {
  MIN, OHLCV_SCHEMA, at, closedTs, collectingSink, createManualClock, createStreamFanOut, fakeLive, fakeStore, heldReplay, latestPositions, startSubscription,
  unbatched, valuesOf,
} from './stream-rig.js';
import type { Received } from './stream-rig.js';

const DATASETS: DatasetKey[] = [{ nodeId: 'ohlcv:p:A', intervalMs: MIN }, { nodeId: 'ohlcv:p:B', intervalMs: MIN }];

type Action =
  | { kind: 'close'; d: number }
  | { kind: 'again'; d: number }
  | { kind: 'building'; d: number }
  | { kind: 'answer' }
  | { kind: 'reconnect' };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('close' as const), d: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('again' as const), d: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('building' as const), d: fc.nat(1) }) },
  { weight: 4, arbitrary: fc.constant({ kind: 'answer' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reconnect' as const }) },
);

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('subscription seam (property)', () => {
  it('delivers exactly the stored and live bars from start, ascending, across closes, replay speeds and resumes', async () => {
    await fc.assert(fc.asyncProperty(
      fc.record({
        datasets: fc.integer({ min: 1, max: 2 }),
        history: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 2, maxLength: 2 }),
        holes: fc.array(fc.integer({ min: 0, max: 29 }), { maxLength: 4 }),
        startBar: fc.integer({ min: 0, max: 35 }),
        chunkBars: fc.integer({ min: 1, max: 8 }),
        actions: fc.array(action, { maxLength: 60 }),
        // Resume as the library does (newest token per dataset) or as EventSource does (the last event id).
        lastEventId: fc.boolean(),
        // Live messages of a turn one by one, as one JSON batch (`batch=true`) or as one binary Arrow batch (`encoding=arrow`).
        framing: fc.constantFrom('single' as const, 'json' as const, 'arrow' as const),
      }),
      async ({ datasets, history, holes, startBar, chunkBars, actions, lastEventId, framing }) => {
        const batch = framing !== 'single';
        const encoding = framing === 'arrow' ? 'arrow' as const : 'json' as const;
        const used = DATASETS.slice(0, datasets);
        const feed = fakeLive(used);
        const store = fakeStore();
        const replay = heldReplay(store);
        const fanOut = createStreamFanOut(feed.source);
        const next: number[] = [];
        for (let d = 0; d < used.length; d++) {
          // Stored history with holes (a hole stays a hole: the stream never invents bars).
          for (let k = 0; k < history[d]; k++) if (!holes.includes(k)) store.put(used[d], at(k));
          next.push(history[d]);
        }
        const clock = createManualClock(at(Math.max(...next)) + 5);
        const start = at(startBar);
        const all: Received[] = [];
        let positions = new Map<string, number>();
        let current: { sub: Subscription; received: Received[]; ids: (string | undefined)[] } | undefined;

        const connect = (): void => {
          const client = collectingSink();
          const sub = startSubscription({
            datasets: used.map((dataset) => ({ dataset, schema: OHLCV_SCHEMA })), start, positions, building: true,
            heartbeatMs: 3_600_000, maxBufferedBytes: 1 << 24, chunkBars, batch, encoding,
          }, { fanOut, replay: replay.reader, sink: client.sink, clock });
          current = { sub, received: client.received, ids: client.state.sseIds };
        };
        const disconnect = (): void => {
          if (!current) return;
          // The connection is gone: what the gateway sends while closing never arrives.
          const arrived = current.received.length;
          current.sub.close();
          const received = unbatched(current.received.slice(0, arrived));
          all.push(...received);
          if (lastEventId) {
            const id = current.ids.slice(0, arrived).filter((x) => x !== undefined).at(-1);
            if (id !== undefined) positions = decodeResumeToken(id, 'Last-Event-ID');
          } else {
            positions = latestPositions(received, positions);
          }
          current = undefined;
        };

        connect();
        for (const a of actions) {
          switch (a.kind) {
            case 'close':
            case 'again': {
              if (a.d >= used.length) break;
              if (a.kind === 'close') {
                const ts = at(next[a.d]++);
                // Closed bars are readable at once (storage or the live buffer the read blends).
                store.put(used[a.d], ts);
                clock.set(Math.max(clock.now(), ts + MIN + 5));
                feed.emit(used[a.d], ts, true);
              } else {
                // The feed sends its newest close again (a reconnect replays it): never a second bar.
                const last = store.all(used[a.d]).at(-1);
                if (last !== undefined) feed.emit(used[a.d], last, true, valuesOf(last));
              }
              break;
            }
            case 'building':
              if (a.d < used.length) feed.emit(used[a.d], at(next[a.d]), false);
              break;
            case 'answer':
              replay.answerOne();
              break;
            case 'reconnect':
              disconnect();
              connect();
              break;
            default: {
              const never: never = a;
              return never;
            }
          }
          await flush();
        }
        // Let the last connection catch up, then one more close per dataset arrives live.
        while (replay.answerOne()) await flush();
        await flush();
        for (let d = 0; d < used.length; d++) {
          const ts = at(next[d]++);
          store.put(used[d], ts);
          clock.set(Math.max(clock.now(), ts + MIN + 5));
          feed.emit(used[d], ts, true);
        }
        while (replay.answerOne()) await flush();
        await flush();
        disconnect();

        for (const d of used) {
          const expected = store.all(d).filter((t) => t >= start);
          const got = closedTs(all, d.nodeId);
          expect(got).toEqual(expected);
          // Values are the bar's own, building updates never count as closed bars.
          for (const m of all) {
            if (m.type !== 'bars' || m.node !== d.nodeId || !m.data) continue;
            for (let i = 0; i < m.data.ts.length; i++) expect(m.data.close[i]).toBe(valuesOf(m.data.ts[i])[3]);
          }
        }
      },
    ), { numRuns: 300 });
  });
});
