/**
 * Fakes behind our own stream interfaces: a live bar source the test closes bars on, a store of
 * bars the replay reads (snapshot taken when the read starts, answered when the test says), a
 * sink that decodes what the client would receive. No timers: the test drives every step.
 */
import { OHLCV_SCHEMA, allocateFrame, decodeLiveBatchArrow, emptyFrame, formatInterval } from '../../../../src/core/index.js';
import type { Frame, TimeRange } from '../../../../src/core/index.js';
import { createManualClock } from '../../../../src/core/internal.js';
import { createStreamFanOut, startSubscription } from '../../../../src/provider/internal.js';
import type { LiveBarSource, ReplayReader } from '../../../../src/provider/internal.js';
import { decodeResumeToken, encodeResumeToken, positionKey } from '../../../../src/provider/index.js';
import type { StreamEndReason, StreamMessage, StreamSink } from '../../../../src/provider/index.js';
import type { DatasetKey } from '../../../../src/storage/index.js';

export const MIN = 60_000;
export const T0 = Date.UTC(2024, 0, 1);
export const at = (k: number): number => T0 + k * MIN;
export const valuesOf = (ts: number): Float64Array => Float64Array.of(ts / MIN, ts / MIN + 1, ts / MIN - 1, ts / MIN + 0.5, 7);

/** What a client received, decoded. */
export interface Received {
  readonly type: string;
  readonly node?: string;
  readonly interval?: string;
  readonly phase?: string;
  readonly final?: boolean;
  readonly data?: Record<string, number[]>;
  readonly resume?: string;
  readonly lastTs?: number | null;
  readonly datasets?: { node: string; live: boolean; replayFrom: number | null }[];
  readonly error?: { code: string; message: string; details: Record<string, unknown> };
  /** A `batch` message's elements. */
  readonly messages?: Received[];
  /** A binary (Arrow) batch, decoded into `messages`. */
  readonly binary?: boolean;
}

export function decode(message: StreamMessage): Received {
  return message.binary === true ? decodeArrowBatch(message.bytes) : JSON.parse(message.bytes.toString('utf8')) as Received;
}

/**
 * A binary (Arrow) batch as the `batch` of one-bar `bars` messages it stands for, each closed one
 * with the resume token a client derives from its dataset's (node, interval, ts).
 */
export function decodeArrowBatch(bytes: Uint8Array): Received {
  const b = decodeLiveBatchArrow(bytes);
  const messages: Received[] = [];
  for (let i = 0; i < b.ts.length; i++) {
    const node = b.nodes[b.nodeIndex[i]];
    const data: Record<string, number[]> = { ts: [b.ts[i]] };
    b.schema.columns.forEach((c, k) => { data[c.name] = [b.values[k][i]]; });
    const final = b.final[i] === 1;
    messages.push({ type: 'bars', node, interval: formatInterval(b.intervalMs), phase: b.phase, final, data, ...(final ? { resume: encodeResumeToken(new Map([[positionKey(node, b.intervalMs), b.ts[i]]])) } : {}) });
  }
  return { type: 'batch', messages, binary: true };
}

/** A live source: `close(dataset, ts)` is a feed delivering a closed bar. */
export function fakeLive(datasets: readonly DatasetKey[]) {
  const listeners = new Map<string, Set<(ts: number, v: Float64Array, closed: boolean) => void>>();
  for (const d of datasets) listeners.set(positionKey(d.nodeId, d.intervalMs), new Set());
  const source: LiveBarSource = {
    has: (d) => listeners.has(positionKey(d.nodeId, d.intervalMs)),
    observe(d, listener) {
      const set = listeners.get(positionKey(d.nodeId, d.intervalMs));
      if (!set) throw new RangeError('not live');
      set.add(listener);
      return () => set.delete(listener);
    },
  };
  return {
    source,
    emit(d: DatasetKey, ts: number, closed: boolean, values: Float64Array = valuesOf(ts)): void {
      for (const l of listeners.get(positionKey(d.nodeId, d.intervalMs)) ?? []) l(ts, values, closed);
    },
    observers: (d: DatasetKey): number => listeners.get(positionKey(d.nodeId, d.intervalMs))?.size ?? 0,
  };
}

/** Bars per dataset (ts → values): what storage plus the live buffer answer a read with. */
export function fakeStore() {
  const bars = new Map<string, Map<number, Float64Array>>();
  const of = (d: DatasetKey): Map<number, Float64Array> => {
    const k = positionKey(d.nodeId, d.intervalMs);
    let m = bars.get(k);
    if (!m) bars.set(k, (m = new Map()));
    return m;
  };
  function read(d: DatasetKey, range: TimeRange): Frame {
    const ts = [...of(d).keys()].filter((t) => t >= range.start && t < range.end).sort((a, b) => a - b);
    if (ts.length === 0) return emptyFrame(OHLCV_SCHEMA);
    const frame = allocateFrame(OHLCV_SCHEMA, ts.length);
    for (let i = 0; i < ts.length; i++) {
      frame.ts[i] = ts[i];
      const row = of(d).get(ts[i]) as Float64Array;
      for (let c = 0; c < row.length; c++) (frame.values[c] as Float64Array)[i] = row[c];
    }
    return frame;
  }
  return { put: (d: DatasetKey, ts: number) => of(d).set(ts, valuesOf(ts)), all: (d: DatasetKey) => [...of(d).keys()].sort((a, b) => a - b), read };
}

/** A replay reader whose reads wait until the test answers them (snapshot taken at the call). */
export function heldReplay(store: ReturnType<typeof fakeStore>) {
  const pending: { answer: () => void }[] = [];
  const reader: ReplayReader = (d, range) => {
    const frame = store.read(d, range);
    return new Promise<Frame>((resolve) => pending.push({ answer: () => resolve(frame) }));
  };
  return {
    reader,
    get pending() { return pending.length; },
    /** Answers the oldest read. */
    answerOne(): boolean {
      const next = pending.shift();
      next?.answer();
      return next !== undefined;
    },
  };
}

/** A sink collecting decoded messages; `buffered` is what the test says the network holds. */
export function collectingSink() {
  const received: Received[] = [];
  const state = { buffered: 0, ended: undefined as StreamEndReason | 'normal' | undefined, sseIds: [] as (string | undefined)[] };
  const sink: StreamSink = {
    get bufferedBytes() { return state.buffered; },
    send(message, resume) {
      received.push(decode(message));
      state.buffered += 0;
      state.sseIds.push(resume());
    },
    drain: async () => undefined,
    end(reason) { state.ended = reason ?? 'normal'; },
  };
  return { sink, received, state };
}

/** The messages as the library yields them: a batch's elements in place of the batch. */
export function unbatched(received: readonly Received[]): Received[] {
  return received.flatMap((m) => (m.type === 'batch' ? m.messages ?? [] : [m]));
}

/** The closed bars of `node` received, in order of arrival. */
export function closedTs(received: readonly Received[], node: string): number[] {
  const out: number[] = [];
  for (const m of received) if (m.type === 'bars' && m.node === node && m.final === true && m.data) out.push(...m.data.ts);
  return out;
}

/** The newest position per dataset in the tokens received (what the library sends back on reconnect). */
export function latestPositions(received: readonly Received[], into = new Map<string, number>()): Map<string, number> {
  for (const m of received) {
    if (m.resume === undefined) continue;
    for (const [k, ts] of decodeResumeToken(m.resume, 'resume')) if ((into.get(k) ?? -Infinity) < ts) into.set(k, ts);
  }
  return into;
}

export { createManualClock, createStreamFanOut, startSubscription, OHLCV_SCHEMA };
