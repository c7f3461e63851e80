/**
 * DuckDB purge (BarStore.purge): removing 50,000 stored one-minute bars from a 1M-bar dataset
 * through the store — fence checks, row DELETE, coverage cut, findings superseded, audit row, one
 * transaction — against the engine's own DELETE of the SAME rows on a copy of the file (the cost
 * floor: no fence, coverage, findings or audit). Interleaved; each run removes a different chunk,
 * so no run finds its rows already gone. Goal: the purge costs at most 1.5× the raw DELETE.
 * Run: node --expose-gc --import tsx bench/storage/duckdb-purge.bench.ts
 */
import { join } from 'node:path';
import { OHLCV_SCHEMA } from '../../src/core/index.js';
import { createDuckDbBarStore } from '../../src/engines/duckdb/internal.js';
import type { DatasetKey } from '../../src/storage/index.js';
import { inTempDir, withRawCopy } from '../baselines/raw-copy.js';
import { compare, heading, report } from '../harness.js';
import { waveBarsFrame } from '../fixtures.js';

const ROWS = 1_000_000;
const CHUNK = 50_000;
const MIN = 60_000;
const DS: DatasetKey = { nodeId: 'ohlcv:bench:BTC/USDT', intervalMs: MIN };

function check(n: number): void {
  if (n !== CHUNK) throw new RangeError(`removed ${n} rows, expected ${CHUNK}`);
}

async function main(): Promise<void> {
  await inTempDir('seamless-bench-purge-', async (dir) => {
    const path = join(dir, 'bench.duckdb');
    const writer = await createDuckDbBarStore({ path });
    await writer.write({ dataset: DS, frame: waveBarsFrame(ROWS, MIN), coverage: [{ start: 0, end: ROWS * MIN, state: 'stored' }] }, OHLCV_SCHEMA);
    await writer.close();
    // The raw copy is writable: the baseline DELETEs from it.
    await withRawCopy(path, () => createDuckDbBarStore({ path }), async (store, raw) => {
      const id = await raw.datasetId(DS.nodeId, DS.intervalMs);
      // Each variant takes the next chunk of its own copy: chunk k is [k·CHUNK, (k+1)·CHUNK) bars.
      let storeChunk = 0;
      let rawChunk = 0;
      const range = (k: number) => ({ start: k * CHUNK * MIN, end: (k + 1) * CHUNK * MIN });
      heading(`purge ${CHUNK.toLocaleString('en')} of ${ROWS.toLocaleString('en')} one-minute bars (interleaved)`);
      const [purge, del] = await compare([
        {
          name: 'store.purge (fences, rows, coverage, findings, audit; one transaction)',
          fn: async () => {
            const r = range(storeChunk++);
            check((await store.purge({ dataset: DS, range: r, fences: [{ key: JSON.stringify(['shard', DS.nodeId, MIN, r.start, r.end]), token: 1 }], actor: 'bench', action: 'purge' })).rowsRemoved);
          },
        },
        {
          name: 'raw: DELETE FROM bars_ohlcv of the same rows',
          fn: async () => {
            const r = range(rawChunk++);
            check((await raw.conn.run('DELETE FROM bars_ohlcv WHERE dataset_id = $1 AND ts >= $2::BIGINT AND ts < $3::BIGINT', [id, r.start, r.end])).rowsChanged);
          },
        },
      ], { runs: 5, warmup: 1 });
      report(purge, del, { maxRatio: 1.5 }, `store.purge ${CHUNK.toLocaleString('en')} bars vs the raw DELETE`);
    }, false);
  });
}

await main();
