/**
 * Tracing overhead: a 1,440-bar read on a storage hit (no response cache) with tracing off vs on,
 * exporting spans over OTLP/HTTP to a local listener, measured in the same run.
 * Run: npx tsx bench/provider/tracing.bench.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';
import { startOtlpListener } from '../../test/harness/otlp-listener.js';
import { heading, measure, report } from '../harness.js';

const DAY = { start: '2024-02-01T00:00:00Z', end: '2024-02-02T00:00:00Z' };

async function main(): Promise<void> {
  const otlp = await startOtlpListener();
  const dirs = [await mkdtemp(join(tmpdir(), 'seamless-bench-trace-')), await mkdtemp(join(tmpdir(), 'seamless-bench-trace-'))];
  const base = { cache: { enabled: false }, logging: { level: 'silent' as const } };
  const off = await createSeamless({ overrides: { ...base, dataDir: dirs[0] }, env: {}, logger: silentLogger() });
  const on = await createSeamless({ overrides: { ...base, dataDir: dirs[1], tracing: { endpoint: otlp.endpoint, exportDelayMs: 200 } }, env: {}, logger: silentLogger() });
  try {
    const read = (s: typeof off) => s.fetch({ nodeId: 'ohlcv:demo:BTC-USD', interval: '1m', ...DAY, strategy: 'auto_backfill' });
    await read(off);
    await read(on);
    heading('1,440-bar read on a storage hit: tracing off vs on (OTLP/HTTP to a local listener)');
    const untraced = await measure('tracing off', () => read(off), { runs: 201, warmup: 20 });
    const traced = await measure('tracing on (spans exported)', () => read(on), { runs: 201, warmup: 20 });
    report(traced, untraced);
    console.log(`  spans received by the listener: ${otlp.spans.length}`);
  } finally {
    await off.close();
    await on.close();
    await otlp.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }
}

await main();
