import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/observability/index.js';
import {
  ALERT_GROUPS, DASHBOARDS, GOOD_RATIO_RECORD, RECORD_WINDOWS, SLA_GOOD_RATIO_RECORD, dashboardQueries, expandTemplate,
  metricNamesOf, metricNamesOfVariable, recordingRuleGroups,
} from '../../../src/operations/internal.js';

const alerts = ALERT_GROUPS.flatMap((g) => g.alerts);

/** Series names a Seamless registry can export: counters/gauges by name, histograms by _bucket/_sum/_count. */
async function exportable(): Promise<Set<string>> {
  const out = new Set<string>();
  for (const m of await createMetrics().registry.getMetricsAsJSON()) {
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) out.add(`${m.name}${s}`);
    else out.add(m.name);
  }
  return out;
}

describe('alert specs', () => {
  it('name every alert once, Seamless-prefixed, with a severity that pages or tickets', () => {
    const names = alerts.map((a) => a.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const a of alerts) {
      expect(a.alert).toMatch(/^Seamless[A-Z][A-Za-z]+$/);
      expect(['page', 'ticket']).toContain(a.severity);
    }
  });

  it('give each alert a whole runbook and a bad case that fires and a healthy one that does not', () => {
    for (const a of alerts) {
      expect(a.runbook.meaning.length, a.alert).toBeGreaterThan(80);
      expect(a.runbook.impact.length, a.alert).toBeGreaterThan(40);
      expect(a.runbook.checks.length, a.alert).toBeGreaterThanOrEqual(2);
      expect(a.runbook.fix.length, a.alert).toBeGreaterThanOrEqual(1);
      expect(a.runbook.escalation, a.alert).not.toBe('');
      expect(a.bad.fires.length, a.alert).toBeGreaterThan(0);
      expect(a.healthy.fires, a.alert).toEqual([]);
    }
  });

  it('read only metrics Seamless registers or recording rules produce', async () => {
    const known = await exportable();
    const recorded = new Set([
      ...recordingRuleGroups([{ policy: 'p', objective: 0.99 }]).flatMap((g) => g.rules.map((r) => r.record)),
      ...RECORD_WINDOWS.map((w) => `${GOOD_RATIO_RECORD}:rate${w}`),
    ]);
    const unknown: string[] = [];
    const exprs = [
      ...alerts.map((a) => ({ where: a.alert, names: metricNamesOf(a.expr) })),
      ...recordingRuleGroups([{ policy: 'p', objective: 0.99 }]).flatMap((g) => g.rules.map((r) => ({ where: r.record, names: metricNamesOf(r.expr) }))),
      ...DASHBOARDS.flatMap((d) => dashboardQueries(d.build()).filter((q) => q.datasource === 'prometheus')
        .map((q) => ({ where: q.where, names: q.expr.startsWith('label_values(') ? metricNamesOfVariable(q.expr) : metricNamesOf(q.expr) }))),
    ];
    for (const e of exprs) for (const n of e.names) if (!known.has(n) && !recorded.has(n)) unknown.push(`${e.where}: ${n}`);
    expect(unknown).toEqual([]);
    expect(exprs.flatMap((e) => e.names).length).toBeGreaterThan(60);
  });

  it('use the good-ratio records of the SLA rules', () => {
    expect(SLA_GOOD_RATIO_RECORD).toBe(GOOD_RATIO_RECORD);
  });

  it('expand label templates as Prometheus does', () => {
    expect(expandTemplate('lag of {{ $labels.node_id }} {{$labels.interval}} ({{ $labels.none }})', { node_id: 'a:b/c', interval: '1m' })).toBe('lag of a:b/c 1m ()');
  });
});
