/**
 * What the tests of the REAL ccxt client against the local Binance stand-in
 * (test/harness/fake-exchange-server.ts) share: the `binance` source pointed at it, and a clock
 * at the recording's "now" that moves on in real time (so retry backoffs elapse).
 */
import type { Clock } from '../../src/core/index.js';
import type { SeamlessConfigInput } from '../../src/config/index.js';

type SourceInput = NonNullable<SeamlessConfigInput['sources']>[string];

/** The ccxt `binance` source on the stand-in at `apiUrl`: spot markets, 50 req/s (burst 5), pages of 25 bars. */
export function standInBinanceSource(apiUrl: string, timeoutMs: number): SourceInput {
  return {
    kind: 'ccxt', exchange: 'binance', urls: { public: apiUrl }, options: { fetchMarkets: { types: ['spot'] } },
    rateLimit: { requestsPerSecond: 50, burst: 5 }, pageLimit: 25, timeoutMs,
  };
}

/**
 * Real time shifted to the recording: it starts at `startMs` (the recording's "now", so the
 * recorded bars have closed) and moves on; `set` jumps it to another instant.
 */
export function recordingClock(startMs: number): Clock & { set(ms: number): void } {
  let shift = startMs - Date.now();
  return { now: () => Date.now() + shift, set: (ms) => { shift = ms - Date.now(); } };
}
