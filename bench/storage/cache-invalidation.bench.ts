/**
 * Cache invalidation across processes on PostgreSQL (docs/operations/cache-coherence.md): how long
 * after one store commits a write does ANOTHER store's listener drop the range from its response
 * cache? Writer and reader are two stores on one database, each with its own pool, as two gateways
 * are; the reader's listener has its own connection (src/engines/postgres/postgres-change-listener.ts).
 *
 * Figures, each p50 / p99 over ROUNDS small writes (one bar, as live write-through makes):
 * - baseline: a plain `SELECT pg_notify(…)` (autocommit) → the LISTEN connection's notification:
 *   the floor any LISTEN/NOTIFY design pays;
 * - write call → applied: from calling `bars.write` (its whole transaction, the NOTIFY last) to the
 *   reader's cache having dropped the segment: an upper bound of commit → applied;
 * - commit → applied: from the writer's clock just before COMMIT (the payload's `committedAt`,
 *   what `seamless_cache_invalidation_lag_seconds` observes) to applied, on a sub-millisecond clock.
 * Starts a throwaway server (test/harness/postgres-server.ts); skips when PostgreSQL is absent.
 * Run: npx tsx bench/storage/cache-invalidation.bench.ts
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { OHLCV_SCHEMA, createFrame } from '../../src/core/index.js';
import type { Clock } from '../../src/core/index.js';
import { CHANGE_CHANNEL, createPostgresStorage, openPgChangeListener } from '../../src/engines/postgres/internal.js';
import { createResponseCache, datasetKeyPrefix } from '../../src/provider/index.js';
import type { DatasetKey } from '../../src/storage/index.js';
import { findPostgresBinDir, POSTGRES_ROOT, startPostgresServer } from '../../test/harness/postgres-server.js';
import { heading, percentile, record } from '../harness.js';

const ROUNDS = 300;
const WARMUP = 20;
const MIN = 60_000;
const DS: DatasetKey = { nodeId: 'ohlcv:bench:BTC/USDT', intervalMs: MIN };
/** Epoch ms with sub-millisecond resolution (Date.now() rounds to whole ms). */
const fineClock: Clock = { now: () => performance.timeOrigin + performance.now() };

function line(name: string, values: number[]): { p50: number; p99: number } {
  const p50 = percentile(values, 50);
  const p99 = percentile(values, 99);
  console.log(`  ${name.padEnd(56)} p50 ${p50.toFixed(3).padStart(8)} ms   p99 ${p99.toFixed(3).padStart(8)} ms   max ${values[values.length - 1].toFixed(3)} ms`);
  return { p50, p99 };
}

/** Waits for `pending` to be resolved by the listener (or fails after 10 s: a hang, not a figure). */
function arrival(): { promise: Promise<number>; resolve: (at: number) => void } {
  let resolve: (at: number) => void = () => undefined;
  const promise = new Promise<number>((res, rej) => {
    const timer = setTimeout(() => rej(new RangeError('no notification within 10 s')), 10_000);
    resolve = (at) => {
      clearTimeout(timer);
      res(at);
    };
  });
  return { promise, resolve };
}

/** Before the first round: nothing awaited, nothing to time out. */
const IDLE = Object.freeze({ promise: Promise.resolve(0), resolve: (_at: number): void => undefined });

async function baseline(url: string): Promise<number[]> {
  const listen = new pg.Client({ connectionString: url });
  const notify = new pg.Client({ connectionString: url });
  await listen.connect();
  await notify.connect();
  await listen.query(`LISTEN ${CHANGE_CHANNEL}_baseline`);
  let pending = IDLE;
  listen.on('notification', () => pending.resolve(performance.now()));
  const lags: number[] = [];
  try {
    for (let i = 0; i < WARMUP + ROUNDS; i++) {
      pending = arrival();
      const t0 = performance.now();
      await notify.query('SELECT pg_notify($1, $2)', [`${CHANGE_CHANNEL}_baseline`, String(i)]);
      const at = await pending.promise;
      if (i >= WARMUP) lags.push(at - t0);
    }
  } finally {
    await listen.end();
    await notify.end();
  }
  return lags;
}

async function main(): Promise<void> {
  if (findPostgresBinDir() === undefined) {
    console.log(`Cache invalidation bench skipped: no server binaries under ${POSTGRES_ROOT} (install the Debian package postgresql).`);
    return;
  }
  const server = await startPostgresServer();
  try {
    const url = await server.createDatabase('bench_invalidation');
    heading(`Cache invalidation across two stores on one PostgreSQL (${ROUNDS} one-bar writes)`);
    const base = line('baseline: pg_notify → LISTEN notification', await baseline(url));

    const writer = await createPostgresStorage({ url, origin: 'bench-writer', clock: { now: () => Math.floor(fineClock.now()) } });
    const reader = await createPostgresStorage({ url, origin: 'bench-reader' });
    const feed = await openPgChangeListener({ url, connectTimeoutMs: 5_000, origin: 'bench-reader' });
    // The reader's cache holds one segment per written bar, as if it had served it.
    const cache = createResponseCache({ maxBytes: 64 * 1024 * 1024, maxEntries: 100_000, ttlMs: 3_600_000 }, fineClock);
    const key = JSON.stringify([DS.nodeId, DS.intervalMs, null, null, 'bench']);
    const prefix = datasetKeyPrefix(DS.nodeId, DS.intervalMs);
    let pending = IDLE;
    let committedAt = 0;
    feed.subscribe((event) => {
      if (event.type !== 'changed') return;
      cache.invalidate(prefix, event.change.range);
      committedAt = event.change.committedAt;
      pending.resolve(performance.now());
    });
    const callLags: number[] = [];
    const commitLags: number[] = [];
    try {
      for (let i = 0; i < WARMUP + ROUNDS; i++) {
        const ts = i * MIN;
        const frame = createFrame(OHLCV_SCHEMA, Float64Array.of(ts), [Float64Array.of(1), Float64Array.of(2), Float64Array.of(0.5), Float64Array.of(1.5), Float64Array.of(i)]);
        cache.insert(key, { start: ts, end: ts + MIN }, frame);
        pending = arrival();
        const t0 = performance.now();
        await writer.bars.write({ dataset: DS, frame, coverage: [{ start: ts, end: ts + MIN, state: 'stored' }] }, OHLCV_SCHEMA);
        const at = await pending.promise;
        if (cache.lookup(key, { start: ts, end: ts + MIN }).pieces.length !== 0) throw new RangeError(`segment ${i} still cached after its notification`);
        if (i < WARMUP) continue;
        callLags.push(at - t0);
        // `committedAt` is whole ms on the writer's clock (as stored): up to 1 ms early.
        commitLags.push(performance.timeOrigin + at - committedAt);
      }
    } finally {
      await feed.close();
      await reader.close();
      await writer.close();
    }
    const call = line('write call (whole transaction) → applied in the other cache', callLags);
    const commit = line('commit (payload committedAt) → applied', commitLags);
    record('cache invalidation p50: write call → applied (ms)', call.p50, 'ms', { baseline: base.p50 });
    record('cache invalidation p99: write call → applied (ms)', call.p99, 'ms', { baseline: base.p99 });
    record('cache invalidation p50: commit → applied (ms)', commit.p50, 'ms', { baseline: base.p50 });
    record('cache invalidation p99: commit → applied (ms)', commit.p99, 'ms', { baseline: base.p99 });
  } finally {
    await server.stop();
  }
}

await main();
