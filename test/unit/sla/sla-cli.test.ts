import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliContext } from '../../../src/cli/context.js';
import { main } from '../../../src/cli/main.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { VALID } from './fixtures.js';

interface TestContext extends CliContext {
  readonly out: () => string;
  readonly err: () => string;
  signal(): void;
}

function testContext(): TestContext {
  let out = '';
  let err = '';
  const handlers = new Set<(s: NodeJS.Signals) => void>();
  return {
    stdout: { write: (t: string) => { out += t; return true; } },
    stderr: { write: (t: string) => { err += t; return true; } },
    env: {},
    debug: false,
    exitCode: 0,
    onSignal(handler) {
      handlers.add(handler);
      return () => { handlers.delete(handler); };
    },
    out: () => out,
    err: () => err,
    signal: () => { for (const h of [...handlers]) h('SIGTERM'); },
  };
}

/** The keys of a JSON object line's top level, in order, duplicates kept (JSON.parse keeps only the last). */
function topLevelKeys(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      let j = i + 1;
      while (line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(line.slice(i, j + 1)) as string);
      expectKey = false;
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = c === '{' && depth === 1;
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}

const run = (ctx: CliContext, ...args: string[]): Promise<number> => main(['node', 'seamless', 'sla', ...args], ctx);

describe('seamless sla', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => { dir = await tempDir('seamless-sla-cli-'); });
  afterEach(async () => { await dir.remove(); });

  it('lint prints one line per problem and exits 1', async () => {
    writeFileSync(join(dir.path, 'a.yml'), VALID.replace('mode: enforced', 'mode: strict').replace('owner: data-platform\n', ''));
    writeFileSync(join(dir.path, 'b.yml'), VALID.replace('name: demo-1m', 'name: b').replace('total: 2500', 'totl: 2500'));
    const ctx = testContext();
    expect(await run(ctx, 'lint', '--dir', dir.path)).toBe(1);
    expect(ctx.out().trim().split('\n')).toEqual([
      `${dir.path}/a.yml:5: mode: Invalid option: expected one of "dry-run"|"enforced"`,
      `${dir.path}/a.yml:1: owner: Invalid input: expected string, received undefined`,
      `${dir.path}/b.yml:9: budgets.totl: unknown key "totl"`,
    ]);
  });

  it('lint explains which policy applies to a dataset', async () => {
    const ctx = testContext();
    expect(await run(ctx, 'lint', '--node', 'ohlcv:demo:BTC-USD', '--interval', '1m')).toBe(0);
    const lines = ctx.out().split('\n');
    expect(lines[0]).toBe('ok: 3 policies in configs/seamless/sla');
    expect(lines[1]).toBe('ohlcv:demo:BTC-USD 1m → demo-1m (enforced)');
    expect(ctx.out()).toMatch(/\*\s+demo-1m\s+configs\/seamless\/sla\/demo-1m\.yml\s+glob "ohlcv:demo:\*" \(11 literal characters\), interval 1m: the most specific match/);
    expect(ctx.out()).toMatch(/\+\s+default .*outranked by "demo-1m"/);
  });

  it('render-rules writes the rules and a runbook per policy', async () => {
    const ctx = testContext();
    const out = join(dir.path, 'prom', 'sla-rules.yml');
    const books = join(dir.path, 'runbooks');
    expect(await run(ctx, 'render-rules', '--out', out, '--runbooks', books)).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('seamless-sla-demo-1m');
    expect(readFileSync(join(books, 'equities-1d.md'), 'utf8')).toContain('# SLA policy `equities-1d`');
  });

  it('inject-violation --write writes real metric samples and logs under seamless.sla', async () => {
    const ctx = testContext();
    const file = join(dir.path, 'staged.prom');
    expect(await run(ctx, 'inject-violation', '--node', 'ohlcv:demo:BTC-USD', '--interval', '1m', '--phase', 'storage', '--duration', '4000', '--write', file)).toBe(0);
    expect(ctx.out()).toContain('staged violation: policy demo-1m (enforced) node ohlcv:demo:BTC-USD phase storage 4000 ms > budget 500 ms');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('seamless_sla_deadline_seconds_bucket{le="2.5",node_id="ohlcv:demo:BTC-USD",phase="storage"} 0');
    expect(text).toContain('seamless_sla_deadline_seconds_bucket{le="5",node_id="ohlcv:demo:BTC-USD",phase="total"} 1');
    expect(text).toContain('seamless_sla_violations_total{node_id="ohlcv:demo:BTC-USD",phase="storage",policy="demo-1m",mode="enforced"} 1');
    const log = JSON.parse(ctx.err().trim().split('\n')[0]) as Record<string, unknown>;
    expect(log).toMatchObject({ name: 'seamless.sla', policy: 'demo-1m', phase: 'storage', elapsedMs: 4000, budgetMs: 500, staged: true });
  });

  it('inject-violation logs a JSON line whose keys each appear once (the raw text, not what JSON.parse keeps)', async () => {
    const ctx = testContext();
    expect(await run(ctx, 'inject-violation', '--node', 'ohlcv:demo:BTC-USD', '--interval', '1m', '--phase', 'storage', '--duration', '4000', '--write', join(dir.path, 'dup.prom'))).toBe(0);
    const line = ctx.err().trim().split('\n')[0];
    const keys = topLevelKeys(line);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
    expect(keys).toContain('name');
  });

  it('inject-violation --serve serves /metrics on loopback until SIGTERM', async () => {
    const ctx = testContext();
    const done = run(ctx, 'inject-violation', '--node', 'x', '--phase', 'total', '--duration', '120000', '--policy', 'default', '--serve', '0', '--every', '20');
    await expect.poll(() => ctx.out(), { timeout: 5_000 }).toMatch(/serving http:\/\/127\.0\.0\.1:\d+\/metrics/);
    const url = /http:\/\/127\.0\.0\.1:\d+\/metrics/.exec(ctx.out())?.[0] ?? '';
    await expect.poll(async () => {
      const text = await (await fetch(url)).text();
      return Number(/seamless_sla_deadline_seconds_count\{node_id="x",phase="total"\} (\d+)/.exec(text)?.[1] ?? 0);
    }, { timeout: 5_000 }).toBeGreaterThan(1); // repeated, so rate() sees it
    ctx.signal();
    expect(await done).toBe(0);
  });

  it('inject-violation refuses a phase the policy has no budget for', async () => {
    const ctx = testContext();
    expect(await run(ctx, 'inject-violation', '--node', 'ohlcv:us-equities:ACME', '--interval', '1d', '--phase', 'live', '--duration', '10')).toBe(1);
    expect(ctx.err()).toContain('policy "equities-1d" has no live budget');
  });
});
