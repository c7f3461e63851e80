/**
 * A diagnostic of the cold path (not part of `npm run bench`, which measures the same week in
 * bench/backfill/cold-default.bench.ts): as users run it, `createSeamless` with the default configuration (distributed
 * coordinator, embedded DuckDB lease store, default shard sizes, the demo synthetic source) in a
 * temporary data directory. Prints, each against the synthetic source's own speed measured in
 * the same run:
 *  - a cold (never stored) week of 1m bars through `fetch` (goal ≤ 100 ms);
 *  - backfill throughput of 60 days of 1m bars (goal ≥ 150k rows/s);
 *  - the per-shard breakdown from the backfill events (claim → claimed, claimed → rows_written
 *    = fetch + write, rows_written → completed = complete), in ms per shard (goal ≤ 5 ms overhead).
 * Standalone (no harness). Never asserts a time.
 * Run: npx tsx bench/backfill/cold-breakdown.ts   (add --profile-week to loop the week fetch
 * for a CPU profile: node --cpu-prof --import tsx bench/backfill/cold-breakdown.ts)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSeamless } from '../../src/app/index.js';
import type { BackfillEvent } from '../../src/backfill/index.js';
import { createSyntheticSource } from '../../src/sources/index.js';
import { DEMO_SOURCES } from '../../src/config/internal.js';

const MIN = 60_000;
const DAY = 86_400_000;
const WEEK_BARS = 10_080;
const NODE = 'ohlcv:demo:BTC-USD';
const RUNS = 7;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
function stats(xs: readonly number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `min ${s[0].toFixed(1)} / median ${median(s).toFixed(1)} / max ${s[s.length - 1].toFixed(1)}`;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'seamless-bench-cold-'));
  // --bars-per-shard=N: the `seamless.backfill.barsPerShard` override (default: the per-interval policy).
  const override = process.argv.find((a) => a.startsWith('--bars-per-shard='));
  const backfill = override === undefined ? {} : { barsPerShard: Number(override.split('=')[1]) };
  const seamless = await createSeamless({ env: {}, overrides: { dataDir: dir, logging: { level: 'silent' }, seamless: { backfill } } });
  try {
    // Weeks far in the past, a different one per run, so every fetch is cold.
    const base = Date.UTC(2020, 0, 6);

    // The source's own speed: the same week straight from the demo synthetic source.
    const source = createSyntheticSource({ ...DEMO_SOURCES.synthetic, seed: 42 });
    const sourceMs: number[] = [];
    for (let i = 0; i < RUNS + 2; i++) {
      const start = base - (i + 1) * 7 * DAY;
      const t0 = performance.now();
      const b = await source.fetch({ nodeId: NODE, intervalMs: MIN, range: { start, end: start + WEEK_BARS * MIN }, signal: new AbortController().signal });
      if (i >= 2) sourceMs.push(performance.now() - t0);
      if (b.frame.length !== WEEK_BARS) throw new RangeError(`source gave ${b.frame.length} bars`);
    }

    // Per-shard timeline from the events (performance.now() when each event is heard).
    const claimedAt = new Map<string, number>();
    const writtenAt = new Map<string, number>();
    const fetchWrite: number[] = [];
    const complete: number[] = [];
    seamless.subscribe((e: BackfillEvent) => {
      const now = performance.now();
      if (e.type === 'claimed') claimedAt.set(e.shard, now);
      else if (e.type === 'rows_written') writtenAt.set(e.shard, now);
      else if (e.type === 'completed') {
        const c = claimedAt.get(e.shard);
        const w = writtenAt.get(e.shard);
        if (c !== undefined && w !== undefined) { fetchWrite.push(w - c); complete.push(now - w); }
      }
    });

    const profileLoop = process.argv.includes('--profile-week');
    const weekRuns = profileLoop ? 40 : RUNS + 2;
    const weekMs: number[] = [];
    let weekShards = 0;
    for (let i = 0; i < weekRuns; i++) {
      const start = base + i * 7 * DAY;
      const before = fetchWrite.length;
      const t0 = performance.now();
      const r = await seamless.fetch({ nodeId: NODE, interval: '1m', start, end: start + WEEK_BARS * MIN, strategy: 'auto_backfill' });
      const ms = performance.now() - t0;
      if (r.frame.length !== WEEK_BARS) throw new RangeError(`week fetch gave ${r.frame.length} bars`);
      if (i >= 2) { weekMs.push(ms); weekShards = fetchWrite.length - before; }
    }
    const srcMed = median(sourceMs);
    console.log('\nCold week of 1m bars (10,080) through fetch, default configuration');
    console.log(`  synthetic source alone        ${stats(sourceMs)} ms`);
    console.log(`  fetch (cold, backfilled)      ${stats(weekMs)} ms   ratio ${(median(weekMs) / srcMed).toFixed(1)}× the source  (${weekShards} shards; goal ≤ 100 ms: ${median(weekMs) <= 100 ? 'met' : 'MISSED'})`);

    // Throughput: 60 days of 1m bars as one background job (distinct range).
    const tStart = base + 200 * 7 * DAY;
    const bars = 60 * 1440;
    fetchWrite.length = 0;
    complete.length = 0;
    const t0 = performance.now();
    const job = await seamless.backfill({ nodeId: NODE, interval: '1m', start: tStart, end: tStart + bars * MIN });
    const done = await seamless.waitBackfill(job.id);
    const secs = (performance.now() - t0) / 1000;
    const rate = done.rowsWritten / secs;
    const srcRate = WEEK_BARS / (srcMed / 1000);
    console.log('\nBackfill throughput: 60 days of 1m bars (86,400), one job, default workers');
    console.log(`  ${done.rowsWritten} rows in ${(secs * 1000).toFixed(0)} ms = ${Math.round(rate).toLocaleString('en-US')} rows/s (${done.totalShards} shards)`);
    console.log(`  synthetic source alone: ${Math.round(srcRate).toLocaleString('en-US')} rows/s; ratio ${(rate / srcRate).toFixed(3)}  (goal ≥ 150,000 rows/s: ${rate >= 150_000 ? 'met' : 'MISSED'})`);
    console.log(`  per shard: ${(secs * 1000 / done.totalShards).toFixed(1)} ms wall; claimed→rows_written (fetch+write) ${stats(fetchWrite)} ms; rows_written→completed (complete) ${stats(complete)} ms`);
  } finally {
    await seamless.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
