/**
 * Every metric the dashboards and the alert and recording rules read (including the per-policy
 * rules `seamless sla render-rules` renders from configs/seamless/sla) is one the code really
 * emits: the names are extracted from every panel query, templating variable and rule
 * expression (and the PromQL of the runbook pages), and each must have at least one sample in a live `/metrics` scrape of a gateway
 * after a workload that exercises them (ops-workload.ts). Names recorded by the rules themselves
 * are left out; histograms are read through their `_bucket`, `_sum` and `_count` series. The
 * Traces dashboard's Loki table reads the `seamless.sla` violation lines: a traced read's line
 * carries every field it shows, its trace id among them.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ALERT_RULES_FILE, DASHBOARDS, RECORDING_RULES_FILE, SLA_VIOLATION_LOG, dashboardQueries, metricNamesOf,
  metricNamesOfVariable, missingSeries, sampledSeries,
} from '../../src/operations/internal.js';
import { renderRules } from '../../src/operations/index.js';
import { DEFAULT_SLA_POLICY_DIR, loadSlaPolicies } from '../../src/sla/index.js';
import { promtoolCheckMetrics } from '../harness/promtool.js';
import { SLA_NODE, runWorkload } from './ops-workload.js';
import type { Workload } from './ops-workload.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Rules { groups: { rules: { record?: string; alert?: string; expr: string }[] }[] }

function ruleFiles(): Rules[] {
  const files = [ALERT_RULES_FILE, RECORDING_RULES_FILE].map((f) => readFileSync(join(ROOT, 'operations/prometheus', f), 'utf8'));
  files.push(renderRules(loadSlaPolicies(join(ROOT, DEFAULT_SLA_POLICY_DIR))));
  return files.map((text) => parse(text) as Rules);
}

/** Metric name → where it is read. */
function referencedNames(): { names: Map<string, string[]>; recorded: Set<string> } {
  const names = new Map<string, string[]>();
  const add = (name: string, where: string): void => { names.set(name, [...(names.get(name) ?? []), where]); };
  for (const d of DASHBOARDS) {
    for (const q of dashboardQueries(d.build())) {
      if (q.datasource !== 'prometheus') continue;
      for (const n of q.expr.startsWith('label_values(') ? metricNamesOfVariable(q.expr) : metricNamesOf(q.expr)) add(n, q.where);
    }
  }
  const recorded = new Set<string>();
  for (const file of ruleFiles()) {
    for (const g of file.groups) {
      for (const r of g.rules) {
        if (r.record) recorded.add(r.record);
        for (const n of metricNamesOf(r.expr)) add(n, r.alert ?? r.record ?? '?');
      }
    }
  }
  // The PromQL of the runbook pages' first checks too.
  const alerts = join(ROOT, 'docs/operations/alerts');
  for (const page of readdirSync(alerts).filter((f) => f.endsWith('.md'))) {
    const text = readFileSync(join(alerts, page), 'utf8');
    for (const m of text.matchAll(/```promql\n([\s\S]*?)```/g)) for (const n of metricNamesOf(m[1])) add(n, `docs/operations/alerts/${page}`);
  }
  return { names, recorded };
}

describe('dashboards and rules read only metrics a gateway emits', () => {
  let w: Workload;
  let scrape = '';
  beforeAll(async () => {
    w = await runWorkload();
    const res = await fetch(`${w.gateway.url}/metrics`);
    expect(res.status).toBe(200);
    scrape = await res.text();
  }, 180_000);
  afterAll(async () => { await w?.close(); });

  it('finds the names of every panel, variable and rule', () => {
    const { names, recorded } = referencedNames();
    expect(names.size).toBeGreaterThan(35);
    expect(recorded).toContain('seamless_sla:good_ratio:rate5m');
    expect(names.get('seamless_sla_deadline_seconds_bucket')?.some((w) => w === 'SeamlessSLAFastBurn' || w.startsWith('seamless_sla:'))).toBe(true);
  });

  it('every referenced metric has at least one sample in the live scrape after the workload', () => {
    const { names, recorded } = referencedNames();
    const wanted = [...names.keys()].filter((n) => !recorded.has(n));
    const missing = missingSeries(wanted, sampledSeries(scrape));
    expect(missing.map((n) => `${n} (read by ${(names.get(n) ?? []).slice(0, 3).join('; ')})`)).toEqual([]);
  });

  it('passes promtool check metrics without a single complaint (the whole exposition, after the workload)', async () => {
    const check = await promtoolCheckMetrics(scrape);
    expect(check.output).toBe('');
    expect(check.code).toBe(0);
  });

  it('logs each SLA violation of a traced read with the fields and trace id the Traces dashboard shows', () => {
    const lines = w.logs.filter((l) => l.name === SLA_VIOLATION_LOG.logger && l.msg === SLA_VIOLATION_LOG.msg && l.nodeId === SLA_NODE);
    expect(lines.length).toBeGreaterThan(0);
    const fields = SLA_VIOLATION_LOG.fields.filter((f) => f !== 'elapsedMs' && f !== 'budgetMs' || lines[0].phase === 'total');
    for (const f of fields) expect(lines[0], f).toHaveProperty(f);
    expect(lines[0].traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(lines[0]).toMatchObject({ policy: 'eth-tight', mode: 'enforced', decision: 'partial' });
  });
});
