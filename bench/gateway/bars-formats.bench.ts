/**
 * GET /v1/bars for 100,000 one-minute bars over real HTTP (loopback), Arrow vs columnar JSON
 * vs CSV. Each figure is a whole request: the read (a response-cache hit after warm-up),
 * encoding, and the client receiving every byte. Goal: Arrow at least 10× faster than JSON.
 * Run: npx tsx bench/gateway/bars-formats.bench.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveGateway } from '../../src/gateway/index.js';
import { silentLogger } from '../../src/observability/index.js';
import { createSeamless } from '../../src/app/index.js';
import { heading, measure, report } from '../harness.js';

const BARS = 100_000;
const START = Date.UTC(2023, 0, 1);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'seamless-bench-gw-'));
  const seamless = await createSeamless({ overrides: { dataDir: dir, seamless: { backfill: { barsPerShard: 10_000 } } }, env: {}, logger: silentLogger() });
  const gateway = await serveGateway({ seamless, host: '127.0.0.1', port: 0 });
  try {
    const url = `${gateway.url}/v1/bars?node=ohlcv:demo:BTC-USD&interval=1m&start=${START}&end=${START + BARS * 60_000}`;
    const first = await fetch(url);
    if (first.status !== 200) throw new Error(`warm-up read failed: ${first.status} ${await first.text()}`);
    const bytes = async (format: string): Promise<number> => {
      const res = await fetch(`${url}&format=${format}`);
      const body = await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${format}: ${res.status}`);
      return body.byteLength;
    };
    const sizes = { arrow: await bytes('arrow'), json: await bytes('json'), csv: await bytes('csv') };
    heading(`GET /v1/bars, ${BARS.toLocaleString('en-US')} bars (Arrow ${(sizes.arrow / 1e6).toFixed(1)} MB, JSON ${(sizes.json / 1e6).toFixed(1)} MB, CSV ${(sizes.csv / 1e6).toFixed(1)} MB)`);
    const json = await measure('format=json (columnar JSON)', () => bytes('json'), { runs: 9, warmup: 2 });
    const arrow = await measure('format=arrow (Arrow IPC stream)', () => bytes('arrow'), { runs: 9, warmup: 2 });
    const csv = await measure('format=csv', () => bytes('csv'), { runs: 9, warmup: 2 });
    report(arrow, json, { minSpeedup: 10 });
    report(csv, json);
  } finally {
    await gateway.close();
    await seamless.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
