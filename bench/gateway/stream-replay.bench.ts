/**
 * Subscription replay rate: a subscription with `start` over 1,000,000 stored 1m bars, run to its
 * `caught_up` (reads of `stream.replayChunkBars` through the read path, columnar JSON messages to
 * an in-process sink that takes every byte at once), against an Arrow read of the same range
 * (one `fetch` + Arrow IPC encode). Goal: the replay within 2× of the Arrow read (bars/s).
 * Response cache off for both. Never asserts a time.
 * Run: node --expose-gc --import tsx bench/gateway/stream-replay.bench.ts (BENCH_RUNS)
 */
import { join } from 'node:path';
import { createSeamless } from '../../src/app/index.js';
import { OHLCV_SCHEMA, encodeArrowIpc } from '../../src/core/index.js';
import { createEmbeddedDatabase } from '../../src/engines/duckdb/internal.js';
import { silentLogger } from '../../src/observability/index.js';
import type { StreamSink } from '../../src/provider/index.js';
import { inTempDir } from '../baselines/raw-copy.js';
import { waveBarsFrame } from '../fixtures.js';
import { compare, report } from '../harness.js';

const MIN = 60_000;
const BARS = 1_000_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const START = Date.UTC(2020, 0, 1);
const END = START + BARS * MIN;
const NODE = 'ohlcv:bench:REPLAY';

await inTempDir('seamless-bench-stream-replay-', async (dir) => {
  const db = await createEmbeddedDatabase({ path: join(dir, 'seamless.duckdb') });
  const frame = waveBarsFrame(BARS, MIN);
  for (let i = 0; i < frame.length; i++) frame.ts[i] += START;
  await db.bars.write({ dataset: { nodeId: NODE, intervalMs: MIN }, frame, coverage: [{ start: START, end: END, state: 'stored' }] }, OHLCV_SCHEMA);
  await db.close();
  const seamless = await createSeamless({
    overrides: { dataDir: dir, cache: { enabled: false }, datasets: [{ nodeId: NODE, intervals: ['1m'] }], limits: { maxInflightReadBars: 4_000_000 } },
    env: {}, logger: silentLogger(),
    // The replay reads up to the bar building "now": now is the end of the stored range.
    clock: { now: () => END },
  });
  const stream = seamless.stream;
  if (!stream) throw new RangeError('no stream service');
  try {
    async function replay(): Promise<void> {
      let bars = 0;
      await new Promise<void>((resolve, reject) => {
        const sink: StreamSink = {
          bufferedBytes: 0,
          send(m) {
            bars += m.bars;
            if (m.type === 'caught_up') resolve();
            if (m.type === 'error') reject(new RangeError(m.bytes.toString()));
          },
          drain: async () => undefined,
          end: () => undefined,
        };
        void stream?.prepare({ nodes: [NODE], interval: '1m', start: START, strategy: 'fail_fast' }).then((p) => p.start(sink, 'bench'), reject);
      });
      if (bars !== BARS) throw new RangeError(`replayed ${bars} bars, expected ${BARS}`);
      stream?.closeAll();
    }
    async function arrowRead(): Promise<void> {
      const { frame: f } = await seamless.fetch({ nodeId: NODE, interval: '1m', start: START, end: END, strategy: 'fail_fast' });
      const bytes = encodeArrowIpc(f);
      if (f.length !== BARS || bytes.byteLength === 0) throw new RangeError(`read ${f.length} bars`);
    }
    const [subject, baseline] = await compare([
      { name: `subscription replay of ${BARS} bars (JSON messages)`, fn: replay },
      { name: 'Arrow read of the same range (fetch + IPC encode)', fn: arrowRead },
    ], { runs: RUNS, warmup: 1 });
    report(subject, baseline, { maxRatio: 2 }, 'stream replay of 1,000,000 bars vs an Arrow read');
    console.log(`  replay rate: ${Math.round(BARS / (subject.medianMs / 1000)).toLocaleString('en')} bars/s; Arrow read: ${Math.round(BARS / (baseline.medianMs / 1000)).toLocaleString('en')} bars/s`);
  } finally {
    await seamless.close();
  }
});
