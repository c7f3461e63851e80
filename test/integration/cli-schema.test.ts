/**
 * `seamless schema …` and `seamless report …` as real CLI child processes (`node bin/seamless.js`),
 * embedded on a temporary data directory and, for the remote mode, through a served gateway
 * with API keys. Each test has its own workspace, so the tests run concurrently, each with its
 * own deadline (cli-timeout.ts).
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { CLI_TEST_TIMEOUT_MS } from '../helpers/cli-timeout.js';
import { generateApiKey } from '../../src/gateway/index.js';

import { SEAMLESS_CLI as BIN } from '../harness/seamless-cli.js';
const T0 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;
const DEFECTS = 'ohlcv:demo:DEFECTS';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface Workspace {
  readonly cwd: string;
  readonly dataDir: string;
}

const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function workspace(): Promise<Workspace> {
  const cwd = await mkdtemp(join(tmpdir(), 'seamless-cli-schema-'));
  dirs.push(cwd);
  return { cwd, dataDir: join(cwd, 'data') };
}

function childEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SEAMLESS_')) env[k] = v;
  return { ...env, SEAMLESS_DATA_DIR: dataDir };
}

function seamless(ws: Workspace, args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ws.cwd, env: childEnv(ws.dataDir), maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The OHLCV schema with one column's type replaced (`open` → string: not BACKWARD compatible). */
function ohlcvSchema(open: Record<string, unknown> = { type: 'number' }): string {
  const n = { type: 'number' };
  return JSON.stringify({
    type: 'object',
    title: 'seamless.ohlcv',
    properties: { ts: { type: 'integer', $comment: 'timestamp-millis' }, open, high: n, low: n, close: n, volume: n },
    required: ['ts', 'open', 'high', 'low', 'close', 'volume'],
  }, null, 2);
}

/** A bar-row schema for a fresh subject. */
const TRADE_SCHEMA = JSON.stringify({
  type: 'object',
  title: 'test.trade',
  properties: { ts: { type: 'integer', $comment: 'timestamp-millis' }, price: { type: 'number' }, side: { enum: ['buy', 'sell'] } },
  required: ['ts', 'price'],
});

function promotionIdOf(run: Run): string {
  const id = /^promotion (\S+) /m.exec(run.stdout)?.[1];
  if (id === undefined) throw new Error(`no promotion id in: ${run.stdout}${run.stderr}`);
  return id;
}

function lineMatching(child: ChildProcess, match: (line: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const source = child.stdout;
    if (source === null) throw new Error('no stdout');
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

describe('seamless schema and report CLI', { timeout: CLI_TEST_TIMEOUT_MS, concurrent: true }, () => {
  it('lists the shipped subjects and shows a version with its metadata', async ({ expect }) => {
    const ws = await workspace();
    const list = await seamless(ws, ['schema', 'list']);
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^subject\s+version\s+id\s+mode\s+compatibility$/);
    for (const subject of ['seamless-ohlcv', 'seamless-tick', 'seamless-quote']) {
      expect(lines.some((l) => new RegExp(`^${subject}\\s+1\\s+\\d+\\s+canary\\s+BACKWARD$`).test(l))).toBe(true);
    }
    const show = await seamless(ws, ['schema', 'show', 'seamless-ohlcv', '--version', '1']);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^subject seamless-ohlcv · version 1 · id \d+ · mode canary · compatibility BACKWARD\n/);
    expect(JSON.parse(show.stdout.slice(show.stdout.indexOf('\n') + 1))).toMatchObject({ title: 'seamless.ohlcv', properties: { ts: { $comment: 'timestamp-millis' } } });
    const missing = await seamless(ws, ['schema', 'show', 'no-such-subject']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^seamless: not_found: subject not found: no-such-subject\n$/);
  });

  it('registers a schema, and check names the field of an incompatible one with exit 1', async ({ expect }) => {
    const ws = await workspace();
    await writeFile(join(ws.cwd, 'trade.json'), TRADE_SCHEMA);
    await writeFile(join(ws.cwd, 'ohlcv-v2.json'), ohlcvSchema({ type: 'string' }));
    await writeFile(join(ws.cwd, 'ohlcv-same.json'), ohlcvSchema());

    const registered = await seamless(ws, ['schema', 'register', 'trades:demo/BTC', 'trade.json']);
    expect(registered).toMatchObject({ code: 0, stdout: expect.stringMatching(/^trades:demo\/BTC version 1 \(id \d+\)\n$/) });

    const check = await seamless(ws, ['schema', 'check', 'seamless-ohlcv', 'ohlcv-v2.json']);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/^incompatible with seamless-ohlcv version latest under BACKWARD:\n {2}- field "open" changed type from float64 to string/);
    const same = await seamless(ws, ['schema', 'check', 'seamless-ohlcv', 'ohlcv-same.json', '--version', '1']);
    expect(same).toMatchObject({ code: 0, stdout: 'compatible with seamless-ohlcv version 1 under BACKWARD\n' });

    const refused = await seamless(ws, ['schema', 'register', 'seamless-ohlcv', 'ohlcv-v2.json']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^seamless: conflict: schema is incompatible .*"open"/);
    const unreadable = await seamless(ws, ['schema', 'register', 'x', 'missing.json']);
    expect(unreadable.stderr).toMatch(/^seamless: invalid_request: FILE: cannot read missing\.json: ENOENT/);
  });

  it('promotes with two different --as identities, refuses a repeated one, and exports the audit log', async ({ expect }) => {
    const ws = await workspace();
    const direct = await seamless(ws, ['schema', 'mode', 'seamless-tick', 'strict']);
    expect(direct.code).toBe(1);
    expect(direct.stderr).toMatch(/^seamless: conflict: .*two different identities/);

    const promote = await seamless(ws, ['schema', 'promote', 'seamless-tick', '--change-request', 'CR-1234', '--as', 'carol']);
    expect(promote.code).toBe(0);
    const id = promotionIdOf(promote);
    expect(promote.stdout).toContain('requested by carol (change request CR-1234): pending');

    const noIdentity = await seamless(ws, ['schema', 'approve', id]);
    expect(noIdentity).toMatchObject({ code: 1, stderr: expect.stringMatching(/^seamless: invalid_request: --as: /) });
    const first = await seamless(ws, ['schema', 'approve', id, '--as', 'alice']);
    expect(first).toMatchObject({ code: 0, stdout: expect.stringContaining('(1 of 2): pending') });
    const again = await seamless(ws, ['schema', 'approve', id, '--as', 'alice']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^seamless: conflict: "alice" has already approved/);
    expect((await seamless(ws, ['schema', 'mode', 'seamless-tick'])).stdout).toBe('seamless-tick: canary\n');

    const second = await seamless(ws, ['schema', 'approve', id, '--as', 'bob']);
    expect(second).toMatchObject({ code: 0, stdout: `promotion ${id} approved by alice and bob: seamless-tick is now strict on version 1\n` });
    // The deciding approval already appended its entry to the governance document.
    const live = await readFile(join(ws.dataDir, 'docs', 'operations', 'schema_registry_governance.md'), 'utf8');
    expect(live).toMatch(/## \d+\. \S+ — promotion — seamless-tick/);
    expect((await seamless(ws, ['schema', 'mode', 'seamless-tick'])).stdout).toBe('seamless-tick: strict\n');

    const audit = await seamless(ws, ['schema', 'audit', 'seamless-tick']);
    expect(audit.stdout).toMatch(/promotion\s+seamless-tick\s+1\s+bob\s+alice,bob\s+CR-1234/);
    const exported = await seamless(ws, ['schema', 'audit', '--export']);
    expect(exported.code).toBe(0);
    const file = exported.stdout.trim();
    expect(file).toBe(join(ws.dataDir, 'docs', 'operations', 'schema_registry_governance.md'));
    const markdown = await readFile(file, 'utf8');
    expect(markdown).toMatch(/^# Schema registry governance log\n/);
    // Export appends only what is missing: the document is unchanged, not regenerated.
    expect(markdown).toBe(live);
    expect(markdown).toMatch(/## \d+\. \S+ — promotion — seamless-tick/);
    expect(markdown).toContain('| approvers | alice, bob |');
    expect(markdown).toContain('| change request | CR-1234 |');

    // Rolling back to canary is allowed and audited.
    expect((await seamless(ws, ['schema', 'mode', 'seamless-tick', 'canary', '--as', 'alice'])).stdout).toBe('seamless-tick: canary\n');
  });

  it('lists and shows the report of a read blocked by conformance', async ({ expect }) => {
    const ws = await workspace();
    const empty = await seamless(ws, ['report', 'list']);
    expect(empty).toMatchObject({ code: 0, stdout: 'no reports\n' });
    const blocked = await seamless(ws, ['fetch', '--node', DEFECTS, '--interval', '1m', '--start', new Date(T0).toISOString(), '--end', new Date(T0 + HOUR).toISOString()]);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toMatch(/^seamless: conformance_blocked: /);

    const list = await seamless(ws, ['report', 'list', '--node', DEFECTS, '--interval', '1m']);
    expect(list.code).toBe(0);
    const [header, row] = list.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^created\s+node\s+interval\s+flags\s+uri$/);
    expect(row).toContain(`${DEFECTS}  1m`);
    expect(row).toMatch(/gap=\d+/);
    const uri = /(qmtl:\/\/observability\/seamless\/\S+)$/.exec(row)?.[1] ?? '';
    expect(uri).not.toBe('');

    for (const ref of [uri, uri.slice(uri.lastIndexOf('/') + 1)]) {
      const show = await seamless(ws, ['report', 'show', ref]);
      expect(show.code).toBe(0);
      expect(JSON.parse(show.stdout)).toMatchObject({ uri, nodeId: DEFECTS, hasErrors: true, flags: { gap: expect.any(Number) } });
    }
    const missing = await seamless(ws, ['report', 'show', 'no-such-report']);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringMatching(/^seamless: not_found: report not found: no-such-report/) });
    expect((await seamless(ws, ['report', 'list', '--node', 'ohlcv:demo:BTC-USD'])).stdout).toBe('no reports\n');
  });

  it('goes through a gateway with --url: the API key names the identity of each approval', async ({ expect }) => {
    const ws = await workspace();
    const alice = generateApiKey('alice', ['read', 'admin']);
    const bob = generateApiKey('bob', ['read', 'admin']);
    const reader = generateApiKey('reader', ['read']);
    // JSON is YAML: the keys as the config file holds them.
    await writeFile(join(ws.cwd, 'seamless.yml'), JSON.stringify({ auth: { keys: [alice.entry, bob.entry, reader.entry] } }));
    await writeFile(join(ws.cwd, 'trade.json'), TRADE_SCHEMA);
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { cwd: ws.cwd, env: childEnv(ws.dataDir), stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const url = /(http:\/\/\S+)/.exec(await lineMatching(child, (l) => /listening on http:\/\//.test(l)))?.[1] ?? '';
      const as = (secret: string, args: readonly string[]) => seamless(ws, [...args, '--url', url, '--key', secret]);

      const list = await as(reader.secret, ['schema', 'list']);
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(/^seamless-ohlcv\s+1\s+\d+\s+canary\s+BACKWARD$/m);
      const forbidden = await as(reader.secret, ['schema', 'register', 'trades:demo/ETH', 'trade.json']);
      expect(forbidden).toMatchObject({ code: 1, stderr: expect.stringMatching(/^seamless: forbidden: /) });
      expect(await as(alice.secret, ['schema', 'register', 'trades:demo/ETH', 'trade.json'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^trades:demo\/ETH version 1 \(id \d+\)\n$/) });
      expect((await as(reader.secret, ['schema', 'show', 'trades:demo/ETH'])).stdout).toMatch(/^subject trades:demo\/ETH · version 1/);

      const asFlag = await as(alice.secret, ['schema', 'approve', 'x', '--as', 'bob']);
      expect(asFlag.stderr).toMatch(/^seamless: invalid_request: --as: with --url the identity is the API key's name/);

      const promoted = await as(alice.secret, ['schema', 'promote', 'trades:demo/ETH', '--change-request', 'CR-9']);
      const id = promotionIdOf(promoted);
      // The advice printed is what works through a gateway: a key, not --as (which is refused there).
      expect(promoted.stdout).toContain(`approve it with: seamless schema approve ${id} --url ${url} --key <admin API key>`);
      expect(promoted.stdout).not.toContain('--as');
      expect((await as(alice.secret, ['schema', 'approve', id])).stdout).toContain('approved by alice (1 of 2): pending');
      const again = await as(alice.secret, ['schema', 'approve', id]);
      expect(again).toMatchObject({ code: 1, stderr: expect.stringMatching(/^seamless: conflict: "alice" has already approved/) });
      expect((await as(bob.secret, ['schema', 'approve', id])).stdout).toContain('approved by alice and bob: trades:demo/ETH is now strict');
      expect((await as(reader.secret, ['schema', 'mode', 'trades:demo/ETH'])).stdout).toBe('trades:demo/ETH: strict\n');
      expect((await as(reader.secret, ['schema', 'audit', 'trades:demo/ETH'])).stdout).toMatch(/promotion\s+trades:demo\/ETH\s+1\s+bob\s+alice,bob\s+CR-9/);
      expect((await as(reader.secret, ['report', 'list'])).stdout).toBe('no reports\n');
      expect((await as(reader.secret, ['report', 'show', 'nope'])).stderr).toMatch(/^seamless: not_found: /);
    } finally {
      child.kill('SIGTERM');
    }
    await exited;
  });
});
