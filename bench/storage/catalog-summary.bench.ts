/**
 * The catalog's coverage summary on DuckDB: 1,000,000 one-minute bars over 20 datasets (50,000
 * each, with known-empty and failed coverage beside them). `store.coverageSummary()` (ONE query:
 * rows counted, first and last ts, known-empty and failed bars, last write) against
 *  - the engine's own group-by of the same rows (`count(*), min(ts), max(ts) … GROUP BY
 *    dataset_id` through the public @duckdb/node-api API on a copy of the file: same bytes) —
 *    the cost of the summary's coverage part and joins (goal ≤ 1.5×);
 *  - summarising by reading every bar through the store (`store.read` of each dataset, then its
 *    coverage), what the catalog would cost without the query (goal ≥ 10× faster).
 * Variants run interleaved. Run: node --expose-gc --import tsx bench/storage/catalog-summary.bench.ts
 */
import { join } from 'node:path';
import { OHLCV_SCHEMA } from '../../src/core/index.js';
import { createDuckDbBarStore } from '../../src/engines/duckdb/internal.js';
import type { BarStore, DatasetKey } from '../../src/storage/index.js';
import { inTempDir, withRawCopy } from '../baselines/raw-copy.js';
import { compare, heading, report } from '../harness.js';
import { waveBarsFrame } from '../fixtures.js';

const DATASETS = 20;
const ROWS = 50_000;
const MIN = 60_000;

function dataset(i: number): DatasetKey {
  return { nodeId: `ohlcv:bench:SYM${i}`, intervalMs: MIN };
}

function check(n: number, expected: number): void {
  if (n !== expected) throw new RangeError(`summarised ${n} rows, expected ${expected}`);
}

/** The summary without the query: every bar read, counted, first and last taken; coverage summed. */
async function summaryByReading(store: BarStore): Promise<number> {
  let total = 0;
  for (let i = 0; i < DATASETS; i++) {
    const ds = dataset(i);
    const frame = await store.read(ds, OHLCV_SCHEMA, { start: 0, end: 2 * ROWS * MIN });
    let knownEmpty = 0;
    let failed = 0;
    for (const c of await store.coverage(ds)) {
      if (c.state === 'known_empty') knownEmpty += (c.end - c.start) / MIN;
      else if (c.state === 'failed') failed += (c.end - c.start) / MIN;
    }
    if (frame.length > 0 && frame.ts[0] > frame.ts[frame.length - 1]) throw new RangeError('unsorted');
    if (knownEmpty + failed < 0) throw new RangeError('negative');
    total += frame.length;
  }
  return total;
}

async function main(): Promise<void> {
  await inTempDir('seamless-bench-catalog-', async (dir) => {
    const path = join(dir, 'bench.duckdb');
    const writer = await createDuckDbBarStore({ path });
    const frame = waveBarsFrame(ROWS, MIN);
    for (let i = 0; i < DATASETS; i++) {
      await writer.write({ dataset: dataset(i), frame, coverage: [
        { start: 0, end: ROWS * MIN, state: 'stored' }, { start: ROWS * MIN, end: (ROWS + 100) * MIN, state: 'known_empty' },
      ] }, OHLCV_SCHEMA);
      await writer.markFailed(dataset(i), { start: (ROWS + 200) * MIN, end: (ROWS + 210) * MIN }, 'bench');
    }
    await writer.close();

    const total = DATASETS * ROWS;
    await withRawCopy(path, () => createDuckDbBarStore({ path }), async (store, raw) => {
      heading(`catalog summary of ${DATASETS} datasets × ${ROWS.toLocaleString('en')} one-minute bars (interleaved)`);
      const [summary, groupBy, reading] = await compare([
        { name: 'store.coverageSummary() (one query)', fn: async () => check((await store.coverageSummary()).reduce((n, s) => n + s.barsStored, 0), total) },
        {
          name: 'raw: count/min/max GROUP BY dataset_id',
          fn: async () => {
            const rows = (await raw.conn.runAndReadAll('SELECT dataset_id, count(*)::DOUBLE, min(ts)::DOUBLE, max(ts)::DOUBLE FROM bars_ohlcv GROUP BY dataset_id')).getRowsJS();
            check(rows.reduce((n, r) => n + Number(r[1]), 0), total);
          },
        },
        { name: 'store.read every bar + coverage per dataset', fn: async () => check(await summaryByReading(store), total) },
      ], { runs: 7, warmup: 2 });
      report(summary, groupBy, { maxRatio: 1.5 }, 'catalog summary (1M bars, 20 datasets) vs engine group-by');
      report(summary, reading, { minSpeedup: 10 }, 'catalog summary (1M bars, 20 datasets) vs reading the bars');
    });
  });
}

await main();
