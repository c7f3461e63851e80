/**
 * The real `seamless` CLI, run as child processes (`node bin/seamless.js …`) from a temporary
 * working directory, each test with its own data directory. The tests share nothing, so they run
 * concurrently (a CLI start is mostly one core loading modules: the other core does the next
 * test's), each with its own deadline (cli-timeout.ts).
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { CLI_TEST_TIMEOUT_MS } from '../helpers/cli-timeout.js';

import { SEAMLESS_CLI as BIN } from '../harness/seamless-cli.js';
const MINUTE = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const BTC = 'ohlcv:demo:BTC-USD';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface Coverage {
  readonly ranges: { start: number; end: number; state: string }[];
}

interface ReadBody {
  readonly data: Record<string, number[]>;
  readonly metadata: { rows: number; coverageRatio: number; nodeId: string; fingerprint: string; sources: Record<string, number> };
}

const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A fresh working directory; the data directory is `<it>/data`. */
async function workspace(): Promise<{ cwd: string; dataDir: string }> {
  const cwd = await mkdtemp(join(tmpdir(), 'seamless-cli-'));
  dirs.push(cwd);
  return { cwd, dataDir: join(cwd, 'data') };
}

/** The parent's environment without any SEAMLESS_* variable, plus the test's own. */
function childEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SEAMLESS_')) env[k] = v;
  return { ...env, SEAMLESS_DATA_DIR: dataDir, ...extra };
}

function seamless(ws: { cwd: string; dataDir: string }, args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ws.cwd, env: childEnv(ws.dataDir), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

async function coverage(ws: { cwd: string; dataDir: string }, node: string, extra: readonly string[] = []): Promise<Coverage> {
  const run = await seamless(ws, ['coverage', '--node', node, '--interval', '1m', '--json', ...extra]);
  if (run.code !== 0) throw new Error(`coverage failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Coverage;
}

/** Resolves with the first line of `stream` that `match` accepts. */
function lineMatching(child: ChildProcess, stream: 'stdout' | 'stderr', match: (line: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const source = child[stream];
    if (source === null) throw new Error(`no ${stream}`);
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      const hit = lines.find(match);
      if (hit !== undefined) {
        source.off('data', onData);
        resolve(hit);
      }
    };
    source.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited (${code}) before the expected line`)));
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('seamless CLI', { timeout: CLI_TEST_TIMEOUT_MS, concurrent: true }, () => {
  it('fetches an hour of demo bars as JSON and then reports them as stored coverage', async ({ expect }) => {
    const ws = await workspace();
    const run = await seamless(ws, ['fetch', '--node', BTC, '--interval', '1m', '--start', iso(T0), '--end', iso(T0 + 60 * MINUTE), '--format', 'json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const body = JSON.parse(run.stdout) as ReadBody;
    expect(body.data.ts).toHaveLength(60);
    expect(body.data.ts[0]).toBe(T0);
    expect(body.data.close).toHaveLength(60);
    expect(body.metadata).toMatchObject({ nodeId: BTC, rows: 60, coverageRatio: 1 });
    expect(body.metadata.fingerprint).toMatch(/^sha256:/);

    const cov = await coverage(ws, BTC);
    const stored = cov.ranges.filter((r) => r.state === 'stored');
    expect(stored.some((r) => r.start <= T0 && r.end >= T0 + 60 * MINUTE)).toBe(true);

    const table = await seamless(ws, ['coverage', '--node', BTC, '--interval', '1m']);
    expect(table.stdout).toMatch(/^start\s+end\s+state\s+bars\s+reason$/m);
    expect(table.stdout).toMatch(/\bstored\b/);
  });

  it('refuses a bad --start with one line naming the field', async ({ expect }) => {
    const ws = await workspace();
    const run = await seamless(ws, ['fetch', '--node', BTC, '--interval', '1m', '--start', 'abc', '--end', iso(T0)]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^seamless: invalid_request: start: .*"abc"/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('backfills two days with plain progress lines, then shows them stored', async ({ expect }) => {
    const ws = await workspace();
    const start = T0;
    const end = T0 + 2 * 24 * 60 * MINUTE;
    const run = await seamless(ws, ['backfill', '--node', BTC, '--interval', '1m', '--start', iso(start), '--end', iso(end)]);
    expect(run.code).toBe(0);
    const progress = run.stderr.trimEnd().split('\n');
    expect(progress.length).toBeGreaterThanOrEqual(1);
    for (const line of progress) expect(line).toMatch(/^backfill job_\S+ \d+\/\d+ shards \(\d+(\.\d)?%\) \d+ rows$/);
    const [, done, total] = /(\d+)\/(\d+) shards/.exec(progress[progress.length - 1]) ?? [];
    expect(done).toBe(total);
    expect(run.stdout).toMatch(/^backfill job_\S+ completed: \d+ shards completed/m);

    const cov = await coverage(ws, BTC);
    expect(cov.ranges.some((r) => r.state === 'stored' && r.start <= start && r.end >= end)).toBe(true);
  });

  it('imports a CSV that a fail_fast fetch then returns row for row', async ({ expect }) => {
    const ws = await workspace();
    const csv = join(ws.cwd, 'bars.csv');
    const closes = [100.5, 101.25, 99.75, 100, 102.5];
    const lines = ['ts,open,high,low,close,volume', ...closes.map((c, i) => `${iso(T0 + i * MINUTE)},${c},${c + 1},${c - 1},${c},${10 + i}`)];
    await writeFile(csv, `${lines.join('\n')}\n`);
    const imported = await seamless(ws, ['import', 'bars.csv', '--node', 'ohlcv:file:TEST', '--interval', '1m']);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/imported 5 rows/);
    expect(imported.stdout).toContain(`first ${iso(T0)}`);

    const run = await seamless(ws, ['fetch', '--node', 'ohlcv:file:TEST', '--interval', '1m', '--start', iso(T0), '--end', iso(T0 + 5 * MINUTE), '--strategy', 'fail_fast', '--format', 'json']);
    expect(run.code).toBe(0);
    const body = JSON.parse(run.stdout) as ReadBody;
    expect(body.data.close).toEqual(closes);
    expect(body.data.volume).toEqual([10, 11, 12, 13, 14]);
    expect(body.metadata).toMatchObject({ rows: 5, coverageRatio: 1 });
  });

  it('fetches --as-of a time before a re-import: the volumes known then, and the versions that served', async ({ expect }) => {
    const ws = await workspace();
    const csv = (volume: number): string => ['ts,open,high,low,close,volume', ...[0, 1, 2].map((i) => `${iso(T0 + i * MINUTE)},100,101,99,100,${volume + i}`)].join('\n') + '\n';
    await writeFile(join(ws.cwd, 'first.csv'), csv(10));
    expect((await seamless(ws, ['import', 'first.csv', '--node', 'ohlcv:file:ASOF', '--interval', '1m'])).code).toBe(0);
    const known = Date.now();
    while (Date.now() <= known) await new Promise((r) => setImmediate(r));
    await writeFile(join(ws.cwd, 'second.csv'), csv(50));
    expect((await seamless(ws, ['import', 'second.csv', '--node', 'ohlcv:file:ASOF', '--interval', '1m'])).code).toBe(0);
    const range = ['--node', 'ohlcv:file:ASOF', '--interval', '1m', '--start', iso(T0), '--end', iso(T0 + 3 * MINUTE), '--strategy', 'fail_fast'];
    const then = await seamless(ws, ['fetch', ...range, '--as-of', String(known), '--format', 'json']);
    expect(then.stderr).toBe('');
    const body = JSON.parse(then.stdout) as ReadBody & { metadata: { versions: { ids: number[] } } };
    expect(body.data.volume).toEqual([10, 11, 12]);
    expect(body.metadata.versions.ids).toHaveLength(1);
    const now = JSON.parse((await seamless(ws, ['fetch', ...range, '--format', 'json'])).stdout) as ReadBody;
    expect(now.data.volume).toEqual([50, 51, 52]);
    const table = await seamless(ws, ['fetch', ...range, '--as-of', String(known)]);
    expect(table.stdout).toMatch(/as of .*: version\(s\) \d+, newest committed/);
  });

  it('rejects a malformed CSV naming line and field, and writes nothing', async ({ expect }) => {
    const ws = await workspace();
    const csv = join(ws.cwd, 'bad.csv');
    await writeFile(csv, [
      'ts,open,high,low,close,volume',
      `${iso(T0)},1,2,0.5,1.5,10`,
      `${iso(T0 + MINUTE)},1,abc,0.5,1.5,10`,
      `${iso(T0 + 2 * MINUTE)},1,2,0.5,oops,10`,
      '',
    ].join('\n'));
    // A configured dataset, so coverage can answer "nothing" rather than "no such dataset".
    const run = await seamless(ws, ['import', csv, '--node', 'ohlcv:demo:ETH-USD', '--interval', '1m']);
    expect(run.code).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^seamless: invalid_request: .*line 3, field "high"/);
    expect(lines[1]).toMatch(/^\s+line 4, field "close"/);
    expect(lines.length).toBeLessThanOrEqual(12);
    expect(run.stderr).not.toMatch(/\n\s+at /);

    const cov = await coverage(ws, 'ohlcv:demo:ETH-USD');
    expect(cov.ranges).toEqual([]);
  });

  it('creates a key into the config file, lists it without its hash and refuses a duplicate', async ({ expect }) => {
    const ws = await workspace();
    const config = join(ws.cwd, 'seamless.yml');
    await writeFile(config, '# team config\ndataDir: ./data # kept\n');
    const created = await seamless(ws, ['keys', 'create', 'alice', '--scope', 'read', '--scope', 'backfill']);
    expect(created.code).toBe(0);
    const secret = /secret: (\S+)/.exec(created.stdout)?.[1] ?? '';
    expect(secret).toMatch(/^sk_seamless_/);
    expect(created.stdout.split(secret)).toHaveLength(2); // printed once
    expect(created.stdout).toMatch(/not be shown again/);

    const text = await readFile(config, 'utf8');
    expect(text).toContain('# team config');
    expect(text).toContain('# kept');
    expect(text).toMatch(/secretHash: sha256:[0-9a-f]{64}/);
    expect(text).not.toContain(secret);

    const list = await seamless(ws, ['keys', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^alice\s+read,backfill\s+\d{4}-/m);
    expect(list.stdout).not.toMatch(/sha256|sk_seamless_/);

    const dup = await seamless(ws, ['keys', 'create', 'alice', '--scope', 'read']);
    expect(dup.code).toBe(1);
    expect(dup.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(dup.stderr).toMatch(/^seamless: conflict: .*alice/);
    expect(await readFile(config, 'utf8')).toBe(text);
  });

  it('serves the gateway on a free port, sends other processes through --url, and exits 0 on SIGTERM', async ({ expect }) => {
    const ws = await workspace();
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { cwd: ws.cwd, env: childEnv(ws.dataDir), stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = exitOf(child);
    try {
      const line = await lineMatching(child, 'stdout', (l) => /listening on http:\/\//.test(l));
      const url = /(http:\/\/\S+)/.exec(line)?.[1] ?? '';
      const res = await fetch(`${url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok' });
      const bars = await fetch(`${url}/v1/bars?node=${BTC}&interval=1m&start=${iso(T0)}&end=${iso(T0 + 5 * MINUTE)}`);
      expect(((await bars.json()) as ReadBody).metadata.rows).toBe(5);

      // The gateway holds the data directory: a second process is told to go through it.
      const args = ['fetch', '--node', BTC, '--interval', '1m', '--start', iso(T0), '--end', iso(T0 + 5 * MINUTE), '--format', 'json'];
      const [locked, remote] = await Promise.all([seamless(ws, args), seamless(ws, [...args, '--url', url])]);
      expect(locked.code).toBe(1);
      expect(locked.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(locked.stderr).toMatch(/^seamless: conflict: .*locked by another process.*--url/);
      expect(remote.code).toBe(0);
      expect((JSON.parse(remote.stdout) as ReadBody).data.ts).toHaveLength(5);

      // `seamless health --url` reports the gateway's checks; locally the held storage fails.
      const [healthRemote, healthLocal] = await Promise.all([seamless(ws, ['health', '--url', url]), seamless(ws, ['health'])]);
      expect(healthRemote.code).toBe(0);
      expect(healthRemote.stdout).toMatch(/^\[OK\]\s+gateway\s+http:/m);
      expect(healthRemote.stdout).toMatch(/^\[OK\]\s+storage\s+duckdb$/m);
      expect(healthLocal.code).toBe(1);
      expect(healthLocal.stdout).toMatch(/^\[FAIL\] storage\s+conflict: .*locked by another process/m);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toEqual({ code: 0, signal: null });
  });

  it('after a backfill killed midway, claims only stored ranges and a later auto_backfill completes the range', async ({ expect }) => {
    const ws = await workspace();
    const node = 'ohlcv:test:SLOW';
    const dataset = (latencyMs: number, concurrency: number): string => [
      'sources:',
      `  slow: { kind: synthetic, seed: 99, latencyMs: ${latencyMs} }`,
      'datasets:',
      `  - { nodeId: "${node}", intervals: [1m], source: slow }`,
      'seamless:',
      `  backfill: { barsPerShard: 200, concurrency: ${concurrency} }`,
      '',
    ].join('\n');
    // Same seed, same data: the slow config makes the kill land midway (72 shards at 100 ms each,
    // one at a time: at least 7 s; the kill follows the first finished shard), the fast one
    // finishes quickly. 10 days, not more: the auto_backfill of what is left is a transaction per
    // shard or so, slow on a loaded machine.
    await writeFile(join(ws.cwd, 'slow.yml'), dataset(100, 1));
    await writeFile(join(ws.cwd, 'fast.yml'), dataset(0, 4));
    const start = T0;
    const end = T0 + 10 * 24 * 60 * MINUTE;

    const child = spawn(process.execPath, [BIN, 'backfill', '--config', 'slow.yml', '--node', node, '--interval', '1m', '--start', iso(start), '--end', iso(end)], {
      cwd: ws.cwd, env: childEnv(ws.dataDir), stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = exitOf(child);
    const line = await lineMatching(child, 'stderr', (l) => /^backfill \S+ [1-9]\d*\/\d+ shards/.test(l));
    child.kill('SIGKILL');
    expect(await exited).toMatchObject({ signal: 'SIGKILL' });
    const [, done, total] = /(\d+)\/(\d+) shards/.exec(line) ?? [];
    expect(Number(done)).toBeLessThan(Number(total));

    const claims = (await coverage(ws, node, ['--config', 'slow.yml'])).ranges;
    const stored = claims.filter((r) => r.state === 'stored');
    expect(stored.length).toBeGreaterThan(0);
    expect(claims.every((r) => r.state !== 'known_empty')).toBe(true);
    let claimedBars = 0;
    for (const r of stored) {
      const read = await seamless(ws, ['fetch', '--config', 'slow.yml', '--node', node, '--interval', '1m', '--start', String(r.start), '--end', String(r.end), '--strategy', 'fail_fast', '--partial-ok', '--format', 'json']);
      expect(read.code).toBe(0);
      const body = JSON.parse(read.stdout) as ReadBody;
      // A 24/7 synthetic dataset: a stored claim holds one bar per minute.
      expect(body.metadata.rows).toBe((r.end - r.start) / MINUTE);
      // Shards are aligned to the epoch grid, so the first claim may start before the range.
      claimedBars += (Math.min(r.end, end) - Math.max(r.start, start)) / MINUTE;
    }
    expect(claimedBars).toBeLessThan((end - start) / MINUTE);

    const completed = await seamless(ws, ['fetch', '--config', 'fast.yml', '--node', node, '--interval', '1m', '--start', iso(start), '--end', iso(end), '--strategy', 'auto_backfill', '--format', 'json']);
    expect(completed.stderr).toBe('');
    expect(completed.code).toBe(0);
    const body = JSON.parse(completed.stdout) as ReadBody;
    expect(body.metadata.coverageRatio).toBe(1);
    expect(body.metadata.rows).toBe((end - start) / MINUTE);
    // What the killed run stored is read back, not fetched again.
    expect(body.metadata.sources.storage).toBeGreaterThanOrEqual(claimedBars);
  });
});
