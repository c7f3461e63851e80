/**
 * The generated Prometheus rules under the real promtool: every rule file is valid, and every
 * alert's unit tests in operations/prometheus/tests/ pass — each alert fires on its staged bad
 * series with exactly the expected labels and annotations and stays quiet on a healthy one. A
 * rendering whose bad cases expect silence fails for every alert (the tests have teeth).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ALERT_GROUPS, ALERT_RULES_FILE, RECORDING_RULES_FILE, renderAlertRules, renderAlertTests, renderRecordingRules,
} from '../../src/operations/internal.js';
import type { AlertGroup } from '../../src/operations/internal.js';
import { tempDir } from '../helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PROMETHEUS = join(ROOT, 'operations/prometheus');
const TESTS = join(PROMETHEUS, 'tests');

interface Run { readonly code: number; readonly out: string }

function promtool(args: readonly string[], cwd = ROOT): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile('promtool', args, { cwd }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(err);
        return;
      }
      resolve({ code: typeof err?.code === 'number' ? err.code : 0, out: stdout + stderr });
    });
  });
}

describe('alert and recording rules under promtool', () => {
  it('passes promtool check rules for the alert, recording and SLA rule files', async () => {
    const r = await promtool(['check', 'rules', ...[ALERT_RULES_FILE, RECORDING_RULES_FILE, 'sla-rules.yml'].map((f) => join(PROMETHEUS, f))]);
    expect(r.code, r.out).toBe(0);
    expect(r.out.match(/SUCCESS: \d+ rules found/g)).toHaveLength(3);
  });

  const testFiles = readdirSync(TESTS).filter((f) => f.endsWith('.test.yml')).sort();

  it('has a promtool test file per alert group and for the SLA rules', () => {
    expect(testFiles).toEqual([...ALERT_GROUPS.map((g) => `${g.name}.test.yml`), 'sla-rules.test.yml'].sort());
  });

  it.each(testFiles)('passes promtool test rules %s (each alert fires on its bad series, not on its healthy one)', async (file) => {
    const r = await promtool(['test', 'rules', join(TESTS, file)]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('SUCCESS');
  });

  it('ships SeamlessSLAExceeded (ARCHITECTURE.md §6) with its runbook page linked from its annotations and its promtool cases', async () => {
    const rules = parse(readFileSync(join(PROMETHEUS, ALERT_RULES_FILE), 'utf8')) as { groups: { name: string; rules: { alert?: string; annotations?: Record<string, string> }[] }[] };
    const rule = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === 'SeamlessSLAExceeded');
    expect(rule?.annotations?.runbook_url).toBe('docs/operations/alerts/SeamlessSLAExceeded.md');
    expect(existsSync(join(ROOT, rule?.annotations?.runbook_url ?? 'missing'))).toBe(true);
    const group = ALERT_GROUPS.find((g) => g.alerts.some((a) => a.alert === 'SeamlessSLAExceeded'));
    const r = await promtool(['test', 'rules', join(TESTS, `${group?.name ?? 'missing'}.test.yml`)]);
    expect(r.code, r.out).toBe(0);
  });

  describe('a rendering whose bad cases expect no alert', () => {
    let dir: Awaited<ReturnType<typeof tempDir>>;
    beforeAll(async () => {
      dir = await tempDir('seamless-ops-rules-');
      const opts = { runbookBase: 'docs/operations/alerts/', generatedBy: 'test' };
      writeFileSync(join(dir.path, ALERT_RULES_FILE), renderAlertRules(ALERT_GROUPS, opts));
      writeFileSync(join(dir.path, RECORDING_RULES_FILE), renderRecordingRules([], opts));
      mkdirSync(join(dir.path, 'tests'));
      for (const g of ALERT_GROUPS) {
        const silent: AlertGroup = { ...g, alerts: g.alerts.map((a) => ({ ...a, bad: { ...a.bad, fires: [] } })) };
        writeFileSync(join(dir.path, 'tests', `${g.name}.test.yml`), renderAlertTests(silent, [`../${ALERT_RULES_FILE}`, `../${RECORDING_RULES_FILE}`], opts));
      }
    });
    afterAll(async () => { await dir?.remove(); });

    it.each(ALERT_GROUPS.map((g) => [g.name, g] as const))('fails for every alert of %s', async (name, g) => {
      const r = await promtool(['test', 'rules', join(dir.path, 'tests', `${name}.test.yml`)]);
      expect(r.code).not.toBe(0);
      for (const a of g.alerts) expect(r.out, a.alert).toContain(`alertname: ${a.alert}`);
    });
  });
});
