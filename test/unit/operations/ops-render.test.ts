/**
 * The operations assets in the tree (operations/dashboards, operations/prometheus,
 * docs/operations/alerts, docs/operations/sla) are exactly what `seamless ops render` writes: a
 * change to the source without re-rendering (or a hand edit of a generated file) fails here.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliContext } from '../../../src/cli/context.js';
import { main } from '../../../src/cli/main.js';
import { DEFAULT_OPS_OPTIONS, renderOperationsFiles } from '../../../src/operations/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const GENERATED_DIRS = ['operations/dashboards', 'operations/prometheus', 'docs/operations/alerts'];

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

describe('generated operations assets', () => {
  const rendered = renderOperationsFiles(DEFAULT_OPS_OPTIONS);

  it('are checked in exactly as the generator renders them (run `seamless ops render` after a change)', () => {
    const stale: string[] = [];
    for (const [path, text] of rendered) {
      const file = join(ROOT, path);
      if (!existsSync(file) || readFileSync(file, 'utf8') !== text) stale.push(path);
    }
    expect(stale).toEqual([]);
  });

  it('leave no file in the generated directories that the generator does not write', () => {
    const extra = GENERATED_DIRS.flatMap(filesUnder).filter((p) => !rendered.has(p));
    expect(extra).toEqual([]);
  });

  describe('seamless ops render', () => {
    const dir = mkdtempSync(join(tmpdir(), 'seamless-ops-'));
    afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

    it('writes every file under --out and --docs and says how many', async () => {
      let stdout = '';
      const ctx: CliContext = {
        stdout: { write: (t: string) => { stdout += t; return true; } },
        stderr: { write: () => true },
        env: {}, debug: false, exitCode: 0, onSignal: () => () => undefined,
      };
      const code = await main(['node', 'seamless', 'ops', 'render', '--out', join(dir, 'ops'), '--docs', join(dir, 'docs'), '--runbook-base', 'https://runbooks.example/'], ctx);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^wrote \d+ files under /);
      const alerts = readFileSync(join(dir, 'ops/prometheus/seamless-alerts.yml'), 'utf8');
      expect(alerts).toContain('runbook_url: https://runbooks.example/SeamlessLeasesStuck.md');
      expect(existsSync(join(dir, 'docs/alerts/SeamlessLeasesStuck.md'))).toBe(true);
      expect(existsSync(join(dir, 'ops/dashboards/seamless-traces.json'))).toBe(true);
    });
  });
});
