/**
 * Node's own `fetch` (undici, pooled keep-alive connections) reading two real `seamless serve`
 * gateways in turn, as a strategy does: read, compute, read again. The compute steps block the
 * client's event loop for 6.5 s — longer than the gateway's old 5 s keep-alive — so when the
 * next read goes out the pooled socket is reused before the client could notice that the gateway
 * had closed it; the read used to fail with "other side closed". With the gateway's default
 * keep-alive (server.keepAliveTimeoutMs, 72 s, above common clients' pools) no read fails.
 * Default server timeouts: nothing is lowered for the test.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { killSeamlessProcesses, startSeamless, waitForLine } from '../harness/seamless-processes.js';

const READ = '/v1/bars?node=ohlcv:demo:BTC-USD&interval=1m&start=2024-01-01T00:00:00Z&end=2024-01-01T01:00:00Z';
/** After these reads the "strategy" computes (blocks its event loop) for COMPUTE_MS. */
const COMPUTE_AFTER = new Set([49, 99, 149]);
const COMPUTE_MS = 6_500;

/** Blocks this thread without spinning, like a synchronous computation would. */
function compute(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe('a pooled fetch client reading two gateways in turn', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const urls: string[] = [];

  beforeAll(async () => {
    dir = await tempDir('seamless-keepalive-');
    const started = await Promise.all(['a', 'b'].map(async (name) => {
      const configFile = join(dir.path, `${name}.yml`);
      await writeFile(configFile, `dataDir: ${JSON.stringify(join(dir.path, name))}\nlogging: { level: warn }\n`);
      const gateway = startSeamless(['serve', '--config', configFile, '--port', '0'], dir.path, `gateway-${name}`);
      return (await waitForLine(gateway, /listening on (http:\/\/\S+)/))[1] ?? '';
    }));
    urls.push(...started);
  }, 60_000);

  afterAll(async () => {
    await killSeamlessProcesses();
    await dir?.remove();
  });

  it('never sees a reset across 200 reads with pauses longer than the old 5 s keep-alive', async () => {
    const failures: string[] = [];
    for (let i = 0; i < 200; i++) {
      const url = `${urls[i % 2] ?? ''}${READ}`;
      try {
        const res = await fetch(url);
        await res.arrayBuffer();
        if (res.status !== 200) failures.push(`read ${i}: HTTP ${res.status}`);
      } catch (error) {
        const cause = (error as { cause?: { message?: string } }).cause?.message;
        failures.push(`read ${i}: ${cause ?? String(error)}`);
      }
      if (COMPUTE_AFTER.has(i)) compute(COMPUTE_MS);
    }
    console.log(`200 reads over two gateways, ${COMPUTE_AFTER.size} pauses of ${COMPUTE_MS} ms: ${failures.length} failed`);
    expect(failures).toEqual([]);
  }, 60_000);
});
