/**
 * Admission control of the read path: a weighted semaphore over the bars the reads in flight
 * requested (a read's memory grows with its bars: frames, coverage, the answer's encoding).
 * A read is admitted when its bars fit under `limits.maxInflightReadBars` beside those in flight;
 * otherwise it is refused at once, before any work, with OverloadedError (503, `Retry-After`)
 * and counted in `seamless_read_rejected_total{reason="inflight_bars"}`. Refusing rather than
 * queueing keeps memory bounded and answers the caller in microseconds.
 *
 * Two reads are always admitted: one of at most SMALL_READ_BARS bars (its cost is noise; an
 * interactive read never waits behind bulk reads), and one that finds nothing in flight (a read
 * larger than the whole allowance still runs alone).
 */
import { OverloadedError } from '../../core/index.js';
import type { SeamlessMetrics } from '../../observability/index.js';

/** Reads of at most this many bars are always admitted (and not counted). */
export const SMALL_READ_BARS = 10_000;
/** `Retry-After` of a refused read, in seconds. */
export const READ_RETRY_AFTER_S = 1;

export interface ReadAdmission {
  /** Admits a read of `bars` bars or throws OverloadedError; call the returned release exactly once. */
  admit(bars: number): () => void;
  /** Bars of the admitted reads in flight now. */
  inflightBars(): number;
}

export function createReadAdmission(maxInflightBars: number, metrics?: Pick<SeamlessMetrics, 'readRejected' | 'readInflightBars'>): ReadAdmission {
  let inflight = 0;
  return {
    admit(bars) {
      if (bars <= SMALL_READ_BARS) return () => undefined;
      if (inflight > 0 && inflight + bars > maxInflightBars) {
        metrics?.readRejected.inc({ reason: 'inflight_bars' });
        throw new OverloadedError(
          `this read of ${bars} bars does not fit beside the ${inflight} bars of the reads in flight (limits.maxInflightReadBars: ${maxInflightBars}); retry after ${READ_RETRY_AFTER_S} s or read a narrower range`,
          READ_RETRY_AFTER_S,
          { reason: 'inflight_bars', bars, inflightBars: inflight, limit: maxInflightBars },
        );
      }
      inflight += bars;
      metrics?.readInflightBars.set(inflight);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        inflight -= bars;
        metrics?.readInflightBars.set(inflight);
      };
    },
    inflightBars: () => inflight,
  };
}
