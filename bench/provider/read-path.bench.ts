/**
 * The read path of a Seamless instance as the gateway runs it (createSeamless, default
 * configuration: conformance on, response cache on), against the fastest honest raw read of the
 * same rows through the public @duckdb/node-api (bench/baselines/raw-duckdb.ts) and the engine's
 * own `store.read`, all interleaved, each over a byte copy of the same DuckDB file:
 *  - 1M stored 1m bars: `fetch` (a fresh `worldId` per run: a storage hit, never the cache) vs
 *    raw DuckDB (goal ≤ 1.15×) and vs `store.read`;
 *  - 1,440 bars on a storage hit vs the raw query;
 *  - 1,440 bars on a cache hit with conformance (goal ≤ 20 µs; timed in batches of 1,000 so the
 *    forced GC between timed runs does not dwarf a microsecond operation).
 * Run: node --expose-gc --import tsx bench/provider/read-path.bench.ts
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSeamless } from '../../src/app/index.js';
import type { Seamless } from '../../src/app/index.js';
import { OHLCV_SCHEMA } from '../../src/core/index.js';
import { createDuckDbBarStore } from '../../src/engines/duckdb/internal.js';
import { silentLogger } from '../../src/observability/index.js';
import { openRawDuckDb, rawRead } from '../baselines/raw-duckdb.js';
import { compare, heading, record, report, show } from '../harness.js';

const MIN = 60_000;
const DAY = 1_440 * MIN;
const NODE = 'ohlcv:demo:BTC-USD';
const START = Date.UTC(2022, 0, 1);
const MILLION = 1_000_000;
const DAYS = Math.floor(MILLION / 1_440);
const BATCH = 1_000;

function check(n: number, rows: number): void {
  if (n !== rows) throw new RangeError(`read ${n} rows, expected ${rows}`);
}

async function open(dir: string, barsPerShard?: number): Promise<Seamless> {
  const overrides = barsPerShard === undefined ? { dataDir: dir } : { dataDir: dir, seamless: { backfill: { barsPerShard } } };
  return createSeamless({ overrides, env: {}, logger: silentLogger() });
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'seamless-bench-read-'));
  try {
    // Setup (not measured): one million bars stored, then the file copied for the baselines.
    const filler = await open(dir, 10_000);
    const job = await filler.backfill({ nodeId: NODE, interval: '1m', start: START, end: START + MILLION * MIN });
    if ((await filler.waitBackfill(job.id)).state !== 'completed') throw new RangeError('bench fill did not complete');
    await filler.close();
    await copyFile(join(dir, 'seamless.duckdb'), join(dir, 'raw.duckdb'));
    await copyFile(join(dir, 'seamless.duckdb'), join(dir, 'store.duckdb'));

    const seamless = await open(dir);
    const store = await createDuckDbBarStore({ path: join(dir, 'store.duckdb') });
    const raw = await openRawDuckDb(join(dir, 'raw.duckdb'));
    const ds = { nodeId: NODE, intervalMs: MIN };
    try {
      const id = await raw.datasetId(NODE, MIN);
      let world = 0;
      const end = START + MILLION * MIN;
      heading('1,000,000 stored 1m bars (interleaved)');
      const [fetched, rawMillion, stored] = await compare([
        { name: 'fetch (conformance on, storage hit)', fn: async () => check((await seamless.fetch({ nodeId: NODE, interval: '1m', start: START, end, context: { worldId: `w${world++}` } })).frame.length, MILLION) },
        { name: 'raw duckdb (getItem loop into Float64Arrays)', fn: async () => check((await rawRead(raw.conn, id, START, end, MILLION))[0].length, MILLION) },
        { name: 'store.read (the engine alone)', fn: async () => check((await store.read(ds, OHLCV_SCHEMA, { start: START, end })).length, MILLION) },
      ], { runs: 5, warmup: 1 });
      report(fetched, rawMillion, { maxRatio: 1.15 }, 'fetch 1M bars with conformance vs raw duckdb');
      report(fetched, stored, undefined, 'fetch 1M bars with conformance vs store.read');

      heading('1,440 bars (one day), storage hits (interleaved, a different day each run)');
      let a = 0;
      let b = 0;
      const day = (k: number): number => START + ((k * 7919) % DAYS) * DAY;
      const [fetchDay, rawDay] = await compare([
        { name: 'fetch 1,440 bars (conformance on, storage hit)', fn: async () => { const d = day(a++); check((await seamless.fetch({ nodeId: NODE, interval: '1m', start: d, end: d + DAY, context: { worldId: `w${world++}` } })).frame.length, 1_440); } },
        { name: 'raw duckdb 1,440 bars', fn: async () => { const d = day(b++); check((await rawRead(raw.conn, id, d, d + DAY, 1_440))[0].length, 1_440); } },
      ], { runs: 41, warmup: 5 });
      report(fetchDay, rawDay, undefined, 'fetch 1,440 bars (storage hit) vs raw duckdb');

      heading(`1,440 bars on a response-cache hit, conformance on (batches of ${BATCH})`);
      const hot = { nodeId: NODE, interval: '1m', start: START, end: START + DAY };
      await seamless.fetch(hot);
      const [hits] = await compare([{
        name: `${BATCH} cache hits`,
        fn: async () => {
          for (let i = 0; i < BATCH; i++) {
            const r = await seamless.fetch(hot);
            if (!r.metadata.cacheHit) throw new RangeError('expected a cache hit');
          }
        },
      }], { runs: 11, warmup: 2 });
      show(hits);
      record('fetch on a cache hit with conformance (per read)', hits.medianMs / BATCH, 'ms', { goal: { max: 0.02 } });
    } finally {
      raw.close();
      await store.close();
      await seamless.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
