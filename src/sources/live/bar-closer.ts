/**
 * Turns one subscription's raw bar updates into `bar` events. When the upstream says whether a
 * bar is closed (Binance's `x`), that flag is passed through. When it does not (ccxt's
 * `watchOHLCV` arrays, a mapping without `closed`), closedness is inferred: the building bar
 * closes when a newer bar arrives, or when `ts + interval + graceMs` has passed on the clock.
 *
 * A dropped connection resets the building bar without closing it: its last values before the
 * drop may not be its final ones, so it is left to gap recovery rather than reported as closed.
 */
import type { LiveEvent } from './live-feed.js';

export interface BarCloser {
  /** Applies one update (`closed` undefined: infer), pushing the bar events it implies. */
  update(ts: number, values: Float64Array, closed: boolean | undefined, now: number): void;
  /** Closes the building bar once its time plus the grace is over. */
  tick(now: number): void;
  /** Forgets the building bar (connection lost). */
  reset(): void;
}

export function createBarCloser(intervalMs: number, graceMs: number, emit: (event: LiveEvent) => void): BarCloser {
  let buildingTs = Number.NaN;
  let buildingValues: Float64Array | undefined;
  let lastClosedTs = Number.NEGATIVE_INFINITY;

  function close(ts: number, values: Float64Array, now: number): void {
    if (ts > lastClosedTs) lastClosedTs = ts;
    emit({ type: 'bar', ts, values, closed: true, receivedAt: now });
  }

  function tick(now: number): void {
    if (buildingValues !== undefined && buildingTs + intervalMs + graceMs <= now) {
      const values = buildingValues;
      const ts = buildingTs;
      buildingValues = undefined;
      buildingTs = Number.NaN;
      close(ts, values, now);
    }
  }

  return {
    update(ts, values, closed, now) {
      if (closed !== undefined) {
        // The upstream decides; keep our view in step so a later inference never re-closes it.
        if (closed && ts >= buildingTs) {
          buildingValues = undefined;
          buildingTs = Number.NaN;
        }
        if (closed && ts > lastClosedTs) lastClosedTs = ts;
        emit({ type: 'bar', ts, values, closed, receivedAt: now });
        return;
      }
      if (buildingValues !== undefined && ts > buildingTs) {
        // A newer bar began: the building one is final as last seen.
        close(buildingTs, buildingValues, now);
        buildingValues = undefined;
        buildingTs = Number.NaN;
      }
      if (ts <= lastClosedTs || (buildingValues !== undefined && ts < buildingTs)) {
        // An update of a bar already closed: a correction, final by definition.
        close(ts, values, now);
        return;
      }
      buildingTs = ts;
      buildingValues = values;
      emit({ type: 'bar', ts, values, closed: false, receivedAt: now });
      tick(now);
    },
    tick,
    reset() {
      buildingValues = undefined;
      buildingTs = Number.NaN;
    },
  };
}
