/**
 * The Prometheus rules rendered from the example SLA policies, checked by the real promtool
 * (Debian's `prometheus` package; CI installs it from scripts/system-packages.txt): the rules
 * are valid, a staged violation (every read over budget for minutes) fires the burn-rate
 * alerts, and a healthy series does not. The staged violation of `seamless sla
 * inject-violation --write` is valid exposition text.
 */
import { execFile, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { LATENCY_BUCKETS_S } from '../../src/observability/index.js';
import { renderRules } from '../../src/operations/index.js';
import { BURN_ALERTS, budgetBucketSeconds } from '../../src/operations/internal.js';
import { DEFAULT_SLA_POLICY_DIR, loadSlaPolicies } from '../../src/sla/index.js';
import { tempDir } from '../helpers/temp-dir.js';

const PROMTOOL = 'promtool';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
import { SEAMLESS_CLI as BIN } from '../harness/seamless-cli.js';
const NODE = 'ohlcv:demo:BTC-USD';
const READS_PER_MIN = 60;
const MINUTES = 40;

interface Run { readonly code: number; readonly stdout: string; readonly stderr: string }

function run(file: string, args: readonly string[], options: { cwd?: string; input?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { cwd: options.cwd ?? ROOT }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(err);
        return;
      }
      resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

interface Rule { alert?: string; labels?: Record<string, string>; annotations?: Record<string, string> }

/** Series of one histogram (node, phase total) where every read takes `readS` seconds. */
function histogramSeries(readS: number): { series: string; values: string }[] {
  const labels = `node_id="${NODE}",phase="total"`;
  const perMin = (n: number): string => `0+${n}x${MINUTES}`;
  return [
    ...LATENCY_BUCKETS_S.map((b) => ({
      series: `seamless_sla_deadline_seconds_bucket{${labels},le="${b}"}`,
      values: perMin(readS <= b ? READS_PER_MIN : 0),
    })),
    { series: `seamless_sla_deadline_seconds_bucket{${labels},le="+Inf"}`, values: perMin(READS_PER_MIN) },
    { series: `seamless_sla_deadline_seconds_count{${labels}}`, values: perMin(READS_PER_MIN) },
    { series: `seamless_sla_deadline_seconds_sum{${labels}}`, values: perMin(READS_PER_MIN * readS) },
  ];
}

describe('SLA alert rules under promtool', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let rulesFile: string;
  let rules: { groups: { name: string; rules: Rule[] }[] };
  const set = loadSlaPolicies(join(ROOT, DEFAULT_SLA_POLICY_DIR));
  const demo = set.byName('demo-1m');

  beforeAll(async () => {
    dir = await tempDir('seamless-sla-rules-');
    rulesFile = join(dir.path, 'sla-rules.yml');
    const text = renderRules(set, { source: DEFAULT_SLA_POLICY_DIR });
    await writeFile(rulesFile, text);
    rules = parse(text) as typeof rules;
  });
  afterAll(async () => { await dir.remove(); });

  /** The labels and annotations promtool must see on `alert` of the demo policy's total phase. */
  function expected(alert: string): { exp_labels: Record<string, string>; exp_annotations: Record<string, string> } {
    const rule = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === alert && r.labels?.policy === 'demo-1m' && r.labels.phase === 'total');
    if (!rule?.labels || !rule.annotations) throw new TypeError(`no ${alert} rule for demo-1m/total`);
    return { exp_labels: rule.labels, exp_annotations: rule.annotations };
  }

  it('the example policies cover the node under test with the enforced 1m policy', () => {
    expect(set.resolve(NODE, 60_000)?.policy.name).toBe('demo-1m');
    expect(demo?.budgets.total).toBe(2500);
    expect(budgetBucketSeconds(2500)).toBe(2.5);
  });

  it('passes promtool check rules', async () => {
    const r = await run(PROMTOOL, ['check', 'rules', rulesFile]);
    expect(r.stderr + r.stdout).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.code).toBe(0);
  });

  it('fires the burn-rate alerts for a staged violation and stays silent for a healthy series (promtool test rules)', async () => {
    const testFile = join(dir.path, 'sla-rules.test.yml');
    await writeFile(testFile, stringify({
      rule_files: ['sla-rules.yml'],
      evaluation_interval: '1m',
      tests: [
        {
          name: 'every read takes 5 s against a 2.5 s budget',
          interval: '1m',
          input_series: histogramSeries(5),
          alert_rule_test: [
            { eval_time: '10m', alertname: BURN_ALERTS.fast.alert, exp_alerts: [expected(BURN_ALERTS.fast.alert)] },
            // Slow burn waits for its longer `for`; the catch-all (60 s budget) sees healthy reads.
            { eval_time: '10m', alertname: BURN_ALERTS.slow.alert, exp_alerts: [] },
            { eval_time: '30m', alertname: BURN_ALERTS.slow.alert, exp_alerts: [expected(BURN_ALERTS.slow.alert)] },
          ],
        },
        {
          name: 'every read takes 100 ms',
          interval: '1m',
          input_series: histogramSeries(0.1),
          alert_rule_test: [
            { eval_time: '10m', alertname: BURN_ALERTS.fast.alert, exp_alerts: [] },
            { eval_time: '30m', alertname: BURN_ALERTS.fast.alert, exp_alerts: [] },
            { eval_time: '30m', alertname: BURN_ALERTS.slow.alert, exp_alerts: [] },
          ],
        },
      ],
    }, { lineWidth: 0 }));
    const r = await run(PROMTOOL, ['test', 'rules', testFile]);
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('a test that expects no alert for the staged violation fails (the rule test has teeth)', async () => {
    const testFile = join(dir.path, 'sla-rules-wrong.test.yml');
    await writeFile(testFile, stringify({
      rule_files: ['sla-rules.yml'],
      evaluation_interval: '1m',
      tests: [{
        interval: '1m',
        input_series: histogramSeries(5),
        alert_rule_test: [{ eval_time: '10m', alertname: BURN_ALERTS.fast.alert, exp_alerts: [] }],
      }],
    }, { lineWidth: 0 }));
    const r = await run(PROMTOOL, ['test', 'rules', testFile]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(BURN_ALERTS.fast.alert);
  });

  it('inject-violation --write produces exposition promtool accepts', async () => {
    const file = join(dir.path, 'staged.prom');
    const cli = await new Promise<Run>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'sla', 'inject-violation', '--node', NODE, '--interval', '1m', '--phase', 'total', '--duration', '5000', '--write', file], { cwd: ROOT });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      child.on('error', reject);
      child.on('close', (code) => { resolve({ code: code ?? -1, stdout, stderr }); });
    });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stderr).toContain('"name":"seamless.sla"');
    const text = await readFile(file, 'utf8');
    expect(text).toContain(`seamless_sla_violations_total{node_id="${NODE}",phase="total",policy="demo-1m",mode="enforced"} 1`);
    const check = await run(PROMTOOL, ['check', 'metrics'], { input: text });
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });
});
