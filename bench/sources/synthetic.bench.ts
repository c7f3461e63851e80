/**
 * Synthetic generation speed: one year of 1m bars (525 600 rows) from the normal walk, the
 * defective walk and a weekends-closed walk, in rows per second. Goal: well over 1 M rows/s.
 */
import { createSyntheticSource } from '../../src/sources/index.js';
import { formatMs, heading, measure } from '../harness.js';

const MINUTE = 60_000;
const YEAR_BARS = 525_600;
const range = { start: 1_704_067_200_000, end: 1_704_067_200_000 + YEAR_BARS * MINUTE };

async function main(): Promise<void> {
  heading('sources/synthetic: one year of 1m bars (525 600 rows)');
  const cases = [
    ['normal walk', createSyntheticSource({ seed: 42 })],
    ['defective walk', createSyntheticSource({ seed: 42, defects: true })],
    ['weekends known-empty', createSyntheticSource({ seed: 42, knownEmpty: 'weekends' })],
  ] as const;
  for (const [name, source] of cases) {
    let rows = 0;
    const sample = await measure(name, async () => {
      const batch = await source.fetch({ nodeId: 'ohlcv:demo:BTC-USD', intervalMs: MINUTE, range });
      rows = batch.frame.length;
    });
    const rate = rows / (sample.medianMs / 1000);
    const verdict = rate >= 1_000_000 ? '(goal ≥ 1 M rows/s: met)' : '(goal ≥ 1 M rows/s: MISSED)';
    console.log(`  ${name.padEnd(28)} ${formatMs(sample.medianMs).padStart(10)}  ${rows} rows  ${(rate / 1e6).toFixed(2)} M rows/s  ${verdict}`);
  }
}

await main();
