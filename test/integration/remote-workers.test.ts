/**
 * Distributed backfill with workers in separate processes: `seamless coordinator serve
 * --workers 0` (embedded lease store, no fetching of its own) and three `seamless worker`
 * processes pulling shards over HTTP. A job of two days of 1m bars completes, storage holds every
 * bar, and every shard was leased exactly once (token 1, one `claimed` event each).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';

const BIN = fileURLToPath(new URL('../../bin/seamless.js', import.meta.url));
const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);
const NODE = 'ohlcv:test:REMOTE';

interface Child {
  readonly process: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: Child[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const c of children) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  for (const cleanup of cleanups) await cleanup();
});

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SEAMLESS_')) env[k] = v;
  return env;
}

function start(args: readonly string[], cwd: string): Child {
  const proc = spawn(process.execPath, [BIN, ...args], { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const child: Child = {
    process: proc,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal }))),
  };
  proc.stdout.on('data', (chunk: Buffer) => { child.stdout += chunk.toString('utf8'); });
  proc.stderr.on('data', (chunk: Buffer) => { child.stderr += chunk.toString('utf8'); });
  children.push(child);
  return child;
}

/** Resolves with the first stdout match of `pattern`; rejects if the process exits first. */
async function waitForLine(child: Child, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(child.stdout);
    if (m) return m;
    if (child.process.exitCode !== null) throw new Error(`exited (${child.process.exitCode}) before ${pattern}: ${child.stderr}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms; stdout: ${child.stdout}; stderr: ${child.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The `claimed` events of the coordinator's replay buffer (SSE), read until the job's end. */
async function claimedEvents(url: string, jobId: string): Promise<string[]> {
  const controller = new AbortController();
  const res = await fetch(`${url}/v1/events`, { headers: { 'last-event-id': '0' }, signal: controller.signal });
  const reader = res.body?.getReader();
  if (!reader) throw new Error('no event stream body');
  const decoder = new TextDecoder();
  let text = '';
  const shards: string[] = [];
  const timer = setTimeout(() => controller.abort(), 10_000);
  try {
    while (!text.includes(`"jobId":"${jobId}"`) || !text.includes('event: job_completed')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  for (const block of text.split('\n\n')) {
    if (!block.includes('event: claimed')) continue;
    const data = block.split('\n').find((l) => l.startsWith('data: '));
    if (data) shards.push((JSON.parse(data.slice(6)) as { shard: string }).shard);
  }
  return shards;
}

describe('remote backfill workers (separate processes)', () => {
  it('completes a two-day job with three workers, each shard leased exactly once', async () => {
    const dir = await tempDir('seamless-remote-');
    cleanups.push(dir.remove);
    const configFile = join(dir.path, 'seamless.yml');
    await writeFile(configFile, [
      `dataDir: ${JSON.stringify(join(dir.path, 'data'))}`,
      'logging: { level: warn }',
      'sources:',
      '  slow: { kind: synthetic, seed: 11, latencyMs: 20 }',
      'datasets:',
      `  - { nodeId: "${NODE}", intervals: [1m], source: slow }`,
      'seamless:',
      '  backfill: { barsPerShard: 200, leaseMs: 5000, heartbeatMs: 1000 }',
      '',
    ].join('\n'));

    const coordinator = start(['coordinator', 'serve', '--workers', '0', '--port', '0', '--config', configFile], dir.path);
    const url = (await waitForLine(coordinator, /listening on (http:\/\/\S+)/))[1];
    expect(coordinator.stdout).toContain('lease store embedded, 0 local workers');
    const workers = [1, 2, 3].map((n) => start(['worker', '--coordinator', url, '--config', configFile, '--id', `w${n}`, '--concurrency', '2'], dir.path));
    await Promise.all(workers.map((w) => waitForLine(w, /pulling shards from/)));

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
