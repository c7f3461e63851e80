/**
 * A cold read with the DEFAULT configuration, as users run it: createSeamless with nothing but a
 * data dir (distributed coordinator, embedded DuckDB lease store, default shard size), reading a
 * never-stored week of 1m bars (10,080) from the synthetic demo source; each run a different
 * week. The baseline, interleaved: the synthetic source's raw generation of the same week.
 * Goals: ≥ 150,000 rows/s and the week in ≤ 100 ms.
 * Run: node --expose-gc --import tsx bench/backfill/cold-default.bench.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSeamless } from '../../src/app/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { createSyntheticSource } from '../../src/sources/index.js';
import { compare, heading, record, report } from '../harness.js';

const MIN = 60_000;
const WEEK = 7 * 1_440;
const NODE = 'ohlcv:demo:BTC-USD';
const START = Date.UTC(2020, 0, 6);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'seamless-bench-cold-'));
  const seamless = await createSeamless({ overrides: { dataDir: dir }, env: {}, logger: silentLogger() });
  const source = createSyntheticSource({ seed: 7 });
  try {
    heading(`cold week of 1m bars (${WEEK.toLocaleString('en-US')} rows), default configuration (interleaved with raw generation)`);
    let a = 0;
    let b = 0;
    const week = (k: number): number => START + k * WEEK * MIN;
    const [cold, generated] = await compare([
      {
        name: 'fetch of a never-stored week (backfill through the default path)',
        fn: async () => {
          const s = week(a++);
          const r = await seamless.fetch({ nodeId: NODE, interval: '1m', start: s, end: s + WEEK * MIN });
          if (r.frame.length !== WEEK) throw new RangeError(`cold week: ${r.frame.length} rows`);
        },
      },
      {
        name: 'synthetic source: generate the week',
        fn: async () => {
          const s = week(1_000 + b++);
          const batch = await source.fetch({ nodeId: NODE, intervalMs: MIN, range: { start: s, end: s + WEEK * MIN } });
          if (batch.frame.length !== WEEK) throw new RangeError(`generated ${batch.frame.length} rows`);
        },
      },
    ], { runs: 7, warmup: 1 });
    report(cold, generated, { max: 100 }, 'cold week of 1m bars, default config (vs raw generation)');
    record('cold backfill rows/s, default config (vs raw generation)', WEEK / (cold.medianMs / 1000), 'rows/s', {
      baseline: WEEK / (generated.medianMs / 1000), goal: { min: 150_000 },
    });
  } finally {
    await seamless.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
