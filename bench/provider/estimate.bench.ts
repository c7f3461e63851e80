/**
 * The pre-flight estimate (GET /v1/bars/estimate's work, `Seamless.estimate`) against what it is
 * made of and what it saves, variants interleaved in one run, on `BENCH_BARS` stored 1m bars
 * (default 100,000) of the demo dataset, backfilled first:
 *  - vs a read of 256 stored bars (`fetch`, cache off): the estimate is a coverage read, the shard
 *    arithmetic and a storage read of a sample of ≤ 256 stored bars (encoded as JSON and CSV to
 *    measure a row), so it should cost about one small read: goal ≤ 1.5×;
 *  - vs the read it prices (`fetch` with the response cache off, everything stored, conformance on):
 *    goal ≥ 5× faster at 100,000 bars, so asking first is cheap next to reading (the gap grows with the range: the estimate reads no more bars for a larger one).
 * Run: npx tsx bench/provider/estimate.bench.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSeamless } from '../../src/app/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { compare, heading, report } from '../harness.js';

const MIN = 60_000;
const BARS = Number(process.env.BENCH_BARS ?? 100_000);
const RUNS = Number(process.env.BENCH_ROUNDS ?? 9);
const NODE = 'ohlcv:demo:BTC-USD';
const START = Date.UTC(2021, 0, 1);
const END = START + BARS * MIN;

const dir = await mkdtemp(join(tmpdir(), 'seamless-bench-estimate-'));
const seamless = await createSeamless({
  overrides: { dataDir: dir, cache: { enabled: false }, limits: { maxBars: Math.max(BARS, 100_000) } },
  env: {},
  logger: silentLogger(),
});
try {
  heading(`pre-flight estimate of ${BARS.toLocaleString('en')} stored 1m bars`);
  const backfilled = await seamless.fetch({ nodeId: NODE, interval: '1m', start: START, end: END, strategy: 'auto_backfill' });
  console.log(`  stored ${backfilled.metadata.rows} bars; coverage ${(await seamless.coverage(NODE, '1m', { start: START, end: END })).length} range(s)`);
  const range = { nodeId: NODE, interval: '1m', start: START, end: END };
  const [estimate, small, read] = await compare([
    { name: 'estimate', fn: () => seamless.estimate(range) },
    { name: 'fetch of 256 bars (cache off)', fn: () => seamless.fetch({ ...range, end: START + 256 * MIN, strategy: 'fail_fast' }) },
    { name: 'fetch of the range (cache off)', fn: () => seamless.fetch({ ...range, strategy: 'fail_fast' }) },
  ], { runs: RUNS });
  report(estimate, small, { maxRatio: 1.5 }, 'estimate vs a read of 256 stored bars');
  report(estimate, read, { minSpeedup: 5 }, 'estimate vs the read it prices');
} finally {
  await seamless.close();
  await rm(dir, { recursive: true, force: true });
}
