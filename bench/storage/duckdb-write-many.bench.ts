/**
 * The live write-through's flush on DuckDB (issue 17): 1,000 live 1m datasets each close a bar, and
 * the flush writes the 1,000 one-bar batches — beyond each dataset's stored coverage, as live bars
 * are — with ONE BarStore.writeMany (one transaction: version ids in one query, one appender for
 * every dataset's rows, findings, coverage and versions in one statement each) against 1,000
 * `write` calls (1,000 transactions: what the per-dataset live writers did). Each variant has its
 * own database with the same history and writes the next minute on every run. Figures: wall time
 * per flush, and the event loop's busy time during it (performance.eventLoopUtilization: what
 * subscribers being sent the minute's burst wait for). Goal: the writeMany flush costs at most a
 * fifth of the 1,000 writes. Never asserts a time.
 * Run: node --expose-gc --import tsx bench/storage/duckdb-write-many.bench.ts
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { OHLCV_SCHEMA, createFrame } from '../../src/core/index.js';
import { createDuckDbBarStore } from '../../src/engines/duckdb/internal.js';
import type { BarStore, DatasetKey, WriteBatch } from '../../src/storage/index.js';
import { inTempDir } from '../baselines/raw-copy.js';
import { compare, heading, record, report } from '../harness.js';

const DATASETS = 1_000;
const MIN = 60_000;
const T0 = 1_000 * MIN;

const datasets: DatasetKey[] = [];
for (let k = 0; k < DATASETS; k++) datasets.push({ nodeId: `ohlcv:bench:S${k}/USDT`, intervalMs: MIN });

/** Every dataset's closed bar of `minute` (one-bar batches claiming exactly [ts, ts + 1m)), as the live write-through builds them. */
function flushOf(minute: number): WriteBatch[] {
  const ts = T0 + minute * MIN;
  return datasets.map((dataset, k) => ({
    dataset, source: 'live', coverage: [{ start: ts, end: ts + MIN, state: 'stored' }],
    frame: createFrame(OHLCV_SCHEMA, Float64Array.of(ts), OHLCV_SCHEMA.columns.map((_, c) => Float64Array.of(100 + k + c / 10 + minute))),
  }));
}

/** Runs `fn` and returns the event loop's busy time during it (ms). */
async function busyMs(fn: () => Promise<unknown>): Promise<number> {
  const before = performance.eventLoopUtilization();
  await fn();
  return performance.eventLoopUtilization(before).active;
}

async function main(): Promise<void> {
  await inTempDir('seamless-bench-write-many-', async (dir) => {
    const many: BarStore = await createDuckDbBarStore({ path: join(dir, 'many.duckdb') });
    const single: BarStore = await createDuckDbBarStore({ path: join(dir, 'single.duckdb') });
    try {
      // The same history in both: ten minutes stored per dataset (coverage [T0, T0 + 10m)).
      for (let m = 0; m < 10; m++) {
        const batches = flushOf(m);
        await many.writeMany?.(batches, OHLCV_SCHEMA);
        await single.writeMany?.(batches, OHLCV_SCHEMA);
      }
      let manyMinute = 10;
      let singleMinute = 10;
      const busy = { many: [] as number[], single: [] as number[] };
      const writeMany = async (): Promise<void> => {
        const batches = flushOf(manyMinute++);
        busy.many.push(await busyMs(() => many.writeMany?.(batches, OHLCV_SCHEMA) ?? Promise.resolve()));
      };
      const writes = async (): Promise<void> => {
        const batches = flushOf(singleMinute++);
        busy.single.push(await busyMs(() => Promise.all(batches.map((b) => single.write(b, OHLCV_SCHEMA)))));
      };
      heading(`live write-through flush: ${DATASETS.toLocaleString('en')} datasets × 1 closed bar (interleaved)`);
      const [m, s] = await compare([
        { name: 'writeMany: one transaction for all', fn: writeMany },
        { name: `${DATASETS.toLocaleString('en')} writes: one transaction each`, fn: writes },
      ], { runs: 7, warmup: 1 });
      report(m, s, { maxRatio: 0.2 }, `flush of ${DATASETS.toLocaleString('en')} live bars: writeMany vs one write per dataset (wall)`);
      const med = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
      record(`flush of ${DATASETS.toLocaleString('en')} live bars: event loop busy (writeMany vs one write per dataset)`, med(busy.many), 'ms', { baseline: med(busy.single) });
    } finally {
      await many.close();
      await single.close();
    }
  });
}

await main();
