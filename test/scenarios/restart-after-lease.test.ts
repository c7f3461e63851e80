/**
 * A gateway (`seamless serve`, embedded lease store, two local workers) killed with SIGKILL in the
 * middle of a backfill, restarted on the same data directory after its leases expired. What the
 * operator must see: the restarted process recovers every unfinished shard at start with no error
 * in its log, the job completes (completionRatio 1) without anyone asking again, every bar of the
 * range is stored exactly once, and a job that had finished before the crash is not logged as
 * finishing again.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';
import { eventually, killSeamlessProcesses, processReport, startSeamless, waitForLine } from '../harness/seamless-processes.js';
import type { SeamlessProcess } from '../harness/seamless-processes.js';

const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);
const NODE = 'ohlcv:test:RESTART';
const LEASE_MS = 1_500;
const BARS_PER_SHARD = 60;

interface JobBody { job: { id: string; state: string; completionRatio: number; totalShards: number; shards: Record<string, number> } }
interface LogLine { level: number; msg: string; job?: string; err?: { type?: string; message?: string } }

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await killSeamlessProcesses();
  for (const cleanup of cleanups) await cleanup();
});

function logLines(p: SeamlessProcess): LogLine[] {
  return p.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
}

async function serve(configFile: string, cwd: string, name: string): Promise<{ process: SeamlessProcess; url: string }> {
  const child = startSeamless(['serve', '--port', '0', '--config', configFile], cwd, name);
  const url = (await waitForLine(child, /listening on (http:\/\/\S+)/, 60_000))[1];
  return { process: child, url };
}

async function backfill(url: string, start: number, end: number): Promise<string> {
  const res = await fetch(`${url}/v1/backfills`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ node: NODE, interval: '1m', start, end }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as JobBody).job.id;
}

async function job(url: string, id: string): Promise<JobBody['job']> {
  const res = await fetch(`${url}/v1/backfills/${id}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as JobBody).job;
}

describe('a gateway killed mid-backfill and restarted past the lease time', () => {
  it('recovers every unfinished shard at start, completes the job and stores each bar once', async () => {
    const dir = await tempDir('seamless-restart-');
    cleanups.push(dir.remove);
    const configFile = join(dir.path, 'seamless.yml');
    await writeFile(configFile, [
      `dataDir: ${JSON.stringify(join(dir.path, 'data'))}`,
      'logging: { level: info }',
      'sources:',
      '  slow: { kind: synthetic, seed: 21, latencyMs: 400 }',
      'datasets:',
      `  - { nodeId: "${NODE}", intervals: [1m], source: slow }`,
      'seamless:',
      `  backfill: { barsPerShard: ${BARS_PER_SHARD}, leaseMs: ${LEASE_MS}, heartbeatMs: 500, concurrency: 2, localWorkers: 2 }`,
      '',
    ].join('\n'));

    const first = await serve(configFile, dir.path, 'gateway-1');
    // A job that finishes before the crash: the restarted gateway must not report it again.
    const earlier = await backfill(first.url, T0 - 2 * 60 * MIN, T0);
    await eventually('the earlier job to complete', async () => ((await job(first.url, earlier)).state === 'completed' ? true : undefined), 30_000);

    const big = await backfill(first.url, T0, T0 + DAY);
    const midway = await eventually('some shards completed, others leased, the job still running', async () => {
      const j = await job(first.url, big);
      return j.state === 'running' && (j.shards.completed ?? 0) >= 4 && (j.shards.leased ?? 0) >= 1 ? j : undefined;
    }, 30_000, 50);
    await first.process.kill('SIGKILL');
    const killedAt = Date.now();
    expect(midway.totalShards).toBe(DAY / MIN / BARS_PER_SHARD);

    // Past the lease time: every lease the dead process held has expired.
    await until(() => Date.now() > killedAt + LEASE_MS + 100, 'the leases of the killed gateway to expire');
    const second = await serve(configFile, dir.path, 'gateway-2');
    const done = await eventually('the interrupted job to complete after the restart', async () => {
      const j = await job(second.url, big);
      return j.state !== 'running' ? j : undefined;
    }, 40_000, 100).catch((error: unknown) => { throw new Error(`${String(error)}\n${processReport(second.process, 30)}`); });
    expect(done).toMatchObject({ state: 'completed', completionRatio: 1 });

    // Stored exactly once: every bar of the day, no duplicate timestamp.
    const bars = await fetch(`${second.url}/v1/bars?node=${encodeURIComponent(NODE)}&interval=1m&start=${T0}&end=${T0 + DAY}&strategy=fail_fast`);
    expect(bars.status).toBe(200);
    const read = (await bars.json()) as { data: { ts: number[] }; metadata: { rows: number } };
    expect(read.metadata.rows).toBe(DAY / MIN);
    expect(new Set(read.data.ts).size).toBe(DAY / MIN);

    // Reported: recovery at start, no error, the earlier job not re-logged as finishing.
    const logs = logLines(second.process);
    expect(second.process.stderr).not.toContain('ReferenceError');
    expect(logs.filter((l) => l.level >= 50), processReport(second.process, 30)).toEqual([]);
    expect(logs.some((l) => l.msg === 'unfinished shard re-queued after restart')).toBe(true);
    expect(logs.filter((l) => l.msg === 'backfill job finished' && l.job === earlier)).toEqual([]);
    expect(logs.filter((l) => l.msg === 'backfill job finished' && l.job === big)).toHaveLength(1);
    expect((await job(second.url, earlier)).state).toBe('completed');

    second.process.process.kill('SIGTERM');
    expect(await second.process.exited).toEqual({ code: 0, signal: null });
  }, 170_000);
});
