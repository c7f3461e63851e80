/**
 * as_of reads on DuckDB: one day of one-minute bars (1,440) written once and restated whole ten
 * times (11 versions; the history holds 14,400 superseded rows), beside 50 other datasets of the
 * same history so the tables are not toy-sized. An as_of read in the middle of the history
 * (`store.readAsOf`: the version in force from the in-process version index, then the history
 * rows, which a later version replaced whole) and one after the newest version (the current
 * rows), against the plain read of the same 1,440 bars (`store.read`, current rows only, the
 * unchanged fast path). Goal: as_of ≤ 1.3× the plain read. Without a goal, the same middle read
 * of a day restated with a one-bar gap between two claims (no later version replaced the whole
 * range: current and history rows in one UNION ALL). Variants run interleaved, 20 reads per sample.
 * Run: node --expose-gc --import tsx bench/storage/as-of-read.bench.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OHLCV_SCHEMA, createFrame } from '../../src/core/index.js';
import type { Frame } from '../../src/core/index.js';
import { createManualClock } from '../../src/core/internal.js';
import { createDuckDbBarStore } from '../../src/engines/duckdb/internal.js';
import type { DatasetKey } from '../../src/storage/index.js';
import { compare, heading, report } from '../harness.js';
import { waveBarsFrame } from '../fixtures.js';

const ROWS = 1_440;
const RESTATEMENTS = 10;
const OTHER_DATASETS = 50;
const READS_PER_SAMPLE = 20;
const MIN = 60_000;
const DS: DatasetKey = { nodeId: 'ohlcv:bench:BTC/USDT', intervalMs: MIN };
const GAPPED: DatasetKey = { nodeId: 'ohlcv:bench:ETH/USDT', intervalMs: MIN };
const RANGE = { start: 0, end: ROWS * MIN };

/** The base bars with every value shifted by `k` (a restatement of every bar). */
function restated(base: Frame, k: number): Frame {
  return createFrame(OHLCV_SCHEMA, base.ts, base.values.map((v) => v.map((x) => x + k)));
}

/** The frame without row `i`. */
function withoutBar(f: Frame, i: number): Frame {
  const drop = (a: Float64Array): Float64Array => Float64Array.of(...a.subarray(0, i), ...a.subarray(i + 1));
  return createFrame(OHLCV_SCHEMA, drop(f.ts), f.values.map(drop));
}

function check(frame: Frame): void {
  if (frame.length !== ROWS) throw new RangeError(`read ${frame.length} rows, expected ${ROWS}`);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'seamless-bench-as-of-'));
  const clock = createManualClock(Date.UTC(2026, 0, 1));
  const store = await createDuckDbBarStore({ path: join(dir, 'bench.duckdb'), clock });
  try {
    const base = waveBarsFrame(ROWS, MIN);
    const coverage = [{ start: 0, end: ROWS * MIN, state: 'stored' as const }];
    const at: number[] = [];
    for (let v = 0; v <= RESTATEMENTS; v++) {
      for (let d = 0; d < OTHER_DATASETS; d++) {
        await store.write({ dataset: { nodeId: `ohlcv:bench:OTHER${d}`, intervalMs: MIN }, frame: restated(base, v), coverage }, OHLCV_SCHEMA);
      }
      await store.write({ dataset: DS, frame: restated(base, v), coverage }, OHLCV_SCHEMA);
      // Bar 720 stays that of the first write: each restatement claims [0, 720) and [721, 1,440).
      const gapped = v === 0 ? restated(base, v) : withoutBar(restated(base, v), 720);
      const claims = v === 0 ? coverage : [{ start: 0, end: 720 * MIN, state: 'stored' as const }, { start: 721 * MIN, end: ROWS * MIN, state: 'stored' as const }];
      await store.write({ dataset: GAPPED, frame: gapped, coverage: claims }, OHLCV_SCHEMA);
      at.push(clock.now());
      clock.advance(3_600_000);
    }
    const middle = at[RESTATEMENTS >> 1];
    const newest = at[RESTATEMENTS];
    const { readAsOf } = store;
    if (readAsOf === undefined) throw new TypeError('the DuckDB bar store has no readAsOf');
    const asOf = async (t: number, ds = DS): Promise<void> => {
      for (let i = 0; i < READS_PER_SAMPLE; i++) check((await readAsOf.call(store, ds, OHLCV_SCHEMA, RANGE, t)).frame);
    };
    heading(`as_of read of ${ROWS.toLocaleString('en')} bars, ${RESTATEMENTS} restatements (${READS_PER_SAMPLE} reads per sample, interleaved)`);
    const [plain, mid, latest, gapped] = await compare([
      { name: 'store.read (current rows)', fn: async () => { for (let i = 0; i < READS_PER_SAMPLE; i++) check(await store.read(DS, OHLCV_SCHEMA, RANGE)); } },
      { name: 'store.readAsOf (middle of the history)', fn: () => asOf(middle) },
      { name: 'store.readAsOf (after the newest version)', fn: () => asOf(newest) },
      { name: 'store.readAsOf (middle, restated with a gap)', fn: () => asOf(middle, GAPPED) },
    ], { runs: 9, warmup: 2 });
    report(mid, plain, { maxRatio: 1.3 }, 'as_of read, 1,440 bars, 10 restatements (middle) vs plain read');
    report(latest, plain, { maxRatio: 1.3 }, 'as_of read, 1,440 bars, 10 restatements (newest) vs plain read');
    report(gapped, plain, undefined, 'as_of read, 1,440 bars, 10 restatements with a gap (middle) vs plain read');
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
