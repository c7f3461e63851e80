/**
 * The default shard geometry is chosen per interval (src/backfill/shard-size.ts): a read backfills
 * shards sized for its interval, `seamless.backfill.barsPerShard` still fixes one size for all,
 * and `barsPerShardByInterval` overrides one interval. Real instances (createSeamless, embedded
 * DuckDB, the demo synthetic source) in temporary data directories.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSeamless } from '../../src/app/index.js';
import type { Seamless } from '../../src/app/index.js';
import { loadConfig } from '../../src/config/index.js';
import { demoConfig } from '../../src/config/internal.js';
import { tempDir } from '../helpers/temp-dir.js';

const DAY = 86_400_000;
const MIN = 60_000;
// Two weeks starting on a Monday, long ago (every bar closed).
const START = Date.UTC(2021, 2, 1);
const DAILY = 'ohlcv:test:DAILY';

const opened: { seamless: Seamless; remove: () => Promise<void> }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) {
    await o.seamless.close();
    await o.remove();
  }
});

async function open(backfill: Record<string, unknown> = {}): Promise<Seamless> {
  const dir = await tempDir('seamless-shard-size-');
  // BTC-USD derives 1d from 1m bars (baseInterval): a dataset stored at 1d shows the 1d shards.
  const demo = demoConfig();
  const config = { ...demo, datasets: [...(demo.datasets ?? []), { nodeId: DAILY, intervals: ['1d'], source: 'synthetic' }] };
  const seamless = await createSeamless({ env: {}, config, overrides: { dataDir: dir.path, logging: { level: 'silent' }, seamless: { backfill } } });
  opened.push({ seamless, remove: dir.remove });
  return seamless;
}

/** What a cold read of [start, end) made the backfill fetch, as the span of stored coverage. */
async function storedSpanAfterRead(seamless: Seamless, nodeId: string, interval: string, start: number, end: number): Promise<number> {
  const r = await seamless.fetch({ nodeId, interval, start, end, strategy: 'auto_backfill' });
  expect(r.metadata.rows).toBeGreaterThan(0);
  const coverage = await seamless.coverage(nodeId, interval);
  let span = 0;
  for (const c of coverage) span += c.end - c.start;
  return span;
}

describe('backfill shard sizes per interval', () => {
  it('backfills at most two months of a 1d dataset to answer a two-week read', async () => {
    const seamless = await open();
    const span = await storedSpanAfterRead(seamless, DAILY, '1d', START, START + 14 * DAY);
    expect(span).toBeGreaterThanOrEqual(14 * DAY);
    expect(span).toBeLessThanOrEqual(60 * DAY);
  });

  it('answers a cold week of 1m bars from a handful of shards, not one per thousand bars', async () => {
    const seamless = await open();
    const r = await seamless.fetch({ nodeId: 'ohlcv:demo:BTC-USD', interval: '1m', start: START, end: START + 7 * DAY, strategy: 'auto_backfill' });
    expect(r.frame.length).toBe(10_080);
    const jobId = r.metadata.backfill?.jobId;
    expect(jobId).toBeDefined();
    const job = seamless.backfillJob(jobId ?? '');
    expect(job?.totalShards).toBeGreaterThanOrEqual(3);
    expect(job?.totalShards).toBeLessThanOrEqual(4);
  });

  it('uses seamless.backfill.barsPerShard for every interval when it is set', async () => {
    const seamless = await open({ barsPerShard: 1_000 });
    const span = await storedSpanAfterRead(seamless, DAILY, '1d', START, START + 14 * DAY);
    expect(span).toBe(1_000 * DAY);
  });

  it('takes one interval\'s size from barsPerShardByInterval and keeps the policy for the others', async () => {
    const seamless = await open({ barsPerShardByInterval: { '1d': 7 } });
    const span = await storedSpanAfterRead(seamless, DAILY, '1d', START, START + 14 * DAY);
    // 1970-01-01 was a Thursday: seven-day shards start on Thursdays, so two weeks from a Monday touch three.
    expect(span).toBe(21 * DAY);
    // 1m keeps its policy size: an hour's read fetches one three-day shard (START is on the three-day grid).
    const minutes = await storedSpanAfterRead(seamless, 'ohlcv:demo:BTC-USD', '1m', START, START + 60 * MIN);
    expect(minutes).toBe(4_320 * MIN);
  });

  it('refuses a barsPerShardByInterval key that is not an interval, naming it', () => {
    expect(() => loadConfig({ env: {}, overrides: { seamless: { backfill: { barsPerShardByInterval: { daily: 30 } } } } }))
      .toThrow(/seamless\.backfill\.barsPerShardByInterval\.daily.*not an interval/);
  });
});
