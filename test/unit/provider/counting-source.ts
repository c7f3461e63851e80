/**
 * A BarSource for tests (a fake of our own interface): wraps a real source, records the range
 * of every fetch, and lets a test hold fetches behind a gate it opens by hand (no timers) or make
 * fetches fail with a chosen error (e.g. UpstreamUnavailableError, retryable or not).
 */
import { AbortedError } from '../../../src/core/index.js';
import type { TimeRange } from '../../../src/core/index.js';
import type { BarSource, SourceBatch } from '../../../src/sources/index.js';
import type { SourceRequest } from '../../../src/sources/internal.js';

/** A latch: fetches that started while it was the current gate wait until `open()`. */
export interface Gate {
  readonly opened: Promise<void>;
  open(): void;
}

export function createGate(): Gate {
  let release: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => { release = resolve; });
  return { opened, open: () => release() };
}

export interface CountingSource extends BarSource {
  /** The range of every fetch, in the order the fetches started (failed ones included). */
  readonly ranges: TimeRange[];
  /** Holds every fetch that starts from now on until the returned gate opens (abort still rejects). */
  hold(): Gate;
  /** Makes the next `times` fetches (every fetch when omitted) throw `error` after their gate. */
  failWith(error: Error, times?: number): void;
  /** Resolves once at least `n` fetches have started. */
  whenCalls(n: number): Promise<void>;
}

export function createCountingSource(inner: BarSource): CountingSource {
  const ranges: TimeRange[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let gate: Gate | undefined;
  let failure: { error: Error; left: number } | undefined;

  function waitGate(g: Gate, signal: AbortSignal | undefined): Promise<void> {
    if (!signal) return g.opened;
    if (signal.aborted) return Promise.reject(new AbortedError(signal.reason));
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(new AbortedError(signal.reason));
      signal.addEventListener('abort', onAbort, { once: true });
      void g.opened.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  return {
    name: inner.name,
    schema: inner.schema,
    ranges,

    async fetch(request: SourceRequest): Promise<SourceBatch> {
      ranges.push({ start: request.range.start, end: request.range.end });
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (ranges.length >= waiters[i].n) waiters.splice(i, 1)[0].resolve();
      }
      const held = gate;
      if (held) await waitGate(held, request.signal);
      if (failure && failure.left > 0) {
        failure.left--;
        throw failure.error;
      }
      return inner.fetch(request);
    },

    hold() {
      const g = createGate();
      gate = g;
      return {
        opened: g.opened,
        open: () => {
          if (gate === g) gate = undefined;
          g.open();
        },
      };
    },

    failWith(error, times = Number.POSITIVE_INFINITY) {
      failure = { error, left: times };
    },

    whenCalls(n) {
      if (ranges.length >= n) return Promise.resolve();
      return new Promise<void>((resolve) => { waiters.push({ n, resolve }); });
    },
  };
}
