/**
 * A universe read (issue 15): 500 datasets × 1,440 stored 1m bars (one day each) in one
 * `fetchUniverse`, as the gateway runs it (createSeamless, default composition: conformance on,
 * response cache on but never hit — a fresh `worldId` per run), interleaved with
 *  - the same 500 datasets read by 500 single `fetch`es in sequence (goal: the universe read
 *    ≥ 5× faster), and
 *  - the raw DuckDB read of the same rows through the public @duckdb/node-api: one query for the
 *    500 datasets, chunks copied per value into Float64Arrays as bench/baselines/raw-duckdb.ts
 *    does (goal: the universe read ≤ 1.5× it).
 * Each reader has its own byte copy of the same DuckDB file (one process opens a file once).
 * Run: node --expose-gc --import tsx bench/provider/universe.bench.ts (BENCH_DATASETS, BENCH_RUNS)
 */
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { createSeamless } from '../../src/app/index.js';
import { OHLCV_SCHEMA } from '../../src/core/index.js';
import { createEmbeddedDatabase } from '../../src/engines/duckdb/internal.js';
import { silentLogger } from '../../src/observability/index.js';
import { itemsOf } from '../baselines/raw-duckdb.js';
import { inTempDir, withRawCopy } from '../baselines/raw-copy.js';
import { waveBarsFrame } from '../fixtures.js';
import { compare, heading, report } from '../harness.js';

const MIN = 60_000;
const BARS = 1_440;
const DATASETS = Number(process.env.BENCH_DATASETS ?? 500);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const START = Date.UTC(2023, 0, 1);
const END = START + BARS * MIN;
const NODES = Array.from({ length: DATASETS }, (_, i) => `ohlcv:bench:S${String(i).padStart(4, '0')}`);

function check(n: number, rows: number): void {
  if (n !== rows) throw new RangeError(`read ${n} rows, expected ${rows}`);
}

/** The raw read of every dataset's rows: one query, each chunk's values copied by getItem into preallocated arrays. */
async function rawUniverse(conn: DuckDBConnection, ids: readonly number[]): Promise<Float64Array[]> {
  const result = await conn.run(`SELECT dataset_id::DOUBLE, ts::DOUBLE, ${['open', 'high', 'low', 'close', 'volume'].map((c) => `coalesce("${c}", 'NaN'::DOUBLE)`).join(', ')}
    FROM bars_ohlcv WHERE dataset_id IN (${ids.join(', ')}) AND ts >= ${START} AND ts < ${END} ORDER BY dataset_id, ts`);
  return await itemsOf(result, 7, ids.length * BARS);
}

async function main(): Promise<void> {
  await inTempDir('seamless-bench-universe-', async (dir) => {
    // Setup (not measured): one day of bars for every dataset, with its coverage.
    const db = await createEmbeddedDatabase({ path: join(dir, 'seamless.duckdb') });
    for (let d = 0; d < DATASETS; d++) {
      const frame = waveBarsFrame(BARS, MIN);
      for (let i = 0; i < frame.length; i++) frame.ts[i] += START;
      await db.bars.write({ dataset: { nodeId: NODES[d], intervalMs: MIN }, frame, coverage: [{ start: START, end: END, state: 'stored' }] }, OHLCV_SCHEMA);
    }
    await db.close();

    const open = () => createSeamless({
      overrides: {
        dataDir: dir,
        limits: { maxInflightReadBars: 4_000_000 },
        datasets: NODES.map((nodeId) => ({ nodeId, intervals: ['1m'] })),
      },
      env: {},
      logger: silentLogger(),
    });
    await withRawCopy(join(dir, 'seamless.duckdb'), open, async (seamless, raw) => {
      const ids: number[] = [];
      for (const node of NODES) ids.push(await raw.datasetId(node, MIN));
      let world = 0;
      const request = { interval: '1m', start: START, end: END, strategy: 'fail_fast' as const };
      heading(`${DATASETS} datasets × ${BARS} stored 1m bars (interleaved; conformance on, never a cache hit)`);
      const [universe, singles, rawRead] = await compare([
        {
          name: `fetchUniverse of ${DATASETS} datasets`,
          fn: async () => {
            const r = await seamless.fetchUniverse({ ...request, nodes: NODES, context: { worldId: `w${world++}` } });
            if (r.metadata.failed.length > 0) throw new RangeError(`universe read failed for ${r.metadata.failed.length} dataset(s): ${JSON.stringify(r.metadata.datasets[r.metadata.failed[0]])}`);
            check(r.universe.frame.length, DATASETS * BARS);
          },
        },
        {
          name: `${DATASETS} single fetches in sequence`,
          fn: async () => {
            const worldId = `w${world++}`;
            let rows = 0;
            for (const nodeId of NODES) rows += (await seamless.fetch({ ...request, nodeId, context: { worldId } })).frame.length;
            check(rows, DATASETS * BARS);
          },
        },
        { name: 'raw duckdb, one query for every dataset', fn: async () => check((await rawUniverse(raw.conn, ids))[0].length, DATASETS * BARS) },
      ], { runs: RUNS, warmup: 1 });
      report(universe, singles, { minSpeedup: 5 }, `universe read ${DATASETS}×${BARS} vs ${DATASETS} single fetches`);
      report(universe, rawRead, { maxRatio: 1.5 }, `universe read ${DATASETS}×${BARS} vs raw duckdb`);
    });
  });
}

await main();
