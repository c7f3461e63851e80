/**
 * Resampling inside the read (issue 15): 1,000,000 stored 1m bars of a dataset with
 * `baseInterval: 1m` read as 1h through `fetch` (the base read through the whole pipeline —
 * coverage, SLA, conformance — with its buckets aggregated inside DuckDB when the bars are
 * provably clean, src/provider/read/engine-resample.ts; else storage rows and the one-pass kernel
 * of src/core/resample), against, in the same run and interleaved:
 *  - DuckDB's own GROUP BY of the same rows into Float64Arrays (first open, max high, min low,
 *    last close, sum volume; goal ≤ 1.3×);
 *  - reading the same 1m bars raw through `fetch` (goal: the resampled read costs less).
 * Every `fetch` uses a fresh `worldId`, so each run is a storage hit, never a response-cache hit;
 * a repeated 1h read (its base bars from the response cache) is shown apart.
 * Run: node --expose-gc --import tsx bench/provider/resample.bench.ts
 */
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { createSeamless } from '../../src/app/index.js';
import type { Seamless } from '../../src/app/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { itemsOf } from '../baselines/raw-duckdb.js';
import { inTempDir, withRawCopy } from '../baselines/raw-copy.js';
import { compare, heading, record, report, show } from '../harness.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const NODE = 'ohlcv:demo:BTC-USD';
const START = Date.UTC(2022, 0, 1);
/** 1,000,000 bars rounded up to whole hours (1,000,020 bars, 16,667 hours): a derived read answers whole buckets. */
const HOURS = Math.ceil(Number(process.env.BENCH_BARS ?? 1_000_000) / 60);
const BARS = HOURS * 60;
const END = START + HOURS * HOUR;

/** The storage engine's own resample: GROUP BY the hour, into one Float64Array per column (the getItem loop of bench/baselines/raw-duckdb.ts). */
const GROUP_BY = `SELECT ((ts // ${HOUR}) * ${HOUR})::DOUBLE AS b, arg_min(open, ts), max(high), min(low), arg_max(close, ts), sum(volume)
  FROM bars_ohlcv WHERE dataset_id = $1 AND ts >= $2::BIGINT AND ts < $3::BIGINT GROUP BY b ORDER BY b`;

async function groupBy(conn: DuckDBConnection, id: number): Promise<Float64Array[]> {
  return await itemsOf(await conn.run(GROUP_BY, [id, START, END]), 6, HOURS);
}

function check(n: number, rows: number): void {
  if (n !== rows) throw new RangeError(`read ${n} rows, expected ${rows}`);
}

async function open(dir: string, barsPerShard?: number): Promise<Seamless> {
  const base = { dataDir: dir, limits: { maxBars: 2_000_000, maxInflightReadBars: 8_000_000 } };
  const overrides = barsPerShard === undefined ? base : { ...base, seamless: { backfill: { barsPerShard } } };
  return createSeamless({ overrides, env: {}, logger: silentLogger() });
}

async function main(): Promise<void> {
  await inTempDir('seamless-bench-resample-', async (dir) => {
    // Setup (not measured): the 1m bars stored, then the file copied for the baseline.
    const filler = await open(dir, 10_000);
    const job = await filler.backfill({ nodeId: NODE, interval: '1m', start: START, end: END });
    if ((await filler.waitBackfill(job.id)).state !== 'completed') throw new RangeError('bench fill did not complete');
    await filler.close();

    await withRawCopy(join(dir, 'seamless.duckdb'), () => open(dir), async (seamless, raw) => {
      const id = await raw.datasetId(NODE, MIN);
      let world = 0;
      const hourly = async () => {
        const r = await seamless.fetch({ nodeId: NODE, interval: '1h', start: START, end: END, strategy: 'fail_fast', context: { worldId: `w${world++}` } });
        check(r.frame.length, HOURS);
        if (r.metadata.resample?.baseRows !== BARS) throw new RangeError(`resampled ${String(r.metadata.resample?.baseRows)} base rows`);
      };
      // Same answer as the engine's own GROUP BY (checked once, outside the timings).
      const mine = await seamless.fetch({ nodeId: NODE, interval: '1h', start: START, end: END, strategy: 'fail_fast', context: { worldId: 'check' } });
      const theirs = await groupBy(raw.conn, id);
      for (let c = 0; c < 5; c++) {
        for (let i = 0; i < HOURS; i++) {
          const a = mine.frame.values[c][i];
          const b = theirs[c + 1][i];
          if (Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(b))) throw new RangeError(`column ${c} row ${i}: fetch ${a}, GROUP BY ${b}`);
        }
      }

      heading(`${BARS.toLocaleString('en-US')} stored 1m bars → 1h (interleaved; storage hits)`);
      const [resampled, engine, rawMinutes] = await compare([
        { name: 'fetch 1h derived from 1m (conformance on)', fn: hourly },
        { name: 'DuckDB GROUP BY hour into Float64Arrays', fn: async () => check((await groupBy(raw.conn, id))[0].length, HOURS) },
        { name: 'fetch the 1m bars raw (conformance on)', fn: async () => check((await seamless.fetch({ nodeId: NODE, interval: '1m', start: START, end: END, strategy: 'fail_fast', context: { worldId: `w${world++}` } })).frame.length, BARS) },
      ], { runs: 5, warmup: 1 });
      report(resampled, engine, { maxRatio: 1.3 }, 'resample 1M 1m bars to 1h via fetch vs DuckDB GROUP BY');
      report(resampled, rawMinutes, { maxRatio: 1 }, 'resample 1M 1m bars to 1h via fetch vs fetch of the 1m bars');

      heading('the same 1h read repeated (one world: its base bars come from the response cache)');
      const again = { nodeId: NODE, interval: '1h', start: START, end: END, strategy: 'fail_fast' as const, context: { worldId: 'repeat' } };
      await seamless.fetch(again);
      const [repeat] = await compare([{ name: 'fetch 1h again', fn: async () => check((await seamless.fetch(again)).frame.length, HOURS) }], { runs: 7, warmup: 1 });
      show(repeat);
      record('repeated 1h read of 1M 1m bars (base bars cached)', repeat.medianMs, 'ms');
    });
  });
}

await main();
