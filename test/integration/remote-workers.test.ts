/**
 * Distributed backfill with workers in separate processes: `seamless coordinator serve
 * --workers 0` (embedded lease store, no fetching of its own) and three `seamless worker`
 * processes pulling shards over HTTP. A job of two days of 1m bars completes, storage holds every
 * bar, and every shard was leased exactly once (token 1, one `claimed` event each).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { collectEvents, eventually, killSeamlessProcesses, startCoordinator, startWorkers, writeSeamlessConfig } from '../harness/seamless-processes.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);
const NODE = 'ohlcv:test:REMOTE';

const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  await killSeamlessProcesses();
  for (const cleanup of cleanups) await cleanup();
});

/** The `claimed` events of the coordinator's replay buffer (SSE), read until the job's end. */
async function claimedEvents(url: string, jobId: string): Promise<string[]> {
  const stream = await collectEvents(url, 0);
  try {
    await eventually(`job_completed of ${jobId} on /v1/events`, () => (stream.ofType('job_completed').some((e) => e.data.jobId === jobId) ? true : undefined), 10_000, 50);
  } finally {
    stream.close();
  }
  return stream.ofType('claimed').map((e) => e.data.shard as string);
}

describe('remote backfill workers (separate processes)', () => {
  it('completes a two-day job with three workers, each shard leased exactly once', async () => {
    const dir = await tempDir('seamless-remote-');
    cleanups.push(dir.remove);
    const configFile = await writeSeamlessConfig(dir.path, [
      'sources:',
      '  slow: { kind: synthetic, seed: 11, latencyMs: 20 }',
      'datasets:',
      `  - { nodeId: "${NODE}", intervals: [1m], source: slow }`,
      'seamless:',
      '  backfill: { barsPerShard: 200, leaseMs: 5000, heartbeatMs: 1000 }',
    ]);

    const { process: coordinator, url } = await startCoordinator(configFile, dir.path);
    expect(coordinator.stdout).toContain('lease store embedded, 0 local workers');
    const workers = await startWorkers(url, configFile, dir.path, ['w1', 'w2', 'w3'], ['--concurrency', '2']);

    const submitted = await fetch(`${url}/v1/jobs`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ node: NODE, interval: '1m', start: new Date(T0).toISOString(), end: new Date(T0 + 2 * DAY).toISOString() }),
    });
    expect(submitted.status).toBe(202);
    const jobId = ((await submitted.json()) as { job: { id: string } }).job.id;

    interface JobBody { job: { state: string; completionRatio: number; totalShards: number; rowsWritten: number; shardList: { key: string; state: string }[] } }
    let job: JobBody['job'];
    const deadline = Date.now() + 90_000;
    for (;;) {
      job = ((await (await fetch(`${url}/v1/jobs/${jobId}`)).json()) as JobBody).job;
      if (job.state !== 'running' || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(job.state).toBe('completed');
    expect(job.completionRatio).toBe(1);
    // Shards are aligned on the 200-bar grid, so the job covers (and writes) whole shards around the range.
    expect(job.rowsWritten).toBe(job.totalShards * 200);
    expect(job.shardList).toHaveLength(job.totalShards);

    const cov = (await (await fetch(`${url}/v1/coverage?node=${encodeURIComponent(NODE)}&interval=1m&start=${T0}&end=${T0 + 2 * DAY}`)).json()) as { ranges: { start: number; end: number; state: string }[] };
    expect(cov.ranges.some((r) => r.state === 'stored' && r.start <= T0 && r.end >= T0 + 2 * DAY)).toBe(true);

    const bars = await fetch(`${url}/v1/bars?node=${encodeURIComponent(NODE)}&interval=1m&start=${T0}&end=${T0 + 2 * DAY}&strategy=fail_fast`);
    expect(bars.status).toBe(200);
    const read = (await bars.json()) as { data: { ts: number[] }; metadata: { rows: number; coverageRatio: number } };
    expect(read.metadata).toMatchObject({ rows: 2 * 1440, coverageRatio: 1 });
    expect(new Set(read.data.ts).size).toBe(2 * 1440);

    // Exactly once: every shard's only grant was token 1, and it was claimed once.
    for (const s of job.shardList) {
      const lease = (await (await fetch(`${url}/v1/leases/inspect?key=${encodeURIComponent(s.key)}`)).json()) as { state: string; token: number; holder: string };
      expect(lease, s.key).toMatchObject({ state: 'completed', token: 1 });
      expect(lease.holder).toMatch(/^w[123]\/[01]$/);
    }
    const claimed = await claimedEvents(url, jobId);
    expect(claimed.sort()).toEqual(job.shardList.map((s) => s.key).sort());

    // Each worker prints one line per shard it finished; together, one per shard.
    const finished = workers.reduce((n, w) => n + (w.stdout.match(/ completed /g)?.length ?? 0), 0);
    expect(finished).toBe(job.totalShards);

    for (const w of workers) w.process.kill('SIGTERM');
    for (const w of workers) {
      expect(await w.exited).toEqual({ code: 0, signal: null });
      expect(w.stdout).toMatch(/stopped after \d+ shards?/);
    }
    coordinator.process.kill('SIGTERM');
    expect(await coordinator.exited).toEqual({ code: 0, signal: null });
  });
});
