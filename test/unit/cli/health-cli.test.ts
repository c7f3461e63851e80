import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliContext } from '../../../src/cli/context.js';
import { healthLines } from '../../../src/cli/commands/health.js';
import { main } from '../../../src/cli/main.js';
import { tempDir } from '../../helpers/temp-dir.js';

function testContext(env: Record<string, string>): CliContext & { out: () => string } {
  let out = '';
  return {
    stdout: { write: (t: string) => { out += t; return true; } },
    stderr: { write: () => true },
    env,
    debug: false,
    exitCode: 0,
    onSignal: () => () => undefined,
    out: () => out,
  };
}

describe('seamless health', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => { dir = await tempDir('seamless-health-cli-'); });
  afterEach(async () => { await dir.remove(); });

  it('prints [OK] lines for configuration, storage, coordinator and registry and exits 0', async () => {
    const ctx = testContext({ SEAMLESS_DATA_DIR: join(dir.path, 'data') });
    expect(await main(['node', 'seamless', 'health'], ctx)).toBe(0);
    const lines = ctx.out().trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['[OK] configuration', '[OK] storage', '[OK] coordinator', '[OK] registry']);
  });

  it('fails the configuration check with the key named, and exits 1', async () => {
    const file = join(dir.path, 'bad.yml');
    writeFileSync(file, 'server:\n  port: "eighty"\n');
    const ctx = testContext({});
    expect(await main(['node', 'seamless', 'health', '--config', file, '--json'], ctx)).toBe(1);
    const body = JSON.parse(ctx.out()) as { status: string; checks: Record<string, { ok: boolean; detail: string }> };
    expect(body.status).toBe('failing');
    expect(body.checks.configuration.ok).toBe(false);
    expect(body.checks.configuration.detail).toMatch(/server\.port/);
  });

  it('reports an unreachable gateway as a failing check', async () => {
    const ctx = testContext({});
    expect(await main(['node', 'seamless', 'health', '--url', 'http://127.0.0.1:9'], ctx)).toBe(1);
    expect(ctx.out()).toMatch(/^\[FAIL\] gateway {2}cannot reach http:\/\/127\.0\.0\.1:9: /);
  });

  it('aligns names in one column', () => {
    expect(healthLines({ a: { ok: true, detail: 'x' }, 'upstream:binance': { ok: false, detail: 'rate limited' } })).toEqual([
      '[OK]   a                 x',
      '[FAIL] upstream:binance  rate limited',
    ]);
  });
});
