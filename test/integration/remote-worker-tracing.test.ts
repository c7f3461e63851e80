/**
 * A shard leased by a `seamless worker` in another process continues the trace of the read that
 * created its job: the coordinator hands the job's traceparent out with the grant, and the
 * worker's `seamless.backfill.shard` span (exported by the worker process) has the read's trace id.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { killSeamlessProcesses, startCoordinator, startWorkers } from '../harness/seamless-processes.js';
import { startOtlpListener } from '../harness/otlp-listener.js';
import type { OtlpListener } from '../harness/otlp-listener.js';

const T0 = Date.UTC(2024, 0, 1);
const NODE = 'ohlcv:test:TRACED';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

describe('trace continued by a remote worker', () => {
  let otlp: OtlpListener;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    otlp = await startOtlpListener();
  });

  afterAll(async () => {
    await killSeamlessProcesses();
    await otlp?.close();
    for (const c of cleanups) await c();
  });

  it('exports the worker\'s shard span in the trace of the read that asked', async () => {
    const dir = await tempDir('seamless-remote-trace-');
    cleanups.push(dir.remove);
    const config = (serviceName: string): string => [
      `dataDir: ${JSON.stringify(join(dir.path, 'data'))}`,
      'logging: { level: warn }',
      `tracing: { endpoint: ${JSON.stringify(otlp.endpoint)}, serviceName: ${serviceName}, exportDelayMs: 20 }`,
      'sources:',
      '  s: { kind: synthetic, seed: 5 }',
      'datasets:',
      `  - { nodeId: "${NODE}", intervals: [1m], source: s }`,
      'seamless:',
      '  backfill: { barsPerShard: 60, leaseMs: 5000, heartbeatMs: 1000 }',
      '',
    ].join('\n');
    const coordinatorFile = join(dir.path, 'coordinator.yml');
    const workerFile = join(dir.path, 'worker.yml');
    await writeFile(coordinatorFile, config('seamless-coordinator'));
    await writeFile(workerFile, config('seamless-worker'));
    const { url } = await startCoordinator(coordinatorFile, dir.path);
    await startWorkers(url, workerFile, dir.path, ['traced-worker']);

    const res = await fetch(`${url}/v1/bars?node=${encodeURIComponent(NODE)}&interval=1m&start=${T0}&end=${T0 + 120 * 60_000}&strategy=auto_backfill`, {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { metadata: { rows: number; sources: { backfill: number } } };
    expect(body.metadata.rows).toBe(120);

    const pipeline = await otlp.waitFor('seamless.pipeline', 15_000);
    expect(pipeline.traceId).toBe(TRACE_ID);
    // Two 60-bar shards, both fetched by the worker process: each span continues the read's trace.
    const deadline = Date.now() + 15_000;
    let shards = otlp.spans.filter((s) => s.name === 'seamless.backfill.shard');
    while (shards.length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      shards = otlp.spans.filter((s) => s.name === 'seamless.backfill.shard');
    }
    expect(shards).toHaveLength(2);
    for (const shard of shards) {
      expect(shard.traceId).toBe(TRACE_ID);
      expect(shard.attributes['seamless.lease.worker']).toMatch(/^traced-worker(\/\d+)?$/);
      expect(shard.attributes['seamless.shard.state']).toBe('completed');
      expect(shard.attributes['seamless.shard.rows']).toBe(60);
      expect(typeof shard.attributes['seamless.backfill.job']).toBe('string');
    }
  });
});
