/**
 * Subscription fan-out: one process, 1,000 live datasets, 100 subscribers each following all of
 * them; one "minute" = one closed 1m bar per dataset delivered to every subscriber (100,000
 * messages). Seamless: each bar's message encoded once and shared (provider/stream/fan-out.ts),
 * with `batch=true` (one batch per burst, built once, as the gateway bench's subscribers ask) and
 * without; baseline: the same bar encoded per subscriber. Figures: cost per bar per subscriber,
 * and the p99 delay from a bar's close (the feed hands it over) to its batch's send (batch=true). The
 * sinks are in-process (no sockets): this measures the gateway's own work. The goal p99 < 50 ms
 * is measured over real sockets by bench/gateway/stream-fanout-sockets.bench.ts.
 * Never asserts a time. Run: npx tsx --expose-gc bench/gateway/stream-fanout.bench.ts
 */
import { performance } from 'node:perf_hooks';
import { OHLCV_SCHEMA } from '../../src/core/index.js';
import { createManualClock } from '../../src/core/internal.js';
import { encodeResumeToken, positionKey } from '../../src/provider/index.js';
import type { StreamSink } from '../../src/provider/index.js';
import { createStreamFanOut, startSubscription } from '../../src/provider/internal.js';
import type { LiveBarSource } from '../../src/provider/internal.js';
import { compare, record, report } from '../harness.js';

const DATASETS = 1_000;
const SUBSCRIBERS = 100;
const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 1);

const keys = Array.from({ length: DATASETS }, (_, i) => ({ nodeId: `ohlcv:bench:S${i}/USD`, intervalMs: MIN }));
let bytes = 0;
let frames = 0;
const sink: StreamSink = { bufferedBytes: 0, send(m) { bytes += m.bytes.length; frames++; }, drain: async () => undefined, end: () => undefined };
const clock = createManualClock(T0);

/** 100 subscribers of all 1,000 datasets on a fan-out of their own; returns the feed's hand-over per dataset. */
async function subscribers(batch: boolean): Promise<((ts: number, v: Float64Array, closed: boolean) => void)[]> {
  const listeners = new Map<string, (ts: number, v: Float64Array, closed: boolean) => void>();
  const source: LiveBarSource = {
    has: () => true,
    observe(d, l) {
      listeners.set(positionKey(d.nodeId, d.intervalMs), l);
      return () => listeners.delete(positionKey(d.nodeId, d.intervalMs));
    },
  };
  const fanOut = createStreamFanOut(source);
  for (let s = 0; s < SUBSCRIBERS; s++) {
    startSubscription({
      datasets: keys.map((dataset) => ({ dataset, schema: OHLCV_SCHEMA })), start: undefined, positions: new Map(), building: false,
      heartbeatMs: 3_600_000, maxBufferedBytes: 1 << 30, chunkBars: 50_000, batch,
    }, { fanOut, replay: () => Promise.reject(new RangeError('no replay')), sink, clock });
  }
  await new Promise((resolve) => setImmediate(resolve));
  return [...listeners.values()];
}

const values = Float64Array.of(100, 101, 99, 100.5, 7);
const lags: number[] = [];
let minute = 0;
const batched = await subscribers(true);
const single = await subscribers(false);
const closedAt = new Float64Array(DATASETS);

/** One minute's closes handed over back to back; the batches leave at the end of the turn. */
async function batchedMinute(): Promise<void> {
  const ts = T0 + ++minute * MIN;
  clock.set(ts + MIN);
  for (let d = 0; d < batched.length; d++) {
    closedAt[d] = performance.now();
    batched[d](ts, values, true);
  }
  await new Promise((resolve) => setImmediate(resolve));
  const sent = performance.now();
  for (let d = 0; d < DATASETS; d++) lags.push(sent - closedAt[d]);
}

/** The same closes without `batch`: one message per bar per subscriber, sent at once. */
function singleMinute(): void {
  const ts = T0 + ++minute * MIN;
  clock.set(ts + MIN);
  for (let d = 0; d < single.length; d++) single[d](ts, values, true);
}

/** Baseline: the same message built per subscriber (JSON + token per send). */
function perSubscriberMinute(): void {
  const ts = T0 + ++minute * MIN;
  for (let d = 0; d < keys.length; d++) {
    const token = encodeResumeToken(new Map([[positionKey(keys[d].nodeId, MIN), ts]]));
    for (let s = 0; s < SUBSCRIBERS; s++) {
      const text = `{"type":"bars","node":${JSON.stringify(keys[d].nodeId)},"interval":"1m","phase":"live","final":true,"data":{"ts":[${ts}],"open":[${values[0]}],"high":[${values[1]}],"low":[${values[2]}],"close":[${values[3]}],"volume":[${values[4]}]},"resume":"${token}"}`;
      bytes += Buffer.byteLength(text);
    }
  }
}

const [shared, one, naive] = await compare([
  { name: `batch=true: ${DATASETS} bars × ${SUBSCRIBERS} subscribers`, fn: batchedMinute },
  { name: 'one message per bar (batch=false)', fn: singleMinute },
  { name: 'per-subscriber encoding (baseline)', fn: perSubscriberMinute },
], { runs: 9, warmup: 2 });
report(shared, naive, { maxRatio: 1 }, 'stream fan-out, one minute of 1,000 closes to 100 subscribers');
report(one, naive, { maxRatio: 1 }, 'stream fan-out without batch');
console.log(`  bytes encoded over all runs: ${(bytes / 1e6).toFixed(0)} MB in ${frames} frames`);
const perBarUs = (shared.medianMs * 1000) / (DATASETS * SUBSCRIBERS);
console.log(`  cost per bar per subscriber: ${perBarUs.toFixed(2)} µs (batch=true), ${((one.medianMs * 1000) / (DATASETS * SUBSCRIBERS)).toFixed(2)} µs (batch=false)`);
record('stream fan-out cost per bar per subscriber', perBarUs, 'µs');
lags.sort((a, b) => a - b);
const p99 = lags[Math.floor(lags.length * 0.99)];
console.log(`  delivery delay after close (feed hand-over → the end of the turn that sent every batch), p99: ${p99.toFixed(2)} ms over ${lags.length} bars (the gateway's own work; the goal is measured over sockets)`);
record('stream delivery lag p99 (in-process, the gateway\'s own work)', p99, 'ms');
