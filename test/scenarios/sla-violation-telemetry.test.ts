/**
 * Scenario: an operator runs a gateway with an enforced SLA policy (onViolation: fail) whose
 * backfill budget is smaller than its slow upstream needs, with tracing to an OTLP collector and
 * Prometheus scraping it with the shipped alert rules. A user's read of a range not yet stored
 * runs out of the backfill budget.
 *
 * What the user sees: 504 `sla_exceeded` naming the phase, the elapsed time and the budget.
 * What is reported: the read's trace has its `seamless.sla` span with `sla.phase`, elapsed and
 * budget; `/metrics` gained exactly one `storage` sample, one `backfill` sample, one `total`
 * sample and one violation for that read; a `seamless.sla` log line with a single `name` key;
 * the whole exposition passes `promtool check metrics` without a word; and Prometheus evaluating
 * operations/prometheus/seamless-alerts.yml (groups evaluated every second rather than every
 * minute) raises SeamlessSLAExceeded for the node.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startOtlpListener } from '../harness/otlp-listener.js';
import type { OtlpListener, ReceivedSpan } from '../harness/otlp-listener.js';
import { freePort } from '../harness/leftovers.js';
import { prometheusAvailable, startPrometheusServer } from '../harness/prometheus-server.js';
import type { PrometheusServer, Sample } from '../harness/prometheus-server.js';
import { promtoolCheckMetrics } from '../harness/promtool.js';
import { eventually, killSeamlessProcesses, startSeamless, waitForLine } from '../harness/seamless-processes.js';
import type { SeamlessProcess } from '../harness/seamless-processes.js';
import { tempDir } from '../helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE = 'ohlcv:slow:FAIL';
const TRACE_ID = '5af7183fb1d4cf5f0123456789abcdef';
const PARENT_ID = '00f067aa0ba902b8';
const BUDGET_MS = 150;
/** Per upstream fetch: far over the backfill budget, so the budget is what ends the read. */
const UPSTREAM_LATENCY_MS = 2_000;
const WITH_PROMETHEUS = prometheusAvailable();

const POLICY = `name: slow-fail
match:
  node: "${NODE}"
  interval: 1m
mode: enforced
budgets:
  backfill: ${BUDGET_MS}
  total: 20000
onViolation: fail
owner: data-platform
runbook: docs/operations/sla/slow-fail.md
escalation: "#seamless-oncall"
`;

/**
 * A shipped rule file as it is, but with its groups evaluated every second instead of every
 * minute, so the test does not wait for the first evaluation of a group.
 */
async function everySecond(file: string, into: string): Promise<string> {
  const rules = parse(await readFile(join(ROOT, 'operations/prometheus', file), 'utf8')) as { groups: { interval?: string }[] };
  for (const g of rules.groups) g.interval = '1s';
  const out = join(into, file);
  await writeFile(out, stringify(rules));
  return out;
}

interface ErrorBody { error?: { code: string; details: { phase: string; elapsedMs: number; budgetMs: number; policy: string } } }

/** The value of one exposition line (a histogram `_count` or a counter), 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

const count = (text: string, phase: string): number => sample(text, `seamless_sla_deadline_seconds_count{node_id="${NODE}",phase="${phase}"}`);
const violations = (text: string): number => sample(text, `seamless_sla_violations_total{node_id="${NODE}",phase="backfill",policy="slow-fail",mode="enforced"}`);

describe('an enforced SLA budget that runs out, as the operator sees it', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let otlp: OtlpListener;
  let prometheus: PrometheusServer | undefined;
  let gateway: SeamlessProcess;
  let url = '';

  beforeAll(async () => {
    dir = await tempDir('seamless-sla-telemetry-');
    otlp = await startOtlpListener();
    const port = await freePort();
    // Prometheus first: it takes a few seconds to hand its target to the scraper.
    if (WITH_PROMETHEUS) {
      prometheus = await startPrometheusServer({
        jobs: [{ job: 'seamless-gateway', targets: [`127.0.0.1:${port}`] }],
        ruleFiles: await Promise.all(['seamless-alerts.yml', 'seamless-recording.yml'].map((f) => everySecond(f, dir.path))),
      });
    }
    const slaDir = join(dir.path, 'sla');
    await mkdir(slaDir);
    await writeFile(join(slaDir, 'slow-fail.yml'), POLICY);
    const config = join(dir.path, 'seamless.yml');
    await writeFile(config, JSON.stringify({
      dataDir: join(dir.path, 'data'),
      logging: { level: 'warn' },
      tracing: { endpoint: otlp.endpoint, exportDelayMs: 50 },
      sources: { slow: { kind: 'synthetic', seed: 3, latencyMs: UPSTREAM_LATENCY_MS } },
      datasets: [{ nodeId: NODE, intervals: ['1m'], source: 'slow' }],
      seamless: { sla: { dir: slaDir } },
    }));
    gateway = startSeamless(['serve', '--port', String(port), '--config', config], dir.path, 'gateway');
    url = (await waitForLine(gateway, /listening on (http:\/\/\S+)/))[1];
  }, 60_000);

  afterAll(async () => {
    await killSeamlessProcesses();
    await prometheus?.stop();
    await otlp?.close();
    await dir?.remove();
  });

  const scrape = async (): Promise<string> => {
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    return res.text();
  };

  it('answers 504 sla_exceeded and reports the read in its trace, its metrics and its log', async () => {
    const before = await scrape();
    const res = await fetch(`${url}/v1/bars?node=${encodeURIComponent(NODE)}&interval=1m&start=2024-05-01T00:00:00Z&end=2024-05-01T02:00:00Z&strategy=auto_backfill`, {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` }, signal: AbortSignal.timeout(15_000),
    });
    const body = await res.json() as ErrorBody;

    // What the user sees.
    expect(res.status).toBe(504);
    expect(body.error?.code).toBe('sla_exceeded');
    expect(body.error?.details).toMatchObject({ phase: 'backfill', budgetMs: BUDGET_MS, policy: 'slow-fail' });
    expect(body.error?.details.elapsedMs).toBeGreaterThanOrEqual(BUDGET_MS);
    expect(body.error?.details.elapsedMs).toBeLessThan(UPSTREAM_LATENCY_MS);

    // The trace: seamless.sla under the read's seamless.pipeline, with the phase, elapsed and budget.
    const sla = await eventually<ReceivedSpan>('the seamless.sla span of the failed read',
      () => otlp.spans.find((s) => s.name === 'seamless.sla' && s.traceId === TRACE_ID), 15_000, 50);
    expect(sla.attributes).toMatchObject({ 'sla.phase': 'backfill', 'sla.budget_ms': BUDGET_MS, 'sla.policy': 'slow-fail', 'sla.mode': 'enforced', 'sla.decision': 'fail' });
    expect(Number(sla.attributes['sla.elapsed_ms'])).toBeGreaterThanOrEqual(BUDGET_MS);
    expect(sla.status.code).toBe(2);
    const pipeline = await eventually<ReceivedSpan>('the seamless.pipeline span', () => otlp.spans.find((s) => s.spanId === sla.parentSpanId), 15_000, 50);
    expect(pipeline).toMatchObject({ name: 'seamless.pipeline', traceId: TRACE_ID, parentSpanId: PARENT_ID });

    // The metrics: one sample per phase the read ran, one total, one violation.
    const after = await scrape();
    expect(count(after, 'storage') - count(before, 'storage')).toBe(1);
    expect(count(after, 'backfill') - count(before, 'backfill')).toBe(1);
    expect(count(after, 'total') - count(before, 'total')).toBe(1);
    expect(violations(after) - violations(before)).toBe(1);

    // The log: one seamless.sla line for the violation, its logger named once.
    const line = await eventually('the seamless.sla log line', () => gateway.stderr.split('\n').find((l) => l.includes('"seamless.sla"') && l.includes('SLA violation')), 10_000, 50);
    expect(line.match(/"name":/g)).toHaveLength(1);
    expect(JSON.parse(line)).toMatchObject({ name: 'seamless.sla', phase: 'backfill', budgetMs: BUDGET_MS, decision: 'fail', traceId: TRACE_ID });
  }, 60_000);

  it('exposes metrics promtool check metrics has nothing to say about', async () => {
    const check = await promtoolCheckMetrics(await scrape());
    expect(check.output).toBe('');
    expect(check.code).toBe(0);
  });

  it.skipIf(!WITH_PROMETHEUS)('raises SeamlessSLAExceeded for the node in a Prometheus evaluating the shipped rules', async () => {
    const alerts = await eventually<Sample[]>('SeamlessSLAExceeded in Prometheus', async () => {
      const s = await prometheus?.query('ALERTS{alertname="SeamlessSLAExceeded"}');
      return s !== undefined && s.length > 0 ? s : undefined;
    }, 30_000, 250);
    expect(alerts[0].metric).toMatchObject({ node_id: NODE, phase: 'backfill', policy: 'slow-fail', severity: 'ticket' });
    expect(['pending', 'firing']).toContain(alerts[0].metric.alertstate);
  }, 60_000);
});
